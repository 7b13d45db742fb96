#include "trellis/crdt/causal_context.hpp"

#include <algorithm>

namespace trellis::crdt {

bool CausalContext::contains(Dot dot) const {
  if (compact_.contains(dot)) return true;
  return !cloud_.empty() && std::binary_search(cloud_.begin(), cloud_.end(), dot);
}

Dot CausalContext::next_dot(ReplicaId replica) const {
  std::uint64_t highest = compact_.get(replica);
  if (cloud_.empty()) return Dot{replica, highest + 1};
  // The cloud is sorted by (replica, seq): the last dot of `replica` is its highest.
  auto end = std::upper_bound(cloud_.begin(), cloud_.end(), Dot{replica, UINT64_MAX});
  if (end != cloud_.begin() && std::prev(end)->replica == replica) {
    highest = std::max(highest, std::prev(end)->seq);
  }
  return Dot{replica, highest + 1};
}

void CausalContext::insert(Dot dot) {
  if (dot.seq == 0) return;
  // The next dot of its replica, with no cloud to fold in: nearly every
  // insert, local or received in order.
  if (cloud_.empty() && compact_.advance(dot.replica, dot.seq)) return;
  const std::uint64_t compact_seq = compact_.get(dot.replica);
  if (dot.seq <= compact_seq) return;
  if (dot.seq == compact_seq + 1) {
    // Fold in the cloud dots of this replica that now extend the vector:
    // they sit right after (replica, seq) in the sorted cloud. Only this
    // replica's run is looked at, so inserting n dots stays O(n log n).
    std::uint64_t top = dot.seq;
    auto first = std::upper_bound(cloud_.begin(), cloud_.end(), dot);
    auto last = first;
    while (last != cloud_.end() && last->replica == dot.replica && last->seq == top + 1) {
      ++top;
      ++last;
    }
    compact_.raise(dot.replica, top);
    if (first != last) cloud_.erase(first, last);
    return;
  }
  auto at = std::lower_bound(cloud_.begin(), cloud_.end(), dot);
  if (at == cloud_.end() || *at != dot) cloud_.insert(at, dot);
}

bool CausalContext::insert_new_otherwise(Dot dot) {
  if (contains(dot)) return false;
  insert(dot);
  return true;
}

void CausalContext::insert_up_to(ReplicaId replica, std::uint64_t seq) {
  if (seq <= compact_.get(replica)) return;
  compact_.raise(replica, seq);
  absorb_cloud();
}

void CausalContext::join(const CausalContext& other) {
  // A transaction's context is mostly one cloud dot: no vector to join.
  // Only a raised vector can cover or extend cloud dots, so the cloud is
  // folded only then: joining a dot into a context with a large cloud (an
  // outbox whose dots do not start at 1) stays O(log n), not a pass over it.
  if (!other.compact_.empty()) {
    compact_.join(other.compact_);
    if (!cloud_.empty()) absorb_cloud();
  }
  if (other.cloud_.size() <= 8) {
    // Deltas carry a dot or two: insert them (each in place) rather than
    // merging whole clouds.
    for (const Dot& dot : other.cloud_)
      insert(dot);
    return;
  }
  std::vector<Dot> merged;
  merged.reserve(cloud_.size() + other.cloud_.size());
  std::set_union(cloud_.begin(), cloud_.end(), other.cloud_.begin(), other.cloud_.end(),
                 std::back_inserter(merged));
  cloud_ = std::move(merged);
  absorb_cloud();
}

CausalContext CausalContext::from_parts(std::vector<Dot> vector_entries, std::vector<Dot> cloud) {
  std::sort(vector_entries.begin(), vector_entries.end());
  std::sort(cloud.begin(), cloud.end());
  cloud.erase(std::unique(cloud.begin(), cloud.end()), cloud.end());
  CausalContext context;
  // Replicas ascending, so every raise appends to the vector.
  auto entry = vector_entries.begin();
  auto dot = cloud.begin();
  while (entry != vector_entries.end() || dot != cloud.end()) {
    const ReplicaId replica =
        dot == cloud.end() || (entry != vector_entries.end() && entry->replica < dot->replica)
            ? entry->replica
            : dot->replica;
    std::uint64_t top = 0;
    for (; entry != vector_entries.end() && entry->replica == replica; ++entry) {
      top = std::max(top, entry->seq);
    }
    for (; dot != cloud.end() && dot->replica == replica; ++dot) {
      if (dot->seq <= top) continue;
      if (dot->seq == top + 1) {
        top = dot->seq;
      } else {
        context.cloud_.push_back(*dot);
      }
    }
    context.compact_.raise(replica, top);
  }
  return context;
}

void CausalContext::clear() {
  compact_.clear();
  cloud_.clear();
}

void CausalContext::absorb_cloud() {
  // Drop cloud dots the vector covers and fold in those that extend it, in
  // place. The cloud is sorted by replica then seq, so one pass suffices.
  auto kept = cloud_.begin();
  for (const Dot& dot : cloud_) {
    const std::uint64_t compact_seq = compact_.get(dot.replica);
    if (dot.seq <= compact_seq) continue;
    if (dot.seq == compact_seq + 1) {
      compact_.raise(dot.replica, dot.seq);
      continue;
    }
    *kept++ = dot;
  }
  cloud_.erase(kept, cloud_.end());
}

}  // namespace trellis::crdt
