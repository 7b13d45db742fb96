#pragma once
// A Dot names one event: the seq-th event originated by `replica` (seq >= 1,
// contiguous per replica). Dots are what causal contexts and OR-sets track;
// they say *which* events a replica has seen, not in which order they happened
// (that is the Stamp's job).

#include <compare>
#include <cstdint>
#include <functional>

#include "trellis/crdt/replica_id.hpp"

namespace trellis::crdt {

struct Dot {
  ReplicaId replica;
  std::uint64_t seq = 0;

  friend constexpr auto operator<=>(const Dot&, const Dot&) = default;
};

}  // namespace trellis::crdt

template <>
struct std::hash<trellis::crdt::Dot> {
  std::size_t operator()(const trellis::crdt::Dot& dot) const noexcept {
    // splitmix-style mix of both halves; dots of one replica differ only in seq.
    std::uint64_t h = dot.replica.value * 0x9E3779B97F4A7C15ull ^ dot.seq;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
  }
};
