#pragma once
// CausalContext: the set of events (dots) a state has seen, stored as a
// compacted VersionVector plus a "dot cloud" of dots that are not yet
// contiguous with it (events received out of order). insert() and join()
// compact eagerly, so two contexts holding the same dots are equal member for
// member. This is the causal context of the delta-state CRDT literature
// (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", 2018).

#include <cstdint>
#include <vector>

#include "trellis/crdt/dot.hpp"
#include "trellis/crdt/version_vector.hpp"

namespace trellis::crdt {

class CausalContext {
 public:
  CausalContext() = default;

  bool contains(Dot dot) const;
  // The next dot `replica` would issue: one past the highest seq of it known here.
  Dot next_dot(ReplicaId replica) const;
  void insert(Dot dot);
  // Inserts `dot` unless the context holds it already; returns false, and
  // changes nothing, when it does. One lookup where contains() then
  // insert() make two, for the usual case: the next dot of its replica.
  bool insert_new(Dot dot) {
    if (dot.seq != 0 && cloud_.empty() && compact_.advance(dot.replica, dot.seq)) return true;
    return insert_new_otherwise(dot);
  }
  // Inserts every dot 1..seq of `replica` (a version-vector entry), in O(1)
  // of seq.
  void insert_up_to(ReplicaId replica, std::uint64_t seq);
  void join(const CausalContext& other);
  // Builds a context from version-vector entries (replica, max seq) and
  // cloud dots in any order, in O(n log n) whatever their order (decoders
  // use it: a hostile order must not make them quadratic).
  static CausalContext from_parts(std::vector<Dot> vector_entries, std::vector<Dot> cloud);

  // Empties the context, keeping its capacity for reuse.
  void clear();

  const VersionVector& version_vector() const { return compact_; }
  // Sorted, disjoint from the version vector, never contiguous with it.
  const std::vector<Dot>& cloud() const { return cloud_; }
  // Number of dots represented (saturating).
  std::uint64_t dot_count() const {
    const std::uint64_t compact = compact_.event_count();
    return compact > UINT64_MAX - cloud_.size() ? UINT64_MAX : compact + cloud_.size();
  }
  bool empty() const { return compact_.empty() && cloud_.empty(); }

  // Calls f(Dot) for every dot represented, replica by replica, seq ascending
  // within the compact part. Cost is dot_count().
  template <class F>
  void for_each_dot(F&& f) const {
    for (const auto& [replica, max_seq] : compact_.entries()) {
      for (std::uint64_t seq = 1; seq <= max_seq; ++seq)
        f(Dot{replica, seq});
    }
    for (const Dot& dot : cloud_)
      f(dot);
  }

  friend bool operator==(const CausalContext&, const CausalContext&) = default;

 private:
  void absorb_cloud();
  // insert_new for a dot that is not the next of its replica, or with a cloud.
  bool insert_new_otherwise(Dot dot);

  VersionVector compact_;
  std::vector<Dot> cloud_;
};

}  // namespace trellis::crdt
