#pragma once
// The message a replica receives most: a transaction-form delta
// (docs/encoding.md, format 2) that writes fields of one node and does
// nothing else, i.e. a parameter edit or a move. join_encoded reads it here
// first, into views of the received bytes, and joins it without building a
// TransactionDelta: no id, key or value is copied before the join knows it
// needs one, and a string value is assigned into the string the field
// already holds. Anything else, valid or not, is left to the general
// decoder, whose checks and errors are the reference; reading here makes
// every check it makes on such a message, so both accept exactly the same.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/field_value.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/msgpack_reader.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

// One written value, as received.
struct FieldWriteValue {
  enum class Kind : std::uint8_t { uint, text, number, decoded };

  Kind kind = Kind::uint;
  std::uint64_t uint = 0;
  std::string_view text;              // checked: UTF-8, within the string limit
  double number = 0;                  // a decimal extension
  std::optional<FieldValue> decoded;  // any other value; nullopt is a tombstone

  // Makes `target` the value written, reusing its storage where it can.
  void write_to(std::optional<FieldValue>& target);
};

struct FieldWriteMessage {
  // More fields than this take the general path (a node added as a patch).
  static constexpr std::size_t kMaxFields = 8;

  Stamp stamp;
  std::string_view id;
  std::uint32_t id_hash = 0;                  // EntityMap::hash_of(id)
  std::array<FieldKeyView, kMaxFields> keys;  // increasing
  std::array<FieldWriteValue, kMaxFields> values;
  std::size_t field_count = 0;
};

// Reading is in two steps, so that the node can be fetched while the rest
// is read (EntityMap::prefetch). Each returns false for anything that is
// not such a message, having checked nothing that matters: the general
// decoder then reads the bytes and reports any fault.
//
// The head: everything up to and including the node's id (and its hash).
bool read_field_write_head(MsgpackReader& reader, FieldWriteMessage& message);
// The fields, after the head; true when they end the input.
bool read_field_write_fields(MsgpackReader& reader, FieldWriteMessage& message);

}  // namespace trellis::crdt
