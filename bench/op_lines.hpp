#pragma once
// The op-line text form of graph-workload.md §5 ("N <id> <type> <x> ..."), and
// the stream digest over it: SHA-256 of the concatenated lines. Matching the
// §6 stream digests proves this generator draws what every other harness draws.

#include <string>

#include "workload_ops.hpp"

namespace trellis::bench {

// Appends the op's line, '\n' included.
void append_op_line(std::string& out, const Op& op);
std::string stream_digest(const OpStream& ops);

}  // namespace trellis::bench
