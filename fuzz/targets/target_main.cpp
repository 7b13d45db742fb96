// libFuzzer's entry point for every target: nothing when the check's
// invariants hold, else print the violation and abort, so that libFuzzer
// saves the input as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using trellis::fuzz::kTarget;
  if (trellis::fuzz::Violation violation = kTarget.check(data, size)) {
    std::fprintf(stderr, "\n%s: invariant violated: %s\n", kTarget.name, violation->c_str());
    std::abort();
  }
  return 0;
}
