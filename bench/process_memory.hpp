#pragma once
// What this process holds in memory, for W5: the allocator's live bytes
// (glibc mallinfo2: in-use arena bytes plus mmapped chunks) and the resident
// set size. Both are sampled after malloc_trim(0), the closest C++ analogue of
// the forced GC the JS harness runs before each reading.

#include <cstddef>

namespace trellis::bench {

struct MemorySample {
  std::size_t live_bytes = 0;
  std::size_t rss_bytes = 0;
};

MemorySample sample_memory();

}  // namespace trellis::bench
