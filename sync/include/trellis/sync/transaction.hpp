#pragma once
// The dot of a local transaction: the event a mutator's delta stands for.

#include <optional>

#include "trellis/crdt/graph_doc.hpp"

namespace trellis::sync {

// The dot of the transaction that made `delta` on replica `self`: the
// newest dot of `self` in its context (the others are removed dots, already
// known). nullopt when the mutator changed nothing.
std::optional<crdt::Dot> transaction_dot(const crdt::GraphDoc& delta, crdt::ReplicaId self);

}  // namespace trellis::sync
