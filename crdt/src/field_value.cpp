#include "trellis/crdt/field_value.hpp"

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "trellis/crdt/value_codec.hpp"

namespace trellis::crdt {

namespace {

// Whether a Json value is held boxed: the rule that keeps one form per value.
bool boxes(const Json& value) {
  if (value.is_string())
    return value.get_ref<const std::string&>().size() > FieldValue::kInlineText;
  return !scalar_of(value).has_value();
}

}  // namespace

FieldValue::FieldValue(const Json& value) : FieldValue() {
  if (boxes(value)) {
    set_boxed(new Json(value));
  } else {
    assign(*scalar_of(value));
  }
}

FieldValue::FieldValue(Json&& value) : FieldValue() {
  if (boxes(value)) {
    set_boxed(new Json(std::move(value)));
  } else {
    assign(*scalar_of(value));
  }
}

FieldValue::FieldValue(const FieldValue& other) : FieldValue() {
  if (const Json* json = other.boxed()) {
    set_boxed(new Json(*json));
  } else {
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
  }
}

FieldValue& FieldValue::operator=(const FieldValue& other) {
  if (this == &other) return *this;
  if (const Json* json = other.boxed()) {
    Json* copy = new Json(*json);  // before anything here changes
    set_boxed(copy);
  } else {
    release();
    std::memcpy(bytes_, other.bytes_, sizeof bytes_);
  }
  return *this;
}

void FieldValue::set_boxed(Json* json) noexcept {
  release();
  bytes_[0] = static_cast<unsigned char>(Kind::boxed);
  std::memcpy(bytes_ + 1, &json, sizeof json);
}

std::optional<FieldScalar> FieldValue::scalar() const {
  switch (kind()) {
    case Kind::null:
      return FieldScalar(nullptr);
    case Kind::boolean:
      return FieldScalar(bytes_[1] != 0);
    case Kind::integer:
      return FieldScalar(number<std::int64_t>());
    case Kind::unsigned_integer:
      return FieldScalar(number<std::uint64_t>());
    case Kind::floating:
      return FieldScalar(number<double>());
    case Kind::text:
      return FieldScalar(string());
    case Kind::boxed:
      return scalar_of(*boxed());
  }
  return std::nullopt;
}

Json FieldValue::to_json() const {
  if (const Json* json = boxed()) return *json;
  return crdt::to_json(*scalar());
}

void FieldValue::assign(const FieldScalar& value) {
  std::visit(
      [&](auto scalar) {
        using T = decltype(scalar);
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          release();
          bytes_[0] = static_cast<unsigned char>(Kind::null);
        } else if constexpr (std::is_same_v<T, bool>) {
          release();
          bytes_[0] = static_cast<unsigned char>(Kind::boolean);
          bytes_[1] = scalar ? 1 : 0;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          set_number(Kind::integer, scalar);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          set_number(Kind::unsigned_integer, scalar);
        } else if constexpr (std::is_same_v<T, double>) {
          set_number(Kind::floating, scalar);
        } else if (scalar.size() <= kInlineText) {
          // Copied out first: the text may be a view into this value.
          unsigned char text[kInlineText];
          std::memcpy(text, scalar.data(), scalar.size());
          release();
          bytes_[0] = static_cast<unsigned char>(Kind::text);
          bytes_[1] = static_cast<unsigned char>(scalar.size());
          std::memcpy(bytes_ + 2, text, scalar.size());
        } else if (kind() == Kind::boxed && boxed()->is_string()) {
          // The text may be a view of this very string: assign copes.
          boxed_mut()->get_ref<std::string&>().assign(scalar);
        } else {
          set_boxed(new Json(std::string(scalar)));
        }
      },
      value);
}

bool operator==(const FieldValue& a, const FieldValue& b) {
  if (a.kind() != b.kind()) {
    // Numbers of different kinds may still be equal (3 and 3.0), as in Json.
    return a.kind() != FieldValue::Kind::boxed && b.kind() != FieldValue::Kind::boxed &&
           a.to_json() == b.to_json();
  }
  switch (a.kind()) {
    case FieldValue::Kind::null:
      return true;
    case FieldValue::Kind::boolean:
      return a.bytes_[1] == b.bytes_[1];
    case FieldValue::Kind::integer:
      return a.number<std::int64_t>() == b.number<std::int64_t>();
    case FieldValue::Kind::unsigned_integer:
      return a.number<std::uint64_t>() == b.number<std::uint64_t>();
    case FieldValue::Kind::floating:
      return a.number<double>() == b.number<double>();
    case FieldValue::Kind::text:
      return a.string() == b.string();
    case FieldValue::Kind::boxed:
      return *a.boxed() == *b.boxed();
  }
  return false;
}

bool lww_tie_less(const FieldValue& a, const FieldValue& b) {
  return encode_value(a.to_json()) < encode_value(b.to_json());
}

}  // namespace trellis::crdt
