#pragma once
// msgpack encoding of one JSON field value, shared by both layouts of
// graph_codec.cpp. Numbers keep their JSON kind: integers as msgpack ints,
// floats as the shortest of a decimal extension (mantissa and power of ten,
// exact round trip checked at encode time), float32 (when exact) or float64.
// The decimal extension is what makes typical canvas numbers (positions like
// 120.5, parameters like -429.408) 4 to 6 bytes instead of 9.

#include <cstdint>
#include <optional>
#include <string_view>

#include <msgpack.hpp>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/msgpack_reader.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt::codec {

// Appends to a byte vector: the msgpack stream type of every encoder here.
struct ByteWriter {
  Bytes* out;
  void write(const char* data, std::size_t size) {
    // msgpack writes a token at a time (1 to 9 bytes): push_back beats a
    // range insert for those.
    if (size <= 16) {
      for (std::size_t i = 0; i < size; ++i)
        out->push_back(static_cast<std::uint8_t>(data[i]));
      return;
    }
    out->insert(out->end(), reinterpret_cast<const std::uint8_t*>(data),
                reinterpret_cast<const std::uint8_t*>(data) + size);
  }
};
using Packer = msgpack::packer<ByteWriter>;

// Extension type numbers of format v1.
inline constexpr std::int8_t kDecimalExt = 1;    // [exponent][mantissa, big-endian signed]
inline constexpr std::int8_t kTombstoneExt = 2;  // fixext1 with a zero byte: a removed field
inline constexpr unsigned kMaxDecimalExponent = 8;

void pack_value(Packer& packer, const Json& value);
// An LWW field value: a JSON value or (nullopt) a tombstone.
void pack_field_value(Packer& packer, const std::optional<Json>& value);

// Checks `bytes` as one msgpack value (check_msgpack) with the bounds every
// decoder of the library uses: no count beyond what the input can hold, and
// at most `max_depth` containers open at once. Too many elements or too deep
// is limit_exceeded, anything else malformed.
std::optional<Error> check_encoding(std::span<const std::uint8_t> bytes, std::size_t max_depth);

// Read the next value, enforcing the value limits (input need not be
// checked first: no declared count is trusted before its elements are read).
Result<Json> read_value(MsgpackReader& reader);
// A field value into `value` (nullopt: a tombstone).
std::optional<Error> read_field_value(MsgpackReader& reader, std::optional<Json>& value);

}  // namespace trellis::crdt::codec
