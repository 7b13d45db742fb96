#pragma once
// What W3's merged state must look like whatever the tie-breaks: graph-workload.md
// leaves concurrent semantics to the implementation, but with GraphDoc's
// (remove wins over a concurrent field write, removing a node removes the
// edges its remover saw) the merged state is pinned down up to which writer
// wins each field. Catches merges that converge to the wrong thing.

#include "canonical_state.hpp"

namespace trellis::bench {

// `fork` is the state both replicas started from; `only_a` / `only_b` each
// replica's stream applied to it alone (reference model). Throws
// BenchFailure when `merged`
//   - holds a node other than: fork nodes neither side deleted, plus the nodes
//     each side added and kept;
//   - holds an edge other than the fork edges whose endpoints both survive;
//   - holds a field value (type, position as one {x, y} pair, each data key)
//     that neither replica's own state holds for that node.
void require_plausible_merge(const CanonicalGraph& merged, const CanonicalGraph& fork,
                             const CanonicalGraph& only_a, const CanonicalGraph& only_b);

}  // namespace trellis::bench
