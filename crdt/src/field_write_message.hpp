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
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

// One written value, as received.
struct FieldWriteValue {
  enum class Kind : std::uint8_t { uint, text, number, decoded };

  Kind kind = Kind::uint;
  std::uint64_t uint = 0;
  std::string_view text;        // checked: UTF-8, within the string limit
  double number = 0;            // a decimal extension
  std::optional<Json> decoded;  // any other value; nullopt is a tombstone

  // Makes `target` the value written, reusing its storage where it can.
  void write_to(std::optional<Json>& target);
};

struct FieldWriteMessage {
  // More fields than this take the general path (a node added as a patch).
  static constexpr std::size_t kMaxFields = 8;

  Stamp stamp;
  std::string_view id;
  std::array<FieldKeyView, kMaxFields> keys;  // increasing
  std::array<FieldWriteValue, kMaxFields> values;
  std::size_t field_count = 0;
};

// True when `bytes` is exactly one such message, read into `message` (views
// into `bytes`). False for anything else, having checked nothing that
// matters: the general decoder then reads `bytes` and reports any fault.
bool read_field_write_message(std::span<const std::uint8_t> bytes, FieldWriteMessage& message);

}  // namespace trellis::crdt
