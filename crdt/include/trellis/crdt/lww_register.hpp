#pragma once
// LwwRegister<T>: a last-writer-wins register. The write with the larger Stamp
// wins; Stamps are Lamport (counter, replica) pairs, so a write that saw
// another always beats it and concurrent writes are decided the same way on
// every replica. Equal stamps with different values (possible only with
// forged input) are decided by the larger value, which keeps join commutative.
// T must be totally ordered by operator<.

#include <utility>

#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

template <class T>
struct LwwRegister {
  T value{};
  Stamp stamp{};

  // True when `other` wins over this register.
  bool loses_to(const LwwRegister& other) const {
    if (other.stamp != stamp) return stamp < other.stamp;
    return value < other.value;
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
