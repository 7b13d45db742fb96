#pragma once
// VersionVector: for each replica, the highest seq such that every event
// 1..seq of that replica is included. It is the compact part of a
// CausalContext, and what sync peers exchange to say what they have.
// Join is the pointwise maximum. Replicas absent from the vector are at 0.

#include <cstdint>
#include <utility>
#include <vector>

#include "trellis/crdt/dot.hpp"
#include "trellis/crdt/replica_id.hpp"

namespace trellis::crdt {

class VersionVector {
 public:
  using Entry = std::pair<ReplicaId, std::uint64_t>;

  VersionVector() = default;

  std::uint64_t get(ReplicaId replica) const {
    if (entries_.size() > kScanned) return get_searched(replica);
    const Entry* entry = scan(*this, replica);
    return entry ? entry->second : 0;
  }
  // Raises the entry of `replica` to at least `seq`.
  void raise(ReplicaId replica, std::uint64_t seq);
  // Raises the entry of `replica` to `seq` when it stands at seq - 1 (`seq`
  // is the next event in sequence) and returns true; otherwise returns false
  // and changes nothing. One lookup, where get() then raise() take two: the
  // common case of CausalContext::insert.
  bool advance(ReplicaId replica, std::uint64_t seq) {
    // A document hears from a few replicas: scanned inline (every received
    // transaction advances an entry), searched when there are many.
    if (entries_.size() <= kScanned) {
      if (Entry* entry = scan(*this, replica)) return advance_entry(*entry, seq);
    }
    return advance_searched(replica, seq);
  }
  bool contains(Dot dot) const { return dot.seq != 0 && dot.seq <= get(dot.replica); }

  void join(const VersionVector& other);
  // True when every entry of this vector is <= the other's (this happened-before-or-equal).
  bool dominated_by(const VersionVector& other) const;

  // Entries sorted by replica id, none at 0.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // Empties the vector, keeping its capacity for reuse.
  void clear() { entries_.clear(); }
  // Number of events the vector covers (sum of entries).
  std::uint64_t event_count() const;

  friend bool operator==(const VersionVector&, const VersionVector&) = default;

 private:
  static constexpr std::size_t kScanned = 8;
  // The entry of `replica` by a linear scan, or null: for at most kScanned
  // entries, where it beats the binary search. `self` is *this, const or not.
  template <class Self>
  static auto scan(Self& self, ReplicaId replica) -> decltype(self.entries_.data()) {
    for (auto& entry : self.entries_) {
      if (entry.first == replica) return &entry;
    }
    return nullptr;
  }
  // advance() on the entry found.
  static bool advance_entry(Entry& entry, std::uint64_t seq) {
    if (entry.second + 1 != seq) return false;
    entry.second = seq;
    return true;
  }
  bool advance_searched(ReplicaId replica, std::uint64_t seq);
  std::uint64_t get_searched(ReplicaId replica) const;

  std::vector<Entry> entries_;
};

}  // namespace trellis::crdt
