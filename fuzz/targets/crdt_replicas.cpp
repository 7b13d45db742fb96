// The crdt_replicas fuzz target: CRDT operations on 3 replicas with arbitrary delivery
// (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"crdt_replicas",
                                                   trellis::fuzz::check_crdt_replicas};
