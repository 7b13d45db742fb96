#include "merge_check.hpp"

#include <set>
#include <string>
#include <vector>

#include "bench_failure.hpp"

namespace trellis::bench {
namespace {

const CanonicalNode* find_node(const CanonicalGraph& graph, const std::string& id) {
  auto it = graph.nodes.find(id);
  return it == graph.nodes.end() ? nullptr : &it->second;
}

bool survives(const std::string& id, const CanonicalGraph& fork, const CanonicalGraph& only_a,
              const CanonicalGraph& only_b) {
  bool in_a = only_a.nodes.count(id) != 0;
  bool in_b = only_b.nodes.count(id) != 0;
  // A fork node survives only if neither side deleted it; an added node
  // exists on one side only.
  return fork.nodes.count(id) != 0 ? in_a && in_b : in_a || in_b;
}

template <class Pick>
bool matches_a_writer(const CanonicalNode& merged, const std::vector<const CanonicalNode*>& writers,
                      Pick pick) {
  for (const CanonicalNode* writer : writers) {
    if (pick(*writer) == pick(merged)) return true;
  }
  return false;
}

void require_fields_from_writers(const std::string& id, const CanonicalNode& merged,
                                 const std::vector<const CanonicalNode*>& writers) {
  if (!matches_a_writer(merged, writers, [](const CanonicalNode& n) { return n.type; })) {
    throw BenchFailure("W3 merge: " + id + ".type comes from neither replica");
  }
  if (!matches_a_writer(merged, writers,
                        [](const CanonicalNode& n) { return std::pair(n.x, n.y); })) {
    throw BenchFailure("W3 merge: " + id + ".position is no replica's {x, y} pair");
  }
  if (merged.data.size() != writers.front()->data.size()) {
    throw BenchFailure("W3 merge: " + id + ".data has the wrong keys");
  }
  for (const auto& [key, value] : merged.data) {
    // Compared as printed: a codec may hand an integral f64 back as an integer.
    const std::string text = canonical_value(value);
    bool found = false;
    for (const CanonicalNode* writer : writers) {
      auto it = writer->data.find(key);
      found |= it != writer->data.end() && canonical_value(it->second) == text;
    }
    if (!found) throw BenchFailure("W3 merge: " + id + ".data." + key + " from neither replica");
  }
}

}  // namespace

void require_plausible_merge(const CanonicalGraph& merged, const CanonicalGraph& fork,
                             const CanonicalGraph& only_a, const CanonicalGraph& only_b) {
  std::set<std::string> expected_nodes;
  for (const CanonicalGraph* side : {&only_a, &only_b}) {
    for (const auto& [id, node] : side->nodes) {
      if (survives(id, fork, only_a, only_b)) expected_nodes.insert(id);
    }
  }
  if (merged.nodes.size() != expected_nodes.size()) {
    throw BenchFailure("W3 merge: " + std::to_string(merged.nodes.size()) + " nodes, expected " +
                       std::to_string(expected_nodes.size()));
  }
  for (const auto& [id, node] : merged.nodes) {
    if (expected_nodes.count(id) == 0)
      throw BenchFailure("W3 merge: node " + id + " should be gone");
    std::vector<const CanonicalNode*> writers;
    for (const CanonicalGraph* side : {&only_a, &only_b}) {
      if (const CanonicalNode* writer = find_node(*side, id)) writers.push_back(writer);
    }
    require_fields_from_writers(id, node, writers);
  }

  std::size_t expected_edges = 0;
  for (const auto& [id, edge] : fork.edges) {
    bool kept =
        survives(edge.source, fork, only_a, only_b) && survives(edge.target, fork, only_a, only_b);
    expected_edges += kept;
    if (kept != (merged.edges.count(id) != 0)) {
      throw BenchFailure("W3 merge: edge " + id + (kept ? " is missing" : " should be gone"));
    }
  }
  if (merged.edges.size() != expected_edges) {
    throw BenchFailure("W3 merge: unexpected edges");
  }
}

}  // namespace trellis::bench
