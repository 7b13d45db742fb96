#include "entity_validation.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "trellis/crdt/limits.hpp"

namespace trellis::crdt {

namespace {

// The rules for a scalar value, in one place: finite numbers, strings of
// valid text. False for containers and for anything that is not JSON.
bool is_valid_scalar(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::boolean:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return true;
    case Json::value_t::number_float:
      return std::isfinite(value.get_ref<const double&>());
    case Json::value_t::string:
      return is_valid_text(value.get_ref<const std::string&>());
    default:
      return false;
  }
}

std::optional<Error> validate_value_at(const Json& value, std::string_view where,
                                       std::size_t depth) {
  if (depth > limits::kMaxValueDepth) {
    return make_error(ErrorCode::limit_exceeded,
                      "value of '" + std::string(where) + "' is nested too deeply");
  }
  if (is_valid_scalar(value)) return std::nullopt;
  // What is left: containers, and the refusals, each naming its rule.
  switch (value.type()) {
    case Json::value_t::number_float:
      return make_error(ErrorCode::invalid_argument,
                        "value of '" + std::string(where) + "' is not a finite number");
    case Json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (text.size() > limits::kMaxStringBytes) {
        return make_error(ErrorCode::limit_exceeded,
                          "a string in '" + std::string(where) + "' is too long");
      }
      return make_error(ErrorCode::invalid_argument,
                        "a string in '" + std::string(where) + "' is not UTF-8");
    }
    case Json::value_t::array:
    case Json::value_t::object:
      if (value.size() > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded,
                          "a container in '" + std::string(where) + "' has too many elements");
      }
      for (const auto& [key, element] : value.items()) {
        if (value.is_object() && !is_valid_text(key)) {
          if (key.size() > limits::kMaxStringBytes) {
            return make_error(ErrorCode::limit_exceeded,
                              "an object key in '" + std::string(where) + "' is too long");
          }
          return make_error(ErrorCode::invalid_argument,
                            "an object key in '" + std::string(where) + "' is not UTF-8");
        }
        if (auto error = validate_value_at(element, where, depth + 1)) return error;
      }
      return std::nullopt;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return make_error(ErrorCode::invalid_argument,
                        "value of '" + std::string(where) + "' is not JSON");
    default:
      return std::nullopt;
  }
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t size = text.size();
  // A run of ASCII, nearly all text, first: eight bytes at a time, then
  // the rest of the run byte by byte.
  for (; size - i >= 8; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    if ((word & 0x8080808080808080ull) != 0) break;
  }
  while (i < size && static_cast<unsigned char>(text[i]) < 0x80)
    ++i;
  while (i < size) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    std::uint32_t code;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code = byte & 0x07;
    } else {
      return false;
    }
    if (i + length > size) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    // No overlong forms, no surrogates, nothing past U+10FFFF.
    static constexpr std::uint32_t kMinimum[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Below, each refusal names the first rule broken, in the order the rules
// are listed; the rules themselves are the is_valid_* predicates.
std::optional<Error> validate_id(std::string_view id) {
  if (is_valid_id(id)) return std::nullopt;
  if (id.empty()) return make_error(ErrorCode::invalid_argument, "an id must not be empty");
  if (!is_utf8(id)) return make_error(ErrorCode::invalid_argument, "an id is not UTF-8");
  return make_error(ErrorCode::limit_exceeded,
                    "an id is longer than " + std::to_string(limits::kMaxIdBytes) + " bytes");
}

std::optional<Error> validate_field_name(std::string_view name) {
  if (is_valid_field_name(name)) return std::nullopt;
  if (!is_utf8(name)) {
    return make_error(ErrorCode::invalid_argument, "a field name is not UTF-8");
  }
  return make_error(
      ErrorCode::limit_exceeded,
      "a field name is longer than " + std::to_string(limits::kMaxFieldNameBytes) + " bytes");
}

std::optional<Error> validate_field_key(const FieldKey& key) {
  if (key.scope == FieldKey::Scope::top && (key.name == "id" || key.name == "data")) {
    return make_error(ErrorCode::invalid_argument,
                      "'" + std::string(key.name) + "' is not a field (use the id, or data keys)");
  }
  return validate_field_name(key.name);
}

std::optional<Error> validate_value(const Json& value, std::string_view where) {
  // A valid scalar, nearly every value written, without the call below.
  if (is_valid_scalar(value)) return std::nullopt;
  return validate_value_at(value, where, 1);
}

std::optional<Error> validate_value(const FieldValue& value, std::string_view where) {
  if (const Json* boxed = value.boxed()) return validate_value(*boxed, where);
  const FieldScalar scalar = *value.scalar();
  if (is_valid_scalar(scalar)) return std::nullopt;
  return validate_value(to_json(scalar), where);
}

}  // namespace trellis::crdt
