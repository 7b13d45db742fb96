// trellis_graph_workload_check: verifies the workload generator against
// graph-workload.md (exit 1 on any mismatch), or prints a stream's op lines
// for comparing with another harness line by line:
//
//   trellis_graph_workload_check                 run the checks
//   trellis_graph_workload_check --print w1|w2|w3a|w3b

#include <iostream>
#include <string>
#include <string_view>

#include "op_lines.hpp"
#include "stream_check.hpp"
#include "workload_streams.hpp"

namespace {

using namespace trellis::bench;

int print_stream(std::string_view name, const WorkloadSizes& sizes) {
  OpStream ops;
  if (name == "w1") {
    ops = generate_w1(sizes);
  } else if (name == "w2") {
    ops = generate_w2(sizes);
  } else if (name == "w3a") {
    ops = generate_w3(sizes, MergeReplica::a);
  } else if (name == "w3b") {
    ops = generate_w3(sizes, MergeReplica::b);
  } else {
    std::cerr << "unknown stream '" << name << "' (w1, w2, w3a, w3b)\n";
    return 2;
  }
  std::string line;
  for (const Op& op : ops) {
    line.clear();
    append_op_line(line, op);
    std::cout << line;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  WorkloadSizes sizes;
  if (argc == 3 && std::string_view(argv[1]) == "--print") return print_stream(argv[2], sizes);
  if (argc != 1) {
    std::cerr << "usage: " << argv[0] << " [--print w1|w2|w3a|w3b]\n";
    return 2;
  }
  if (!check_streams(sizes, std::cout)) {
    std::cerr << "workload generator does not match graph-workload.md\n";
    return 1;
  }
  return 0;
}
