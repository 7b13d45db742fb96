#pragma once
// Errors as values: every fallible operation of the library (mutators with bad
// input, decoders with malformed bytes) returns Result<T>. Nothing throws across
// the library's public boundary.

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trellis::crdt {

enum class ErrorCode {
  invalid_argument,     // input has the wrong shape or type (missing id, non-object data, ...)
  not_found,            // the node or edge the operation names is not present
  already_exists,       // add of an id that is already present
  limit_exceeded,       // input is larger than a documented limit (see limits.hpp)
  malformed,            // encoded bytes do not follow the format
  unsupported_version,  // encoded bytes are of a format version this build does not read
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  friend bool operator==(const Error&, const Error&) = default;
};

// A value or an error (an Error unless a layer names its own error type).
// Accessing the wrong alternative is a programming error and throws
// std::logic_error (it never happens on a checked path).
template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(E error) : state_(std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(checked()); }

  const E& error() const {
    if (ok()) throw std::logic_error("Result::error() on a value");
    return std::get<1>(state_);
  }

 private:
  T& checked() {
    if (!ok()) [[unlikely]]
      throw_value_on_error(std::get<1>(state_));
    return std::get<0>(state_);
  }
  // Out of line and cold, so that checked() is a test and a load wherever
  // it is inlined (a mutator's hot path reads a Result<Dot> twice).
  [[noreturn, gnu::cold, gnu::noinline]] static void throw_value_on_error(const E& error) {
    throw std::logic_error("Result::value() on an error: " + error.message);
  }

  std::variant<T, E> state_;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace trellis::crdt
