#include "entity_validation.hpp"

#include <cmath>

#include "trellis/crdt/limits.hpp"

namespace trellis::crdt {

namespace {

std::optional<Error> validate_value_at(const Json& value, std::string_view where,
                                       std::size_t depth) {
  if (depth > limits::kMaxValueDepth) {
    return make_error(ErrorCode::limit_exceeded,
                      "value of '" + std::string(where) + "' is nested too deeply");
  }
  switch (value.type()) {
    case Json::value_t::number_float:
      if (!std::isfinite(value.get<double>())) {
        return make_error(ErrorCode::invalid_argument,
                          "value of '" + std::string(where) + "' is not a finite number");
      }
      return std::nullopt;
    case Json::value_t::string:
      if (value.get_ref<const std::string&>().size() > limits::kMaxStringBytes) {
        return make_error(ErrorCode::limit_exceeded,
                          "a string in '" + std::string(where) + "' is too long");
      }
      return std::nullopt;
    case Json::value_t::array:
    case Json::value_t::object:
      if (value.size() > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded,
                          "a container in '" + std::string(where) + "' has too many elements");
      }
      for (const auto& [key, element] : value.items()) {
        if (value.is_object() && key.size() > limits::kMaxStringBytes) {
          return make_error(ErrorCode::limit_exceeded,
                            "an object key in '" + std::string(where) + "' is too long");
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

std::optional<Error> validate_id(std::string_view id) {
  if (id.empty()) return make_error(ErrorCode::invalid_argument, "an id must not be empty");
  if (id.size() > limits::kMaxIdBytes) {
    return make_error(ErrorCode::limit_exceeded,
                      "an id is longer than " + std::to_string(limits::kMaxIdBytes) + " bytes");
  }
  return std::nullopt;
}

std::optional<Error> validate_field_name(std::string_view name) {
  if (name.size() > limits::kMaxFieldNameBytes) {
    return make_error(
        ErrorCode::limit_exceeded,
        "a field name is longer than " + std::to_string(limits::kMaxFieldNameBytes) + " bytes");
  }
  return std::nullopt;
}

std::optional<Error> validate_field_key(const FieldKey& key) {
  if (key.scope == FieldKey::Scope::top && (key.name == "id" || key.name == "data")) {
    return make_error(ErrorCode::invalid_argument,
                      "'" + key.name + "' is not a field (use the id, or data keys)");
  }
  return validate_field_name(key.name);
}

std::optional<Error> validate_value(const Json& value, std::string_view where) {
  return validate_value_at(value, where, 1);
}

}  // namespace trellis::crdt
