#pragma once
// Input checks shared by the mutators and the decoder, so that a limit is
// enforced the same way whichever door the input comes through.

#include <optional>
#include <string>
#include <string_view>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

// True when `text` is well-formed UTF-8 (JSON strings must be).
bool is_valid_utf8(std::string_view text);

std::optional<Error> validate_id(std::string_view id);
std::optional<Error> validate_field_name(std::string_view name);
// A field key must have a valid name; `id` and `data` are not top-level fields.
std::optional<Error> validate_field_key(const FieldKey& key);
// Finite numbers only, strings and containers within limits, bounded depth.
std::optional<Error> validate_value(const Json& value, std::string_view where);

}  // namespace trellis::crdt
