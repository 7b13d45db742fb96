#pragma once
// The canonical state of graph-workload.md §5: only what the workload defines
// (nodes' type, position and data; edges' source and target), with every
// object's keys sorted by byte value. Any implementation that prints its
// document this way and hashes the text gets the §6 state digests.

#include <map>
#include <string>

#include "workload_ops.hpp"

namespace trellis::bench {

struct CanonicalNode {
  std::string type;
  double x = 0;
  double y = 0;
  std::map<std::string, ParamValue> data;  // p0..p4 in the workload
};

struct CanonicalEdge {
  std::string source;
  std::string target;
};

// std::map orders std::string keys bytewise, which is the order §5 asks for.
struct CanonicalGraph {
  std::map<std::string, CanonicalNode> nodes;
  std::map<std::string, CanonicalEdge> edges;
};

// A value as the canonical JSON prints it. Two values are the same for the
// workload when these agree: an integral f64 and the equal integer print
// alike, as they do in JavaScript.
std::string canonical_value(const ParamValue& value);

// {"edges":{...},"nodes":{...}} with no whitespace.
std::string canonical_json(const CanonicalGraph& graph);
std::string state_digest(const CanonicalGraph& graph);

}  // namespace trellis::bench
