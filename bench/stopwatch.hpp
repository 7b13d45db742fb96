#pragma once
// Milliseconds on the monotonic clock, for the timed regions of
// graph-workload.md §4, and the CPU time this thread spent meanwhile. The
// spec's figures are wall time; on a shared machine a wall time well above
// the CPU time shows that the run waited for a core.

#include <time.h>

#include <chrono>

namespace trellis::bench {

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()), cpu_start_ns_(thread_cpu_ns()) {}

  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
        .count();
  }
  double cpu_ms() const { return (thread_cpu_ns() - cpu_start_ns_) / 1e6; }

 private:
  static long long thread_cpu_ns() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
  }

  std::chrono::steady_clock::time_point start_;
  long long cpu_start_ns_;
};

}  // namespace trellis::bench
