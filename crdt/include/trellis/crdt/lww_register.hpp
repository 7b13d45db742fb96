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

#include "trellis/crdt/json.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

// A strict total order used only to break ties between equal stamps.
template <class T>
bool lww_tie_less(const T& a, const T& b) {
  return a < b;
}

// nlohmann's operator< calls 3 and 3.0 equal (and so anything containing
// them): order by kind first, and containers by their canonical text.
inline bool lww_tie_less(const Json& a, const Json& b) {
  const auto kind_a = static_cast<std::uint8_t>(a.type());
  const auto kind_b = static_cast<std::uint8_t>(b.type());
  if (kind_a != kind_b) return kind_a < kind_b;
  if (a.is_structured()) return a.dump() < b.dump();
  return a < b;
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
