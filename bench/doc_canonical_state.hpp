#pragma once
// Reads a GraphDoc into the workload's canonical state (canonical_state.hpp):
// every present node's `type`, `position` and data keys, and every present
// edge's `source` and `target`, read from the entity's own fields (not from
// edges_view(), which hides edges whose endpoints are gone: the spec keeps
// such dangling edges in the state).

#include <string>

#include "canonical_state.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::bench {

// Throws BenchFailure when an entity lacks a field the workload always sets
// or holds a value of a type the workload never writes.
CanonicalGraph canonical_graph_of(const crdt::GraphDoc& doc);
std::string state_digest(const crdt::GraphDoc& doc);

}  // namespace trellis::bench
