#pragma once
// assign_scalar: the one rule by which a field write stores a scalar into the
// value a field already holds. Text goes into the string already there (no
// allocation when it fits) and a number over a number of the same kind in
// place, rather than destroying one Json and building another: the commonest
// edit replaces one short string with another, or one number with another.
// Local writes (graph_doc.cpp) and received ones (field_write_message.hpp)
// both store through it.

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt {

// The Json kind a scalar of type T is held as.
template <class T>
constexpr Json::value_t json_kind_of() {
  if constexpr (std::is_same_v<T, bool>) return Json::value_t::boolean;
  if constexpr (std::is_same_v<T, std::int64_t>) return Json::value_t::number_integer;
  if constexpr (std::is_same_v<T, std::uint64_t>) return Json::value_t::number_unsigned;
  if constexpr (std::is_same_v<T, double>) return Json::value_t::number_float;
  return Json::value_t::null;
}

// `target` := to_json(value), in place where it can be.
inline void assign_scalar(std::optional<Json>& target, const FieldScalar& value) {
  std::visit(
      [&](auto scalar) {
        using T = decltype(scalar);
        if constexpr (std::is_same_v<T, std::string_view>) {
          if (!target || !target->is_string()) target.emplace(Json::value_t::string);
          target->get_ref<std::string&>().assign(scalar);
        } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
          target.emplace(nullptr);
        } else if (target && target->type() == json_kind_of<T>()) {
          target->get_ref<T&>() = scalar;
        } else {
          target.emplace(scalar);
        }
      },
      value);
}

// `target` := source (a value or a tombstone), a scalar by assign_scalar.
inline void assign_value(std::optional<Json>& target, const std::optional<Json>& source) {
  if (source) {
    if (const std::optional<FieldScalar> scalar = scalar_of(*source)) {
      assign_scalar(target, *scalar);
      return;
    }
  }
  target = source;
}

}  // namespace trellis::crdt
