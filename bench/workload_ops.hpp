#pragma once
// The operations of the graph workload (graph-workload.md §3), as plain values.
// A stream is generated once, untimed, and then replayed against a document;
// every op is one transaction.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trellis::bench {

// p0, p1: f64; p2: integer 0..999; p3, p4: strings.
using ParamValue = std::variant<double, std::int64_t, std::string>;

inline constexpr std::size_t kParamCount = 5;
inline constexpr std::array<std::string_view, kParamCount> kParamKeys = {"p0", "p1", "p2", "p3",
                                                                         "p4"};

struct NodeSpec {
  std::string type;
  double x = 0;
  double y = 0;
  std::array<ParamValue, kParamCount> params;
};

struct AddNode {
  std::string id;
  NodeSpec node;
};

struct AddEdge {
  std::string id;
  std::string source;
  std::string target;
};

struct SetParam {
  std::string id;
  std::size_t key = 0;  // index into kParamKeys
  ParamValue value;
};

struct SetPosition {
  std::string id;
  double x = 0;
  double y = 0;
};

struct DeleteNode {
  std::string id;
};

using Op = std::variant<AddNode, AddEdge, SetParam, SetPosition, DeleteNode>;
using OpStream = std::vector<Op>;

}  // namespace trellis::bench
