#pragma once
// A Stamp orders writes for last-writer-wins: (Lamport counter, replica id) is
// a total order that extends causality (a write that saw another has a larger
// counter). Wall time never enters it.
//
// A Stamp also carries its event's per-replica sequence number, so that the
// write it orders can be named as a Dot (for causal contexts and anti-entropy).
// For every well-formed history seq is a function of (counter, replica): a
// replica's counter strictly increases with each of its own events. Comparing
// seq last keeps the order total and consistent with == even for hostile input
// that pairs one (counter, replica) with two seqs.

#include <compare>
#include <cstdint>

#include "trellis/crdt/dot.hpp"
#include "trellis/crdt/replica_id.hpp"

namespace trellis::crdt {

struct Stamp {
  std::uint64_t counter = 0;
  ReplicaId replica;
  std::uint64_t seq = 0;

  constexpr Dot dot() const { return Dot{replica, seq}; }
  friend constexpr auto operator<=>(const Stamp&, const Stamp&) = default;
};

}  // namespace trellis::crdt
