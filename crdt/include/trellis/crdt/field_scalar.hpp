#pragma once
// FieldScalar: a scalar field value (null, a boolean, an integer, a float or
// text) handed to a mutator without building a Json first. It is what an
// editor's parameter widgets write: a slider's number, a text box's string.
// The text is a view: the mutator copies it into the document, into the
// string the field already holds when there is one, so a write of a short
// string allocates nothing.
//
// The value it stands for is to_json(value), and every rule of a Json field
// value applies to it unchanged: a float must be finite, text must be UTF-8
// and within limits::kMaxStringBytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "trellis/crdt/json.hpp"

namespace trellis::crdt {

using FieldScalar =
    std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string_view>;

// The Json value `value` stands for (an integer keeps its signedness, as
// Json(std::int64_t) and Json(std::uint64_t) do).
inline Json to_json(const FieldScalar& value) {
  return std::visit(
      [](auto scalar) {
        if constexpr (std::is_same_v<decltype(scalar), std::string_view>) {
          return Json(std::string(scalar));
        } else {
          return Json(scalar);
        }
      },
      value);
}

// The scalar `value` is, its text as a view of `value`'s string; nullopt for
// an array or an object (and for a binary or discarded Json, which no
// document holds). to_json(*scalar_of(v)) == v for every scalar v.
inline std::optional<FieldScalar> scalar_of(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return FieldScalar(nullptr);
    case Json::value_t::boolean:
      return FieldScalar(value.get_ref<const bool&>());
    case Json::value_t::number_integer:
      return FieldScalar(value.get_ref<const std::int64_t&>());
    case Json::value_t::number_unsigned:
      return FieldScalar(value.get_ref<const std::uint64_t&>());
    case Json::value_t::number_float:
      return FieldScalar(value.get_ref<const double&>());
    case Json::value_t::string:
      return FieldScalar(std::string_view(value.get_ref<const std::string&>()));
    default:
      return std::nullopt;
  }
}

}  // namespace trellis::crdt
