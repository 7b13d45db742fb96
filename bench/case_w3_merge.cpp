#include "bench_failure.hpp"
#include "doc_canonical_state.hpp"
#include "expected_digests.hpp"
#include "graph_bench_cases.hpp"
#include "merge_check.hpp"
#include "reference_model.hpp"
#include "stopwatch.hpp"
#include "workload_replay.hpp"
#include "workload_streams.hpp"

namespace trellis::bench {
namespace {

// One forked replica after its local stream, with the two ways it can tell
// the other replica everything it did since the fork.
struct DivergedReplica {
  crdt::GraphDoc doc;
  double local_ms = 0;
  // The headline delta: the join of the transaction deltas, which a replica
  // keeps as its log of recent deltas (the normal sync path).
  crdt::Bytes delta;
  double collect_ms = 0;
  double encode_ms = 0;
  // delta_since(fork context), the anti-entropy fallback when no delta log
  // covers the gap: computed from the state alone, as Yjs computes an update
  // against a state vector.
  crdt::Bytes anti_entropy_delta;
  double anti_entropy_ms = 0;
};

DivergedReplica diverge(const crdt::Bytes& fork_snapshot, crdt::ReplicaId replica,
                        const OpStream& ops) {
  DivergedReplica result;
  result.doc = load_snapshot(fork_snapshot, replica);
  const crdt::CausalContext fork_context = result.doc.context();

  Stopwatch local_timer;
  std::vector<crdt::GraphDoc> deltas = apply_stream_keeping_deltas(result.doc, ops);
  result.local_ms = local_timer.elapsed_ms();

  // Joining the log is this replica's share of producing the delta, so it is
  // timed, apart from the encoding.
  Stopwatch collect_timer;
  crdt::GraphDoc since_fork;
  for (const crdt::GraphDoc& delta : deltas)
    since_fork.join(delta);
  result.collect_ms = collect_timer.elapsed_ms();

  Stopwatch encode_timer;
  crdt::encode_to(since_fork, result.delta);
  result.encode_ms = encode_timer.elapsed_ms();

  Stopwatch anti_entropy_timer;
  crdt::encode_to(result.doc.delta_since(fork_context), result.anti_entropy_delta);
  result.anti_entropy_ms = anti_entropy_timer.elapsed_ms();
  return result;
}

struct ExchangeTimes {
  double b_applies_a_ms = 0;
  double a_applies_b_ms = 0;
  double cpu_ms = 0;  // of both

  double total_ms() const { return b_applies_a_ms + a_applies_b_ms; }
};

// B applies A's delta, then A applies B's.
ExchangeTimes exchange(crdt::GraphDoc& a, const crdt::Bytes& delta_a, crdt::GraphDoc& b,
                       const crdt::Bytes& delta_b) {
  ExchangeTimes times;
  Stopwatch b_applies_a_timer;
  apply_update(b, delta_a);
  times.b_applies_a_ms = b_applies_a_timer.elapsed_ms();
  times.cpu_ms = b_applies_a_timer.cpu_ms();
  Stopwatch a_applies_b_timer;
  apply_update(a, delta_b);
  times.a_applies_b_ms = a_applies_b_timer.elapsed_ms();
  times.cpu_ms += a_applies_b_timer.cpu_ms();
  return times;
}

}  // namespace

BenchRecord run_w3_merge() {
  const WorkloadSizes sizes;
  const OpStream w1 = generate_w1(sizes);
  const OpStream stream_a = generate_w3(sizes, MergeReplica::a);
  const OpStream stream_b = generate_w3(sizes, MergeReplica::b);
  require_stream_digest(w1, expected::kW1Stream, "W1");
  require_stream_digest(stream_a, expected::kW3StreamA, "W3 A");
  require_stream_digest(stream_b, expected::kW3StreamB, "W3 B");

  crdt::GraphDoc builder(kBuilderReplica);
  apply_stream(builder, w1);
  const crdt::Bytes fork_snapshot = encode_snapshot(builder);

  DivergedReplica a = diverge(fork_snapshot, kMergeReplicaA, stream_a);
  DivergedReplica b = diverge(fork_snapshot, kMergeReplicaB, stream_b);
  // Untimed copies of the diverged states, for the anti-entropy exchange.
  crdt::GraphDoc a_by_anti_entropy = a.doc;
  crdt::GraphDoc b_by_anti_entropy = b.doc;

  const ExchangeTimes merge = exchange(a.doc, a.delta, b.doc, b.delta);
  if (!(a.doc == b.doc)) throw BenchFailure("W3 merge: replicas A and B did not converge");
  const CanonicalGraph merged = canonical_graph_of(a.doc);
  const std::string digest = state_digest(merged);
  if (state_digest(b.doc) != digest) {
    throw BenchFailure("W3 merge: equal replicas with different canonical states");
  }
  CanonicalGraph fork;
  apply_to_reference(fork, w1);
  CanonicalGraph only_a = fork;
  apply_to_reference(only_a, stream_a);
  CanonicalGraph only_b = fork;
  apply_to_reference(only_b, stream_b);
  require_plausible_merge(merged, fork, only_a, only_b);

  const ExchangeTimes anti_entropy_merge =
      exchange(a_by_anti_entropy, a.anti_entropy_delta, b_by_anti_entropy, b.anti_entropy_delta);
  if (!(a_by_anti_entropy == a.doc) || !(b_by_anti_entropy == a.doc)) {
    throw BenchFailure("W3 merge: exchanging delta_since() deltas gives another state");
  }

  BenchRecord record = new_record("w3");
  record["ops_a"] = stream_a.size();
  record["ops_b"] = stream_b.size();
  record["local_ops_per_s_a"] = per_second(stream_a.size(), a.local_ms);
  record["local_ops_per_s_b"] = per_second(stream_b.size(), b.local_ms);
  record["delta_bytes"] = a.delta.size() + b.delta.size();
  record["delta_bytes_a"] = a.delta.size();
  record["delta_bytes_b"] = b.delta.size();
  record["delta_collect_ms"] = rounded(a.collect_ms + b.collect_ms);
  record["delta_encode_ms"] = rounded(a.encode_ms + b.encode_ms);
  record["merge_ms"] = rounded(merge.total_ms());
  record["merge_cpu_ms"] = rounded(merge.cpu_ms);
  record["merge_b_applies_a_ms"] = rounded(merge.b_applies_a_ms);
  record["merge_a_applies_b_ms"] = rounded(merge.a_applies_b_ms);
  record["anti_entropy_delta_bytes"] = a.anti_entropy_delta.size() + b.anti_entropy_delta.size();
  record["anti_entropy_delta_ms"] = rounded(a.anti_entropy_ms + b.anti_entropy_ms);
  record["anti_entropy_merge_ms"] = rounded(anti_entropy_merge.total_ms());
  record["merged_nodes"] = merged.nodes.size();
  record["merged_edges"] = merged.edges.size();
  record["converged"] = true;
  record["merged_digest"] = digest;
  return record;
}

}  // namespace trellis::bench
