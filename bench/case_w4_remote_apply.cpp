#include "expected_digests.hpp"
#include "graph_bench_cases.hpp"
#include "stopwatch.hpp"
#include "workload_replay.hpp"
#include "workload_streams.hpp"

namespace trellis::bench {

BenchRecord run_w4_remote_apply() {
  const WorkloadSizes sizes;
  const OpStream w1 = generate_w1(sizes);
  const OpStream w2 = generate_w2(sizes);
  require_stream_digest(w1, expected::kW1Stream, "W1");
  require_stream_digest(w2, expected::kW2Stream, "W2");

  // Setup, untimed: the sender builds W1, snapshots it, and produces W2's
  // updates exactly as the W2 case does.
  crdt::GraphDoc sender(kBuilderReplica);
  apply_stream(sender, w1);
  const crdt::Bytes snapshot = encode_snapshot(sender);
  const UpdateLog log = apply_stream_capturing(sender, w2);
  crdt::GraphDoc receiver = load_snapshot(snapshot, kReceiverReplica);

  Stopwatch apply_timer;
  apply_updates(receiver, log);
  const double apply_ms = apply_timer.elapsed_ms();
  const double apply_cpu_ms = apply_timer.cpu_ms();
  require_state_digest(receiver, expected::kStateAfterW2, "W4 remote apply");

  BenchRecord record = new_record("w4");
  record["messages"] = log.message_count();
  record["time_ms"] = rounded(apply_ms);
  record["ops_per_s"] = per_second(log.message_count(), apply_ms);
  record["time_cpu_ms"] = rounded(apply_cpu_ms);
  record["digest_ok"] = true;
  return record;
}

}  // namespace trellis::bench
