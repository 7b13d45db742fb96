#pragma once
// The five cases of graph-workload.md §4 on GraphDoc, one per process run.
// Each generates and checks its streams (untimed), times only the region the
// spec names, checks the resulting state digests, and returns its figures.
// A mismatch throws BenchFailure.

#include "bench_record.hpp"

namespace trellis::bench {

// W1: build the 20,000 entities, encode the snapshot, load it, load + read all.
BenchRecord run_w1_build();
// W2: 100,000 parameter writes on the W1 document with update capture.
BenchRecord run_w2_edit();
// W3: two replicas forked from the W1 snapshot diverge, exchange one delta each.
BenchRecord run_w3_merge();
// W4: a fresh replica applies W2's captured updates one message at a time.
BenchRecord run_w4_remote_apply();
// W5: live heap bytes and RSS after W1 and after W2 (no capture).
BenchRecord run_w5_memory();

}  // namespace trellis::bench
