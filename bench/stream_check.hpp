#pragma once
// Checks the generator against graph-workload.md: mulberry32's check values,
// the four stream digests of §6, and the W1/W2 state digests of §6 through the
// plain-map reference model (which pins the canonical printer). Needs no CRDT
// library, so it can run (and must pass) before any document is touched.

#include <ostream>

#include "workload_streams.hpp"

namespace trellis::bench {

// Prints one line per check to `log`; returns true when every check passed.
bool check_streams(const WorkloadSizes& sizes, std::ostream& log);

}  // namespace trellis::bench
