#pragma once
// LamportClock: the replica-local logical clock that issues Stamps.
// tick() issues a stamp larger than every stamp this replica issued or
// observed; observe() folds in a counter seen on a remote write.

#include <algorithm>
#include <cstdint>

#include "trellis/crdt/replica_id.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

class LamportClock {
 public:
  LamportClock() = default;
  explicit LamportClock(ReplicaId replica, std::uint64_t counter = 0)
      : replica_(replica), counter_(counter) {}

  ReplicaId replica() const { return replica_; }
  std::uint64_t counter() const { return counter_; }

  // `seq` is the event's per-replica sequence number (its Dot), which the
  // caller takes from its causal context. The counter never falls below seq:
  // the encodings store counter - seq, and a replica reloaded from a state
  // whose later events left no stamps (removals) must not reuse counters.
  Stamp tick(std::uint64_t seq) {
    counter_ = std::max(counter_ + 1, seq);
    return Stamp{counter_, replica_, seq};
  }

  void observe(std::uint64_t remote_counter) { counter_ = std::max(counter_, remote_counter); }

 private:
  ReplicaId replica_;
  std::uint64_t counter_ = 0;
};

}  // namespace trellis::crdt
