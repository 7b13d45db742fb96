#pragma once
// The server's counters, gauges and latency histograms, updated lock-free
// from any thread and rendered for Prometheus on GET /metrics. One Metrics
// lives as long as the server; every connection and workspace holds a
// reference to it. Relaxed atomics throughout: each value is exact, but a
// scrape may see one counter updated before another.

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace trellis::server {

// A Prometheus histogram of durations with fixed buckets. observe() is two
// relaxed atomic adds; a snapshot is consistent with itself in
// that its count is the sum of its buckets (the +Inf bucket always equals
// _count), though _sum may lag by the observations in flight.
class Histogram {
 public:
  // Upper bounds (seconds) of the finite buckets, 0.5 ms to 5 s: SQLite
  // commits take from under a millisecond (page cache) to seconds (a slow
  // disk under fsync), and Prometheus needs the tail to alert on.
  static constexpr std::array<double, 13> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1.0,   2.5,  5.0};

  struct Snapshot {
    // Observations per bucket, not cumulative; the last is above every bound.
    std::array<std::uint64_t, kBounds.size() + 1> buckets{};
    double sum_seconds = 0;
    std::uint64_t count = 0;
  };

  void observe(double seconds);
  void observe(std::chrono::nanoseconds duration);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};
  // Nanoseconds: exact integer adds, and 2^64 ns is over 500 years of total time.
  std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

// Everything /metrics reports; one per server, shared by all threads.
struct Metrics {
  // Gauges (go up and down).
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::int64_t> workspaces_loaded{0};
  // Counters (only go up).
  std::atomic<std::uint64_t> connections_total{0};    // accepted
  std::atomic<std::uint64_t> connections_refused{0};  // past max_connections
  std::atomic<std::uint64_t> deltas_in{0};            // delta messages applied from clients
  std::atomic<std::uint64_t> deltas_out{0};           // delta messages queued to clients
  std::atomic<std::uint64_t> bytes_in{0};             // WebSocket payload bytes received
  std::atomic<std::uint64_t> bytes_out{0};            // WebSocket payload bytes sent
  std::atomic<std::uint64_t> presence_in{0};
  std::atomic<std::uint64_t> presence_out{0};
  std::atomic<std::uint64_t> frames_rejected{0};       // refused with an error message
  std::atomic<std::uint64_t> slow_consumer_merges{0};  // OutboundQueue merged a backlog
  std::atomic<std::uint64_t> slow_consumer_drops{0};   // connections closed as slow consumers
  // Time to make one batch of deltas durable.
  Histogram storage_write_seconds;
};

// The Prometheus text exposition format 0.0.4 (Content-Type
// "text/plain; version=0.0.4"): every metric with # HELP and # TYPE,
// names prefixed "trellis_", counters suffixed "_total".
std::string render_prometheus(const Metrics& metrics);

}  // namespace trellis::server
