// The crdt_decode fuzz target: crdt::decode of GraphDoc states and deltas (docs/fuzzing.md).
#include "target.hpp"

const trellis::fuzz::Target trellis::fuzz::kTarget{"crdt_decode", trellis::fuzz::check_crdt_decode};
