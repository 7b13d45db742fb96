#pragma once
// OrSet<K>: an add-wins observed-remove set, dot-based (Almeida et al.'s
// AWORSet). Each element is supported by the dots of the adds that created
// it; remove() drops the dots it has observed and records nothing else: the
// causal context alone remembers that those dots existed, so removed
// elements leave no tombstone. An add concurrent with a remove carries a dot
// the remover never saw, so it survives: add wins.
//
// Every mutator returns a delta, itself an OrSet; join() of states and deltas
// is idempotent, commutative and associative.

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/dot_set.hpp"
#include "trellis/crdt/replica_id.hpp"

namespace trellis::crdt {

template <class K, class Hash = std::hash<K>>
class OrSet {
 public:
  bool contains(const K& element) const { return entries_.count(element) != 0; }
  std::size_t size() const { return entries_.size(); }

  // The elements, sorted.
  std::vector<K> elements() const {
    std::vector<K> out;
    out.reserve(entries_.size());
    for (const auto& [element, dots] : entries_)
      out.push_back(element);
    std::sort(out.begin(), out.end());
    return out;
  }

  // Adds `element` with a fresh dot of `self`; the dots the add replaces are
  // in the delta's context, so the element ends up with one dot.
  OrSet add(ReplicaId self, const K& element) {
    OrSet delta;
    Dot dot = context_.next_dot(self);
    delta.entries_[element] = DotSet{dot};
    delta.context_.insert(dot);
    if (auto it = entries_.find(element); it != entries_.end()) {
      for (Dot old : it->second)
        delta.context_.insert(old);
    }
    join(delta);
    return delta;
  }

  // Removes the element as observed here: its dots go into the delta's
  // context, and nothing else. Removing an absent element is a no-op delta.
  OrSet remove(const K& element) {
    OrSet delta;
    if (auto it = entries_.find(element); it != entries_.end()) {
      for (Dot old : it->second)
        delta.context_.insert(old);
    }
    join(delta);
    return delta;
  }

  void join(const OrSet& other) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (other.entries_.count(it->first) == 0) {
        DotSet kept = join_dot_sets(it->second, context_, {}, other.context_);
        if (kept.empty()) {
          it = entries_.erase(it);
          continue;
        }
        it->second = std::move(kept);
      }
      ++it;
    }
    for (const auto& [element, their_dots] : other.entries_) {
      auto mine = entries_.find(element);
      DotSet joined = join_dot_sets(mine == entries_.end() ? DotSet{} : mine->second, context_,
                                    their_dots, other.context_);
      if (joined.empty()) {
        if (mine != entries_.end()) entries_.erase(mine);
      } else {
        entries_[element] = std::move(joined);
      }
    }
    context_.join(other.context_);
  }

  const CausalContext& context() const { return context_; }
  const std::unordered_map<K, DotSet, Hash>& entries() const { return entries_; }

  friend bool operator==(const OrSet& a, const OrSet& b) {
    return a.entries_ == b.entries_ && a.context_ == b.context_;
  }

 private:
  std::unordered_map<K, DotSet, Hash> entries_;
  CausalContext context_;
};

}  // namespace trellis::crdt
