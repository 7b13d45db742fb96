#pragma once
// The workload's ops applied to plain maps with no CRDT metadata, exactly as
// graph-workload.md §1 defines them (deletes leave edges dangling). It pins
// the canonical printer to the §6 state digests without any library, and is
// the yardstick a GraphDoc's state is compared with when a digest differs.

#include "canonical_state.hpp"
#include "workload_ops.hpp"

namespace trellis::bench {

void apply_to_reference(CanonicalGraph& graph, const Op& op);
void apply_to_reference(CanonicalGraph& graph, const OpStream& ops);

}  // namespace trellis::bench
