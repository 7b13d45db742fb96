#pragma once
// Binary encoding of GraphDoc states and deltas with msgpack, versioned and
// strictly decoded. The layout is specified in docs/encoding.md; in short,
// a top-level msgpack array whose first element names the format:
//
//   3  state form: any state or delta. Replica ids are interned in a table,
//      field-name lists ("shapes") are written once and then referenced,
//      fields written by one transaction share one stamp, and string values
//      that recur (a node type, a colour, an edge's endpoint) are written
//      once in a string table and referenced after.
//   2  transaction form: a delta made by exactly one transaction (what every
//      mutator returns). One stamp in the header serves every field.
//   1  the state form of earlier releases: format 3 without the string
//      table. Decoded, never written (states stored by earlier releases).
//
// encode() picks the transaction form when the state qualifies, else the
// state form; all decode to the same GraphDoc. Encoding is canonical: equal
// states give equal bytes.
//
// decode() never trusts its input: malformed, truncated, oversized or
// inconsistent bytes give an Error (malformed, unsupported_version,
// limit_exceeded), never a crash, undefined behaviour or an allocation out of
// proportion to the input.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint64_t kStateFormatV1 = 1;  // decoded only
inline constexpr std::uint64_t kTransactionFormatV1 = 2;
inline constexpr std::uint64_t kStateFormatV2 = 3;  // what encoders write

Bytes encode(const GraphDoc& doc);
// Appends the encoding to `out` (lets a caller reuse one buffer).
void encode_to(const GraphDoc& doc, Bytes& out);
// Always the state form (snapshots).
void encode_state_to(const GraphDoc& doc, Bytes& out);
// The state form of earlier releases (format 1), for tests and fixtures that
// pin what those releases stored; nothing else writes it.
void encode_state_v1_to(const GraphDoc& doc, Bytes& out);
// Appends the bytes encode_to(GraphDoc(delta), out) appends, written
// straight from the lean delta (the local-edit hot path).
void encode_to(const FieldWriteDelta& delta, Bytes& out);

// doc.set_node_data_value(id, key, to_json(value)), with its delta appended
// to `out` as encode_to(delta, out) would append it, byte for byte, and no
// delta value built on the way: the local-edit path of an editor that ships
// each parameter edit as it is made. Same checks, same errors; on an error
// neither `doc` nor `out` changes.
std::optional<Error> write_node_data_scalar(GraphDoc& doc, std::string_view id,
                                            std::string_view key, const FieldScalar& value,
                                            Bytes& out);

Result<GraphDoc> decode(std::span<const std::uint8_t> bytes);

// Joins an encoded state or delta into `doc`: the same result as
// doc.join(*decode(bytes)), but a transaction-form delta is joined straight
// from the parsed message without building a GraphDoc (the receive hot
// path). Returns the decode error, if any, and then leaves `doc` unchanged.
std::optional<Error> join_encoded(GraphDoc& doc, std::span<const std::uint8_t> bytes);

}  // namespace trellis::crdt
