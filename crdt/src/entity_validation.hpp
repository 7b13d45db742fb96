#pragma once
// Input checks shared by the mutators and the decoder, so that a limit is
// enforced the same way whichever door the input comes through.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/field_value.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/limits.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

// True when `text` is well-formed UTF-8 (JSON strings must be).
bool is_valid_utf8(std::string_view text);

// True when `text`, at most 16 bytes, is all ASCII. Read in two loads (or
// three bytes) without a loop: ids, field names and the strings of a
// parameter edit are short, and the loop of is_valid_utf8 costs more than
// the rest of reading them.
inline bool is_short_ascii(std::string_view text) {
  const char* at = text.data();
  const std::size_t size = text.size();
  std::uint64_t bits;
  if (size >= 8) {
    std::uint64_t first;
    std::uint64_t last;
    std::memcpy(&first, at, 8);
    std::memcpy(&last, at + size - 8, 8);
    bits = first | last;
  } else if (size >= 4) {
    std::uint32_t first;
    std::uint32_t last;
    std::memcpy(&first, at, 4);
    std::memcpy(&last, at + size - 4, 4);
    bits = first | last;
  } else if (size > 0) {
    bits = static_cast<unsigned char>(at[0] | at[size / 2] | at[size - 1]);
  } else {
    return true;
  }
  return (bits & 0x8080808080808080ull) == 0;
}

// is_valid_utf8, with short ASCII text (nearly all of it) decided inline.
inline bool is_utf8(std::string_view text) {
  return (text.size() <= 16 && is_short_ascii(text)) || is_valid_utf8(text);
}

// The predicates of validate_id and validate_field_name, inline, for the
// decoders' fast paths (which report nothing: the general path does).
inline bool is_valid_id(std::string_view id) {
  return !id.empty() && id.size() <= limits::kMaxIdBytes && is_utf8(id);
}
inline bool is_valid_field_name(std::string_view name) {
  return name.size() <= limits::kMaxFieldNameBytes && is_utf8(name);
}
// The text of a JSON string or object key: within kMaxStringBytes and
// UTF-8. The predicate of validate_value's string rules and of
// codec::check_text.
inline bool is_valid_text(std::string_view text) {
  return text.size() <= limits::kMaxStringBytes && is_utf8(text);
}

// validate_value's rule for a scalar, as a predicate (a refusal's message
// is validate_value(to_json(value))'s).
inline bool is_valid_scalar(const FieldScalar& value) {
  if (const double* number = std::get_if<double>(&value)) return std::isfinite(*number);
  if (const std::string_view* text = std::get_if<std::string_view>(&value)) {
    return is_valid_text(*text);
  }
  return true;
}
std::optional<Error> validate_id(std::string_view id);
std::optional<Error> validate_field_name(std::string_view name);
// A field key must have a valid name; `id` and `data` are not top-level fields.
std::optional<Error> validate_field_key(const FieldKey& key);
// Finite numbers only, strings and containers within limits, bounded depth.
std::optional<Error> validate_value(const Json& value, std::string_view where);
// The same rules for a value as a document stores it.
std::optional<Error> validate_value(const FieldValue& value, std::string_view where);

}  // namespace trellis::crdt
