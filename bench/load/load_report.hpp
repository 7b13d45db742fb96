#pragma once
// What one load run measured, and how it is shown: as text for a person,
// as one JSON object for bench/run_load_bench.sh, and as the list of broken
// promises --check fails on.
//
// Windows: edits are *offered* when their intended send time falls in the
// measurement window (warmup excluded), *acknowledged* and *delivered* when
// the ack or the delta reaches the client inside it. Latency samples are
// the deliveries of edits offered in the window, whenever they arrive.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_options.hpp"
#include "server_process.hpp"

namespace trellis::bench::load {

struct LatencySummary {
  std::size_t samples = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double mean_ms = 0;
};

// Nearest-rank percentiles of `latencies_ns` (reordered in place).
LatencySummary summarize_latency(std::vector<std::int64_t>& latencies_ns);

// One second of the window, by the intended send time of the edits; its
// latency samples are its deliveries.
struct WindowSecond {
  LatencySummary latency;
};

struct ServerReport {
  pid_t pid = 0;
  std::optional<double> cpu_seconds;               // used during the window
  std::optional<double> cpu_wait_seconds;          // runnable but without a core, in the window
  std::optional<double> window_wall_s;             // between the two CPU readings
  std::optional<std::size_t> rss_idle_bytes;       // before any client connected
  std::optional<std::size_t> rss_connected_bytes;  // every client in, nodes created
  std::optional<std::size_t> rss_end_bytes;        // at the end of the window
  std::optional<ServerLog> log;                    // spawned servers only
  std::optional<std::map<std::string, double>> metrics;
  std::string exit;  // how a spawned server ended
};

struct ErrorTally {
  std::uint64_t connect_failures = 0;
  std::uint64_t disconnects = 0;  // connections lost after the welcome
  std::uint64_t server_errors = 0;
  std::uint64_t edit_failures = 0;
  std::uint64_t timestamp_checks = 0;  // --check: "t" of single-edit deltas compared
  std::uint64_t timestamp_mismatches = 0;
  bool timed_out = false;
  std::map<std::string, std::uint64_t> reasons;  // message -> times

  std::uint64_t total() const {
    return connect_failures + disconnects + server_errors + edit_failures + timestamp_mismatches +
           (timed_out ? 1 : 0);
  }
};

struct LoadReport {
  LoadOptions options;
  unsigned clients_loading = 0;  // online, with their workspace's nodes, at load start
  double connect_s = 0;          // from the first connect to the last welcome
  double setup_s = 0;            // connect plus node creation
  // Measurement window.
  std::uint64_t offered = 0;
  std::uint64_t acked = 0;
  std::uint64_t delivered = 0;
  LatencySummary latency;
  std::vector<WindowSecond> seconds;
  // Whole run (warmup, window and drain).
  std::uint64_t sent_total = 0;
  std::uint64_t acked_total = 0;
  std::uint64_t delivered_total = 0;
  std::uint64_t expected_deliveries_total = 0;  // sent x (clients per workspace - 1)
  bool drained = false;  // every edit acknowledged and delivered before the drain timeout
  double drain_s = 0;
  std::optional<double> generator_cpu_seconds;  // during the window
  std::optional<double> generator_cpu_wait_seconds;
  ServerReport server;
  ErrorTally errors;
  std::string ended_in;  // the phase the run ended in

  double per_second(std::uint64_t count) const { return count / options.duration_s; }
};

nlohmann::ordered_json report_json(const LoadReport& report);
std::string report_text(const LoadReport& report);
// Empty when every edit was acknowledged and delivered to every other
// client of its workspace, and nothing failed.
std::vector<std::string> check_failures(const LoadReport& report);

}  // namespace trellis::bench::load
