#pragma once
// A single JSON value in the msgpack form that GraphDoc encodings use for
// field values (docs/encoding.md, "Values"): for other layers that carry JSON
// beside deltas (presence states in the sync protocol). Decoding enforces the
// value limits of limits.hpp (depth, string and container sizes, finite
// numbers) and rejects trailing bytes.

#include <cstdint>
#include <span>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

Bytes encode_value(const Json& value);
Result<Json> decode_value(std::span<const std::uint8_t> bytes);

}  // namespace trellis::crdt
