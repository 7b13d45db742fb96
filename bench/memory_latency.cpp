// trellis_memory_latency: the time of one dependent random read, for
// buffers of growing size, to find where the caches a process gets end.
//
// W2 and W4 look up one node of 10,000 at random per edit, so how fast they
// run depends on whether what an edit touches fits the last-level cache.
// On a VM that share is not the CPU's data sheet figure; this measures it
// (docs/performance.md, "The cache, not the TLB").
//
//   trellis_memory_latency [--huge-pages]
//
// For each size, the buffer's 64-byte lines are linked into one random
// cycle and followed for 2,000,000 steps after a warm-up lap: each read
// needs the one before it, so the time per step is the latency of a line at
// that working-set size. With --huge-pages each buffer is 2 MiB aligned and
// madvise(MADV_HUGEPAGE)d, and the AnonHugePages the process then holds is
// printed: if the times do not move, the TLB is not what they measure. One
// JSON line per size. Asserts no timing.

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string_view>
#include <vector>

#include "stopwatch.hpp"

namespace {

constexpr std::size_t kLine = 64;
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kSteps = 2'000'000;

// AnonHugePages of this process, in KiB, or -1 when unreadable.
long anon_huge_pages_kib() {
  std::FILE* file = std::fopen("/proc/self/smaps_rollup", "r");
  if (!file) return -1;
  long kib = -1;
  char line[256];
  while (std::fgets(line, sizeof line, file)) {
    if (std::strncmp(line, "AnonHugePages:", 14) == 0) kib = std::strtol(line + 14, nullptr, 10);
  }
  std::fclose(file);
  return kib;
}

}  // namespace

int main(int argc, char** argv) {
  const bool huge_pages = argc == 2 && std::string_view(argv[1]) == "--huge-pages";
  if (argc > 2 || (argc == 2 && !huge_pages)) {
    std::fprintf(stderr, "usage: %s [--huge-pages]\n", argv[0]);
    return 2;
  }
  for (std::size_t mib : {1, 2, 3, 4, 5, 6, 8, 12, 16, 32}) {
    const std::size_t bytes = mib << 20;
    const std::size_t lines = bytes / kLine;
    // A whole number of huge pages, aligned to one (aligned_alloc's rule).
    auto* memory = static_cast<std::uint64_t*>(
        std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage));
    if (!memory) return 1;
    if (huge_pages) madvise(memory, bytes, MADV_HUGEPAGE);
    // Line order[i] links to line order[i + 1], the last back to the first.
    std::vector<std::size_t> order(lines);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 random(1);
    std::shuffle(order.begin() + 1, order.end(), random);
    constexpr std::size_t kWordsPerLine = kLine / sizeof(std::uint64_t);
    for (std::size_t i = 0; i < lines; ++i)
      memory[order[i] * kWordsPerLine] = order[(i + 1) % lines] * kWordsPerLine;
    std::uint64_t at = 0;
    for (std::size_t i = 0; i < lines; ++i)
      at = memory[at];
    const trellis::bench::Stopwatch chase;
    for (std::size_t i = 0; i < kSteps; ++i)
      at = memory[at];
    const double elapsed_ns = chase.elapsed_ms() * 1e6;
    // The chase's end is printed so that the compiler keeps the loop.
    std::printf(
        "{\"mib\":%zu,\"ns_per_read\":%.1f,\"huge_pages\":%s,\"anon_huge_pages_kib\":%ld,\"end\":%"
        "llu}\n",
        mib, elapsed_ns / double(kSteps), huge_pages ? "true" : "false", anon_huge_pages_kib(),
        static_cast<unsigned long long>(at % 2));
    std::free(memory);
  }
  return 0;
}
