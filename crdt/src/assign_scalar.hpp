#pragma once
// assign_scalar: the one rule by which a field write stores a scalar into the
// value a field already holds: in place (FieldValue::assign), so a short
// string or a number allocates nothing and a long string goes into the heap
// string already there: the commonest edit replaces one short string with
// another, or one number with another.
// Local writes (graph_doc.cpp) and received ones (field_write_message.hpp)
// both store through it.

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/field_value.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt {

// `target` := to_json(value), in place where it can be.
inline void assign_scalar(std::optional<FieldValue>& target, const FieldScalar& value) {
  if (target) {
    target->assign(value);
  } else {
    target.emplace(value);
  }
}

// `target` := source (a value or a tombstone), a scalar by assign_scalar.
inline void assign_value(std::optional<FieldValue>& target, const std::optional<Json>& source) {
  if (!source) {
    target.reset();
  } else if (const std::optional<FieldScalar> scalar = scalar_of(*source)) {
    assign_scalar(target, *scalar);
  } else {
    target.emplace(*source);
  }
}

}  // namespace trellis::crdt
