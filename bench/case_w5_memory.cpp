#include "expected_digests.hpp"
#include "graph_bench_cases.hpp"
#include "process_memory.hpp"
#include "workload_replay.hpp"
#include "workload_streams.hpp"

namespace trellis::bench {
namespace {

double mebibytes(std::int64_t bytes) {
  return rounded(bytes / (1024.0 * 1024.0), 2);
}

// Memory can only be compared as growth: a sample may in principle read
// lower than the baseline, which must not wrap around.
std::int64_t growth(std::size_t after, std::size_t before) {
  return static_cast<std::int64_t>(after) - static_cast<std::int64_t>(before);
}

}  // namespace

BenchRecord run_w5_memory() {
  // The streams exist before the baseline, so they are not counted.
  const WorkloadSizes sizes;
  const OpStream w1 = generate_w1(sizes);
  const OpStream w2 = generate_w2(sizes);
  require_stream_digest(w1, expected::kW1Stream, "W1");
  require_stream_digest(w2, expected::kW2Stream, "W2");

  const MemorySample baseline = sample_memory();
  crdt::GraphDoc doc(kBuilderReplica);
  apply_stream(doc, w1);
  const MemorySample after_w1 = sample_memory();
  apply_stream(doc, w2);
  const MemorySample after_w2 = sample_memory();
  require_state_digest(doc, expected::kStateAfterW2, "W5 after W2");

  const std::int64_t live_w1 = growth(after_w1.live_bytes, baseline.live_bytes);
  const std::int64_t live_w2 = growth(after_w2.live_bytes, baseline.live_bytes);
  const std::int64_t rss_w1 = growth(after_w1.rss_bytes, baseline.rss_bytes);
  const std::int64_t rss_w2 = growth(after_w2.rss_bytes, baseline.rss_bytes);

  BenchRecord record = new_record("w5");
  record["live_bytes_after_w1"] = live_w1;
  record["live_bytes_after_w2"] = live_w2;
  record["rss_bytes_after_w1"] = rss_w1;
  record["rss_bytes_after_w2"] = rss_w2;
  record["live_mib_after_w1"] = mebibytes(live_w1);
  record["live_mib_after_w2"] = mebibytes(live_w2);
  record["rss_mib_after_w1"] = mebibytes(rss_w1);
  record["rss_mib_after_w2"] = mebibytes(rss_w2);
  record["digest_ok"] = true;
  return record;
}

}  // namespace trellis::bench
