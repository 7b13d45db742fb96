#pragma once
// Numbers in the canonical forms of graph-workload.md §5: the shortest decimal
// that round-trips to the same double, in fixed notation, no trailing ".0"
// (JavaScript's String(x) for every value the workload produces).

#include <cstdint>
#include <string>

namespace trellis::bench {

void append_number(std::string& out, double value);
void append_integer(std::string& out, std::int64_t value);

}  // namespace trellis::bench
