#pragma once
// The derived draws of graph-workload.md §2 (randInt, coord, fparam, ...), each
// consuming exactly the number of mulberry32 outputs the spec says, in the
// spec's order. Changing the order of any draw changes every later op.

#include <cstdint>
#include <string>

#include "mulberry32.hpp"
#include "workload_ops.hpp"

namespace trellis::bench {

class WorkloadDraws {
 public:
  explicit WorkloadDraws(std::uint32_t seed) : rng_(seed) {}

  // Uniform in [0, bound), 1 <= bound <= 2^21; one draw.
  std::uint32_t rand_int(std::uint32_t bound);
  // [-10000, 10000] in steps of 0.01; one draw.
  double coord();
  // [-1000, 1000] in steps of 0.001; one draw.
  double fparam();
  // 0..999; one draw.
  std::int64_t iparam();
  // One of the four MODES; one draw.
  std::string mode();
  // Eight lowercase letters, first draw = first char; eight draws.
  std::string str8();
  // The value of parameter `key` (0..4) with that parameter's type.
  ParamValue value(std::size_t key);
  // type, x, y, p0..p4 in that order; 14 draws.
  NodeSpec node();

 private:
  Mulberry32 rng_;
};

}  // namespace trellis::bench
