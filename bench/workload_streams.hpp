#pragma once
// Generators of the W1, W2 and W3 operation streams (graph-workload.md §3).
// Each stream has its own PRNG, seeded as the spec fixes; generation is
// never part of a timed region.

#include <cstdint>

#include "workload_ops.hpp"

namespace trellis::bench {

// The spec's default sizes; the §6 digests hold only for these.
struct WorkloadSizes {
  std::uint32_t node_count = 10000;             // N
  std::uint32_t edge_count = 10000;             // E
  std::uint32_t update_count = 100000;          // M
  std::uint32_t merge_ops_per_replica = 10000;  // K
};

enum class MergeReplica : char { a = 'A', b = 'B' };

inline constexpr std::uint32_t kW1Seed = 1;
inline constexpr std::uint32_t kW2Seed = 2;
inline constexpr std::uint32_t kW3SeedA = 3;
inline constexpr std::uint32_t kW3SeedB = 4;

// N node adds "n0".., then E edge adds "e0".. between distinct nodes.
OpStream generate_w1(const WorkloadSizes& sizes);
// M parameter writes to random W1 nodes.
OpStream generate_w2(const WorkloadSizes& sizes);
// K mixed ops (70% S, 15% P, 10% N, 5% D) of one W3 replica, from its own view.
OpStream generate_w3(const WorkloadSizes& sizes, MergeReplica replica);

}  // namespace trellis::bench
