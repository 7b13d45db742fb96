#pragma once
// Mulberry32, the 32-bit PRNG that graph-workload.md §2 fixes: every
// implementation of the workload (this one, the Node harness) seeds it the same
// way and so draws the same operation streams, bit for bit.

#include <cstdint>

namespace trellis::bench {

class Mulberry32 {
 public:
  explicit Mulberry32(std::uint32_t seed) : state_(seed) {}

  // Unsigned arithmetic wraps mod 2^32, exactly as the spec's reference code.
  std::uint32_t next() {
    state_ += 0x6D2B79F5u;
    std::uint32_t t = state_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return t ^ (t >> 14);
  }

 private:
  std::uint32_t state_;
};

}  // namespace trellis::bench
