// trellis_graph_bench: runs ONE case of the graph workload (graph-workload.md
// §4) on GraphDoc and prints one JSON line of figures. Every repetition is a
// fresh process (run_graph_bench.sh drives them), so no case inherits a warm
// heap from another.
//
//   trellis_graph_bench --case w1|w2|w3|w4|w5 [--rep N]
//
// Exits 1, printing why, when a digest differs or the library refuses the
// workload: such a run measured something other than the workload.

#include <charconv>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "graph_bench_cases.hpp"
#include "trellis/platform/heap_huge_pages.hpp"

namespace {

using namespace trellis::bench;

std::optional<BenchRecord> run_case(std::string_view name) {
  if (name == "w1") return run_w1_build();
  if (name == "w2") return run_w2_edit();
  if (name == "w3") return run_w3_merge();
  if (name == "w4") return run_w4_remote_apply();
  if (name == "w5") return run_w5_memory();
  return std::nullopt;
}

int usage(const char* program) {
  std::cerr << "usage: " << program << " --case w1|w2|w3|w4|w5 [--rep N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: this may run the process again (heap_huge_pages.hpp).
  trellis::platform::use_heap_huge_pages(argv);
  std::string case_name;
  std::optional<long> rep;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--case" && i + 1 < argc) {
      case_name = argv[++i];
    } else if (arg == "--rep" && i + 1 < argc) {
      std::string_view text = argv[++i];
      long value = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) return usage(argv[0]);
      rep = value;
    } else {
      return usage(argv[0]);
    }
  }
  if (case_name.empty()) return usage(argv[0]);

  try {
    std::optional<BenchRecord> record = run_case(case_name);
    if (!record) return usage(argv[0]);
    if (rep) (*record)["rep"] = *rep;
    std::cout << record->dump() << '\n';
    return 0;
  } catch (const std::exception& failure) {
    std::cerr << "trellis_graph_bench: case " << case_name << " FAILED: " << failure.what() << '\n';
    return 1;
  }
}
