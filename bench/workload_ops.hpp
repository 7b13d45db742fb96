#pragma once
// The operations of the graph workload (graph-workload.md §3), as plain values.
// A stream is generated once, untimed, and then replayed against a document;
// every op is one transaction.

#include <array>
#include <cstdint>
#include <memory>
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

// The spec is shared, not held: it is 240 bytes where every other op is at
// most 104, and a variant is as large as its largest alternative. Held by
// value it made every op of a stream 288 bytes, so replaying W2 (parameter
// writes only) read three cache lines of stream per write, a cost of the
// harness that the timed loop charged to the document.
struct AddNode {
  std::string id;
  std::shared_ptr<const NodeSpec> node;
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
