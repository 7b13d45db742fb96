#pragma once
// DotSet: the dots that currently support one element of an OR-set (usually
// exactly one: the add that created it; more after concurrent adds).
// join_dot_sets is the single rule of the dot kernel (Almeida et al.): a dot
// survives if both sides hold it, or if one side holds it and the other side
// has never seen it. A dot one side holds and the other has seen but dropped
// was removed, and stays removed. This is the whole of observed-remove.

#include <algorithm>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/dot.hpp"

namespace trellis::crdt {

// Sorted, no duplicates.
using DotSet = std::vector<Dot>;

inline DotSet join_dot_sets(const DotSet& mine, const CausalContext& my_context,
                            const DotSet& theirs, const CausalContext& their_context) {
  DotSet joined;
  joined.reserve(mine.size() + theirs.size());
  auto a = mine.begin();
  auto b = theirs.begin();
  while (a != mine.end() || b != theirs.end()) {
    if (b == theirs.end() || (a != mine.end() && *a < *b)) {
      if (!their_context.contains(*a)) joined.push_back(*a);
      ++a;
    } else if (a == mine.end() || *b < *a) {
      if (!my_context.contains(*b)) joined.push_back(*b);
      ++b;
    } else {
      joined.push_back(*a);
      ++a;
      ++b;
    }
  }
  return joined;
}

// Inserts keeping the set sorted; returns false when already present.
inline bool insert_dot(DotSet& dots, Dot dot) {
  auto at = std::lower_bound(dots.begin(), dots.end(), dot);
  if (at != dots.end() && *at == dot) return false;
  dots.insert(at, dot);
  return true;
}

}  // namespace trellis::crdt
