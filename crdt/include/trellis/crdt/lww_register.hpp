#pragma once
// LwwRegister<T>: a last-writer-wins register. The write with the larger Stamp
// wins; Stamps are Lamport (counter, replica) pairs, so a write that saw
// another always beats it and concurrent writes are decided the same way on
// every replica. Equal stamps with different values (possible only with
// forged input) are decided by the larger value in a total order
// (lww_tie_less), which keeps join commutative even then.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "trellis/crdt/json.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

// A strict total order used only to break ties between equal stamps.
template <class T>
bool lww_tie_less(const T& a, const T& b) {
  return a < b;
}

// value_codec.hpp (declared here: that header includes this one).
std::vector<std::uint8_t> encode_value(const Json& value);

// nlohmann's operator< calls 3 and 3.0 (and 0.0 and -0.0) equal, and so
// anything containing them: order by the canonical encoding instead, which
// tells every distinct value apart.
inline bool lww_tie_less(const Json& a, const Json& b) {
  return encode_value(a) < encode_value(b);
}

// An absent value (a tombstone) orders before every value.
template <class T>
bool lww_tie_less(const std::optional<T>& a, const std::optional<T>& b) {
  if (!a || !b) return !a && b;
  return lww_tie_less(*a, *b);
}

template <class T>
struct LwwRegister {
  T value{};
  Stamp stamp{};

  // True when `other` wins over this register.
  bool loses_to(const LwwRegister& other) const {
    if (other.stamp != stamp) return stamp < other.stamp;
    return lww_tie_less(value, other.value);
  }

  // Join: keep the winner. Returns true when this register changed.
  bool join(const LwwRegister& other) {
    if (!loses_to(other)) return false;
    *this = other;
    return true;
  }

  // Local write: the caller issues `stamp` from its clock, so it wins.
  LwwRegister assign(T new_value, Stamp new_stamp) {
    LwwRegister delta{std::move(new_value), new_stamp};
    join(delta);
    return delta;
  }

  friend bool operator==(const LwwRegister&, const LwwRegister&) = default;
};

}  // namespace trellis::crdt
