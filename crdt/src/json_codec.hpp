#pragma once
// msgpack encoding of one JSON field value, shared by both layouts of
// graph_codec.cpp. Numbers keep their JSON kind: integers as msgpack ints,
// floats as the shortest of a decimal extension (mantissa and power of ten,
// exact round trip checked at encode time), float32 (when exact) or float64.
// The decimal extension is what makes typical canvas numbers (positions like
// 120.5, parameters like -429.408) 4 to 6 bytes instead of 9.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include <msgpack.hpp>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/field_value.hpp"
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

// A msgpack stream into bytes reserved in advance (append_reserved): for the
// short runs of tokens of a local edit's delta, where ByteWriter would check
// the vector's capacity on every byte.
struct ReservedWriter {
  std::uint8_t* at;
  void write(const char* data, std::size_t size) {
    // Tokens are 1 to 9 bytes, names and short strings a few more: up to 16
    // bytes are copied in two overlapping words (or three bytes), neither a
    // loop nor a call to memcpy.
    std::uint8_t* to = at;
    at += size;
    const auto copy = [&](std::size_t offset, auto word) {
      std::memcpy(&word, data + offset, sizeof word);
      std::memcpy(to + offset, &word, sizeof word);
    };
    if (size > 16) {
      std::memcpy(to, data, size);
    } else if (size >= 8) {
      copy(0, std::uint64_t{});
      copy(size - 8, std::uint64_t{});
    } else if (size >= 4) {
      copy(0, std::uint32_t{});
      copy(size - 4, std::uint32_t{});
    } else if (size > 0) {
      to[0] = static_cast<std::uint8_t>(data[0]);
      to[size / 2] = static_cast<std::uint8_t>(data[size / 2]);
      to[size - 1] = static_cast<std::uint8_t>(data[size - 1]);
    }
  }
};
using ReservedPacker = msgpack::packer<ReservedWriter>;

// Appends what `pack(ReservedPacker&)` writes, which must be at most `bound`
// bytes. Up to kStackBound bytes are written on the stack and appended in one
// insert: resizing `out` to the bound and back would zero-fill the bound
// first (a local edit's delta is 25 bytes of a bound of about 80).
template <class Pack>
void append_reserved(Bytes& out, std::size_t bound, Pack&& pack) {
  constexpr std::size_t kStackBound = 256;
  if (bound <= kStackBound) {
    std::uint8_t buffer[kStackBound];
    ReservedWriter writer{buffer};
    ReservedPacker packer(writer);
    pack(packer);
    out.insert(out.end(), buffer, writer.at);
    return;
  }
  const std::size_t start = out.size();
  out.resize(start + bound);
  ReservedWriter writer{out.data() + start};
  ReservedPacker packer(writer);
  pack(packer);
  out.resize(static_cast<std::size_t>(writer.at - out.data()));
}

// Extension type numbers.
inline constexpr std::int8_t kDecimalExt = 1;    // [exponent][mantissa, big-endian signed]
inline constexpr std::int8_t kTombstoneExt = 2;  // fixext1 with a zero byte: a removed field
// State form 3 only, as a whole field value: the index of a string in the
// message's string table, fixext1 (index < 256) or fixext2 (big-endian).
inline constexpr std::int8_t kStringRefExt = 3;
inline constexpr unsigned kMaxDecimalExponent = 8;

// The number a decimal extension's payload holds; false when the payload is
// not one (a bad size or an exponent out of range).
bool read_decimal(std::span<const std::uint8_t> payload, double& value);

void pack_value(Packer& packer, const Json& value);
// An LWW field value: a JSON value or (nullopt) a tombstone.
void pack_field_value(Packer& packer, const std::optional<Json>& value);
// The most bytes pack_field_value writes for `value`, when it is a tombstone
// or a scalar (null, bool, number, string); 0 for a container.
std::size_t packed_bound(const std::optional<Json>& value);
// pack_field_value into reserved bytes, which must hold packed_bound(value)
// (for a container, which has no bound, the caller reserves by other means).
void pack_field_value(ReservedPacker& packer, const std::optional<Json>& value);

// The same for a value as a document stores it: the bytes of the Json it
// stands for.
void pack_field_value(Packer& packer, const std::optional<FieldValue>& value);

// The same for a scalar given as a FieldScalar: the bytes pack_value writes
// for to_json(value), and at most packed_bound(value) of them.
std::size_t packed_bound(const FieldScalar& value);
void pack_scalar(ReservedPacker& packer, const FieldScalar& value);

// Checks `bytes` as one msgpack value (check_msgpack) with the bounds every
// decoder of the library uses: no count beyond what the input can hold, and
// at most `max_depth` containers open at once. Too many elements or too deep
// is limit_exceeded, anything else malformed.
std::optional<Error> check_encoding(std::span<const std::uint8_t> bytes, std::size_t max_depth);

// A string of a value: within kMaxStringBytes (else limit_exceeded) and
// UTF-8 (else malformed); `what` names it in the message.
std::optional<Error> check_text(std::string_view text, const char* what);

// Read the next value, enforcing the value limits (input need not be
// checked first: no declared count is trusted before its elements are read).
Result<Json> read_value(MsgpackReader& reader);
// A field value into `value` (nullopt: a tombstone).
std::optional<Error> read_field_value(MsgpackReader& reader, std::optional<Json>& value);
std::optional<Error> read_field_value(MsgpackReader& reader, std::optional<FieldValue>& value);

}  // namespace trellis::crdt::codec
