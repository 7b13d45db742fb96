#include "expected_digests.hpp"
#include "graph_bench_cases.hpp"
#include "stopwatch.hpp"
#include "workload_replay.hpp"
#include "workload_streams.hpp"

namespace trellis::bench {

BenchRecord run_w2_edit() {
  const WorkloadSizes sizes;
  const OpStream w1 = generate_w1(sizes);
  const OpStream w2 = generate_w2(sizes);
  require_stream_digest(w1, expected::kW1Stream, "W1");
  require_stream_digest(w2, expected::kW2Stream, "W2");

  crdt::GraphDoc doc(kBuilderReplica);
  apply_stream(doc, w1);

  Stopwatch edit_timer;
  const UpdateLog log = apply_stream_capturing(doc, w2);
  const double edit_ms = edit_timer.elapsed_ms();
  const double edit_cpu_ms = edit_timer.cpu_ms();
  require_state_digest(doc, expected::kStateAfterW2, "W2 edit");

  BenchRecord record = new_record("w2");
  record["ops"] = w2.size();
  record["time_ms"] = rounded(edit_ms);
  record["ops_per_s"] = per_second(w2.size(), edit_ms);
  record["time_cpu_ms"] = rounded(edit_cpu_ms);
  record["updates"] = log.message_count();
  record["update_bytes"] = log.total_bytes();
  record["avg_update_bytes"] = rounded(double(log.total_bytes()) / log.message_count(), 2);
  record["snapshot_bytes"] = encode_snapshot(doc).size();
  record["digest_ok"] = true;
  return record;
}

}  // namespace trellis::bench
