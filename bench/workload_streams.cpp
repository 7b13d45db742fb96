#include "workload_streams.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "workload_draws.hpp"

namespace trellis::bench {
namespace {

std::string node_id(std::uint32_t index) {
  return "n" + std::to_string(index);
}

}  // namespace

OpStream generate_w1(const WorkloadSizes& sizes) {
  WorkloadDraws draws(kW1Seed);
  OpStream ops;
  ops.reserve(sizes.node_count + sizes.edge_count);
  for (std::uint32_t i = 0; i < sizes.node_count; ++i) {
    ops.push_back(AddNode{node_id(i), std::make_shared<const NodeSpec>(draws.node())});
  }
  for (std::uint32_t j = 0; j < sizes.edge_count; ++j) {
    std::uint32_t source = draws.rand_int(sizes.node_count);
    // Adding 1..N-1 modulo N never lands on the source: no self-loops.
    std::uint32_t target = (source + 1 + draws.rand_int(sizes.node_count - 1)) % sizes.node_count;
    ops.push_back(AddEdge{"e" + std::to_string(j), node_id(source), node_id(target)});
  }
  return ops;
}

OpStream generate_w2(const WorkloadSizes& sizes) {
  WorkloadDraws draws(kW2Seed);
  OpStream ops;
  ops.reserve(sizes.update_count);
  for (std::uint32_t i = 0; i < sizes.update_count; ++i) {
    std::string id = node_id(draws.rand_int(sizes.node_count));
    std::size_t key = draws.rand_int(kParamCount);
    ops.push_back(SetParam{std::move(id), key, draws.value(key)});
  }
  return ops;
}

OpStream generate_w3(const WorkloadSizes& sizes, MergeReplica replica) {
  WorkloadDraws draws(replica == MergeReplica::a ? kW3SeedA : kW3SeedB);
  const std::string added_prefix = std::string("n") + static_cast<char>(replica);

  // The replica's own view of which nodes exist, in the order the spec fixes:
  // deletes swap the last id into the hole.
  std::vector<std::string> live;
  live.reserve(sizes.node_count + sizes.merge_ops_per_replica);
  for (std::uint32_t i = 0; i < sizes.node_count; ++i)
    live.push_back(node_id(i));
  std::uint32_t added = 0;

  OpStream ops;
  ops.reserve(sizes.merge_ops_per_replica);
  for (std::uint32_t i = 0; i < sizes.merge_ops_per_replica; ++i) {
    std::uint32_t choice = draws.rand_int(100);
    auto live_count = static_cast<std::uint32_t>(live.size());
    if (choice < 70) {
      std::string id = live[draws.rand_int(live_count)];
      std::size_t key = draws.rand_int(kParamCount);
      ops.push_back(SetParam{std::move(id), key, draws.value(key)});
    } else if (choice < 85) {
      std::string id = live[draws.rand_int(live_count)];
      double x = draws.coord();
      double y = draws.coord();
      ops.push_back(SetPosition{std::move(id), x, y});
    } else if (choice < 95) {
      std::string id = added_prefix + std::to_string(added++);
      live.push_back(id);
      ops.push_back(AddNode{std::move(id), std::make_shared<const NodeSpec>(draws.node())});
    } else {
      std::uint32_t slot = draws.rand_int(live_count);
      std::swap(live[slot], live.back());
      std::string id = std::move(live.back());
      live.pop_back();
      ops.push_back(DeleteNode{std::move(id)});
    }
  }
  return ops;
}

}  // namespace trellis::bench
