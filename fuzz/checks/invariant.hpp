#pragma once
// How the checks of fuzz/checks report what they find. Inside a check,
// require() throws InvariantBroken at the first broken invariant; guarded()
// at the check's boundary turns it, or any exception escaping the code under
// test, into the Violation the fuzz target aborts on. The exception never
// leaves the check.

#include <exception>
#include <string>
#include <string_view>
#include <utility>

#include "checks.hpp"

namespace trellis::fuzz {

struct InvariantBroken {
  std::string what;
};

inline void require(bool holds, std::string_view what) {
  if (!holds) throw InvariantBroken{std::string(what)};
}

// Runs `body`; its first broken invariant, or an exception it let escape.
template <class Body>
Violation guarded(Body&& body) {
  try {
    std::forward<Body>(body)();
    return std::nullopt;
  } catch (const InvariantBroken& broken) {
    return broken.what;
  } catch (const std::exception& error) {
    return std::string("an exception escaped: ") + error.what();
  }
}

// The fuzzer's bytes read front to back as small choices; past the end every
// read gives 0, so any input is a complete program.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool done() const { return at_ >= size_; }
  std::uint8_t next() { return done() ? 0 : data_[at_++]; }
  // A number in [0, bound), bound >= 1.
  std::size_t below(std::size_t bound) { return next() % bound; }
  // The rest of the input as text.
  std::string_view rest() {
    std::string_view text(reinterpret_cast<const char*>(data_) + at_, size_ - at_);
    at_ = size_;
    return text;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace trellis::fuzz
