// render_prometheus produces the text exposition format 0.0.4 that
// Prometheus parses: every sample has # HELP and # TYPE, counters end in
// _total, histogram buckets are cumulative and +Inf equals _count.

#include "metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace trellis::server {
namespace {

struct Exposition {
  std::map<std::string, std::string> types;  // metric family -> type
  std::set<std::string> helped;
  std::map<std::string, double> samples;                // name{labels} -> value
  std::vector<std::pair<std::string, double>> buckets;  // le -> cumulative count, in order
};

// A strict reader of the lines render_prometheus writes.
Exposition parse(const std::string& text) {
  Exposition exposition;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first, name, rest;
    if (line.starts_with("# HELP ")) {
      words >> first >> first >> name;
      exposition.helped.insert(name);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      words >> first >> first >> name >> rest;
      EXPECT_TRUE(rest == "counter" || rest == "gauge" || rest == "histogram") << line;
      EXPECT_TRUE(exposition.helped.count(name)) << "TYPE before HELP: " << line;
      exposition.types[name] = rest;
      continue;
    }
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    const std::string key = line.substr(0, space);
    const double value = std::stod(line.substr(space + 1));
    EXPECT_TRUE(exposition.samples.emplace(key, value).second) << "duplicate " << key;
    const std::size_t le = key.find("_bucket{le=\"");
    if (le != std::string::npos) {
      const std::size_t start = le + 12;
      exposition.buckets.emplace_back(key.substr(start, key.size() - start - 2), value);
    }
    // Each sample belongs to a family that was declared before it.
    std::string family = key.substr(0, key.find('{'));
    for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (family.ends_with(suffix) && !exposition.types.count(family)) {
        family.resize(family.size() - suffix.size());
      }
    }
    EXPECT_TRUE(exposition.types.count(family)) << "undeclared " << key;
  }
  return exposition;
}

TEST(Metrics, RendersEveryCounterAndGaugeWithHelpAndType) {
  Metrics metrics;
  metrics.connections_open = 3;
  metrics.connections_total = 10;
  metrics.slow_consumer_drops = 2;
  metrics.bytes_out += 1234567890123;
  const Exposition exposition = parse(render_prometheus(metrics));

  EXPECT_EQ(exposition.samples.at("trellis_connections_open"), 3);
  EXPECT_EQ(exposition.types.at("trellis_connections_open"), "gauge");
  EXPECT_EQ(exposition.samples.at("trellis_connections_total"), 10);
  EXPECT_EQ(exposition.samples.at("trellis_slow_consumer_drops_total"), 2);
  EXPECT_EQ(exposition.samples.at("trellis_bytes_out_total"), 1234567890123.0);
  for (std::string_view name :
       {"connections_refused", "deltas_in", "deltas_out", "bytes_in", "presence_in", "presence_out",
        "frames_rejected", "slow_consumer_merges"}) {
    const std::string full = "trellis_" + std::string(name) + "_total";
    EXPECT_EQ(exposition.samples.at(full), 0) << full;
  }
  EXPECT_EQ(exposition.samples.at("trellis_workspaces_loaded"), 0);
  for (const auto& [family, type] : exposition.types) {
    EXPECT_TRUE(family.starts_with("trellis_")) << family;
    if (type == "counter") {
      EXPECT_TRUE(family.ends_with("_total")) << family;
    }
  }
}

TEST(Metrics, HistogramBucketsAreCumulativeAndInfEqualsCount) {
  Metrics metrics;
  for (double seconds : {0.0001, 0.0005, 0.003, 0.3, 10.0, -1.0})
    metrics.storage_write_seconds.observe(seconds);
  metrics.storage_write_seconds.observe(std::chrono::milliseconds(2));
  const Exposition exposition = parse(render_prometheus(metrics));

  EXPECT_EQ(exposition.types.at("trellis_storage_write_seconds"), "histogram");
  ASSERT_EQ(exposition.buckets.size(), Histogram::kBounds.size() + 1);
  EXPECT_EQ(exposition.buckets.front().first, "0.0005");
  EXPECT_EQ(exposition.buckets.back().first, "+Inf");
  for (std::size_t i = 1; i < exposition.buckets.size(); ++i)
    EXPECT_GE(exposition.buckets[i].second, exposition.buckets[i - 1].second);
  const auto bucket = [&](std::string_view le) {
    for (const auto& [bound, count] : exposition.buckets)
      if (bound == le) return count;
    ADD_FAILURE() << "no bucket le=" << le;
    return -1.0;
  };
  EXPECT_EQ(bucket("0.0005"), 3);  // 0.0001, 0.0005 (bounds are inclusive) and -1 as 0
  EXPECT_EQ(bucket("0.0025"), 4);  // + 2 ms
  EXPECT_EQ(bucket("0.005"), 5);   // + 3 ms
  EXPECT_EQ(bucket("0.25"), 5);
  EXPECT_EQ(bucket("0.5"), 6);
  EXPECT_EQ(bucket("5"), 6);
  EXPECT_EQ(bucket("+Inf"), 7);
  EXPECT_EQ(exposition.samples.at("trellis_storage_write_seconds_count"), 7);
  EXPECT_NEAR(exposition.samples.at("trellis_storage_write_seconds_sum"), 10.3056, 1e-6);
}

TEST(Metrics, ConcurrentObservationsAreAllCounted) {
  Histogram histogram;
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kEach; ++i)
        histogram.observe(0.001 * (t + 1));
    });
  }
  for (auto& thread : threads)
    thread.join();
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.count, static_cast<std::uint64_t>(kThreads * kEach));
  EXPECT_NEAR(snapshot.sum_seconds, kEach * 0.001 * (1 + 2 + 3 + 4), 1e-6);
}

}  // namespace
}  // namespace trellis::server
