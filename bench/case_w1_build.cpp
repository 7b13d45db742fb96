#include "bench_failure.hpp"
#include "expected_digests.hpp"
#include "graph_bench_cases.hpp"
#include "stopwatch.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "workload_replay.hpp"
#include "workload_streams.hpp"

namespace trellis::bench {

BenchRecord run_w1_build() {
  const WorkloadSizes sizes;
  const OpStream w1 = generate_w1(sizes);
  require_stream_digest(w1, expected::kW1Stream, "W1");

  Stopwatch build_timer;
  crdt::GraphDoc doc(kBuilderReplica);
  apply_stream(doc, w1);
  const double build_ms = build_timer.elapsed_ms();
  const double build_cpu_ms = build_timer.cpu_ms();
  require_state_digest(doc, expected::kStateAfterW1, "W1 build");

  Stopwatch encode_timer;
  const crdt::Bytes snapshot = encode_snapshot(doc);
  const double encode_ms = encode_timer.elapsed_ms();

  Stopwatch load_timer;
  const crdt::GraphDoc loaded = load_snapshot(snapshot, kReloadReplica);
  const double load_ms = load_timer.elapsed_ms();
  require_state_digest(loaded, expected::kStateAfterW1, "W1 reload");
  if (!(loaded == doc)) throw BenchFailure("W1 reload: loaded state != built state");

  // GraphDoc loads eagerly, so reading everything adds only the view's cost.
  Stopwatch read_all_timer;
  const crdt::GraphDoc reread = load_snapshot(snapshot, kReloadReplica);
  const crdt::Json view = crdt::graph_view(reread);
  const double load_read_all_ms = read_all_timer.elapsed_ms();
  if (view["nodes"].size() != sizes.node_count || view["edges"].size() != sizes.edge_count) {
    throw BenchFailure("W1 read-all: the view does not show every node and edge");
  }

  BenchRecord record = new_record("w1");
  record["entities"] = w1.size();
  record["build_ms"] = rounded(build_ms);
  record["entities_per_s"] = per_second(w1.size(), build_ms);
  record["build_cpu_ms"] = rounded(build_cpu_ms);
  record["snapshot_bytes"] = snapshot.size();
  record["encode_ms"] = rounded(encode_ms);
  record["load_ms"] = rounded(load_ms);
  record["load_read_all_ms"] = rounded(load_read_all_ms);
  record["digest_ok"] = true;
  return record;
}

}  // namespace trellis::bench
