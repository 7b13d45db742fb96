#pragma once
// Raised when a run is not the workload (a digest differs, a mutator or the
// decoder refuses an op): its numbers would be void, so the benchmark stops
// with a message and a non-zero exit instead of printing them.

#include <stdexcept>
#include <string>

namespace trellis::bench {

struct BenchFailure : std::runtime_error {
  explicit BenchFailure(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace trellis::bench
