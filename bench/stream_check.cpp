#include "stream_check.hpp"

#include <string>
#include <string_view>

#include "expected_digests.hpp"
#include "mulberry32.hpp"
#include "op_lines.hpp"
#include "reference_model.hpp"

namespace trellis::bench {
namespace {

bool check_digest(std::string_view name, const OpStream& ops, std::string_view expected,
                  std::ostream& log) {
  std::string actual = stream_digest(ops);
  bool ok = actual == expected;
  log << (ok ? "ok   " : "FAIL ") << name << " stream (" << ops.size() << " ops) " << actual;
  if (!ok) log << " expected " << expected;
  log << '\n';
  return ok;
}

bool check_state(std::string_view name, const CanonicalGraph& graph, std::string_view expected,
                 std::ostream& log) {
  std::string actual = state_digest(graph);
  bool ok = actual == expected;
  log << (ok ? "ok   " : "FAIL ") << name << " state of the reference model " << actual;
  if (!ok) log << " expected " << expected;
  log << '\n';
  return ok;
}

}  // namespace

bool check_streams(const WorkloadSizes& sizes, std::ostream& log) {
  bool ok = true;

  Mulberry32 rng(expected::kMulberrySeed);
  bool mulberry_ok = true;
  for (std::uint32_t want : expected::kMulberryFirstOutputs)
    mulberry_ok &= rng.next() == want;
  log << (mulberry_ok ? "ok   " : "FAIL ") << "mulberry32 seed 1 first five outputs\n";
  ok &= mulberry_ok;

  OpStream w1 = generate_w1(sizes);
  OpStream w2 = generate_w2(sizes);
  ok &= check_digest("W1", w1, expected::kW1Stream, log);
  ok &= check_digest("W2", w2, expected::kW2Stream, log);
  ok &= check_digest("W3 A", generate_w3(sizes, MergeReplica::a), expected::kW3StreamA, log);
  ok &= check_digest("W3 B", generate_w3(sizes, MergeReplica::b), expected::kW3StreamB, log);

  CanonicalGraph graph;
  apply_to_reference(graph, w1);
  ok &= check_state("W1", graph, expected::kStateAfterW1, log);
  apply_to_reference(graph, w2);
  ok &= check_state("W2", graph, expected::kStateAfterW2, log);
  return ok;
}

}  // namespace trellis::bench
