#pragma once
// Reads trellisd's Prometheus counters (GET /metrics) once, over a plain
// blocking socket with a deadline: the generator asks after the run, when
// nothing else waits on its thread.

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace trellis::bench::load {

// Unlabelled samples by name (histogram buckets are left out); nullopt when
// the server did not answer with 200 in time.
std::optional<std::map<std::string, double>> scrape_metrics(
    const std::string& host, const std::string& port,
    std::chrono::milliseconds timeout = std::chrono::seconds(3));

}  // namespace trellis::bench::load
