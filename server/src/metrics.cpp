#include "metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

namespace trellis::server {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Shortest fixed-point text that reads back as the same double ("0.0005", not
// "0.00050000000000000001"): `le` labels must match across scrapes.
std::string number_text(double value) {
  char text[64];  // the sum stays below 2^64 ns, about 1.8e10 s
  const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
  if (result.ec != std::errc{}) return "NaN";
  return std::string(text, result.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

template <class Value>
void append_sample(std::string& out, std::string_view name, Value value) {
  out += name;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

struct GaugeRow {
  std::string_view name;
  std::atomic<std::int64_t> Metrics::*value;
  std::string_view help;
};

struct CounterRow {
  std::string_view name;  // with its _total
  std::atomic<std::uint64_t> Metrics::*value;
  std::string_view help;
};

constexpr GaugeRow kGauges[] = {
    {"trellis_connections_open", &Metrics::connections_open, "Connections open now."},
    {"trellis_workspaces_loaded", &Metrics::workspaces_loaded, "Workspaces loaded in memory now."},
};

constexpr CounterRow kCounters[] = {
    {"trellis_connections_total", &Metrics::connections_total, "Connections accepted."},
    {"trellis_connections_refused_total", &Metrics::connections_refused,
     "Connections refused because the server was at max_connections."},
    {"trellis_deltas_in_total", &Metrics::deltas_in, "Delta messages applied from clients."},
    {"trellis_deltas_out_total", &Metrics::deltas_out, "Delta messages queued to clients."},
    {"trellis_bytes_in_total", &Metrics::bytes_in, "WebSocket payload bytes received."},
    {"trellis_bytes_out_total", &Metrics::bytes_out, "WebSocket payload bytes sent."},
    {"trellis_presence_in_total", &Metrics::presence_in, "Presence messages received."},
    {"trellis_presence_out_total", &Metrics::presence_out, "Presence messages queued to clients."},
    {"trellis_frames_rejected_total", &Metrics::frames_rejected,
     "Frames refused with a protocol error."},
    {"trellis_slow_consumer_merges_total", &Metrics::slow_consumer_merges,
     "Times a connection's outbound backlog of deltas was merged into one."},
    {"trellis_slow_consumer_drops_total", &Metrics::slow_consumer_drops,
     "Connections closed because they could not keep up."},
};

void append_histogram(std::string& out, std::string_view name, std::string_view help,
                      const Histogram& histogram) {
  const Histogram::Snapshot snapshot = histogram.snapshot();
  append_header(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < snapshot.buckets.size(); ++i) {
    cumulative += snapshot.buckets[i];
    out += name;
    out += "_bucket{le=\"";
    out += i < Histogram::kBounds.size() ? number_text(Histogram::kBounds[i]) : "+Inf";
    out += "\"} ";
    out += std::to_string(cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum ";
  out += number_text(snapshot.sum_seconds);
  out += '\n';
  append_sample(out, std::string(name) + "_count", snapshot.count);
}

}  // namespace

void Histogram::observe(double seconds) {
  // A clock step backwards can produce a negative duration; it counts as 0.
  if (!(seconds > 0)) seconds = 0;
  std::size_t bucket = 0;
  while (bucket < kBounds.size() && seconds > kBounds[bucket])
    ++bucket;
  buckets_[bucket].fetch_add(1, kRelaxed);
  constexpr double kMaxNanoseconds = 1e18;  // 30 years: keeps the cast defined
  sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(std::min(seconds * 1e9, kMaxNanoseconds)),
                             kRelaxed);
}

void Histogram::observe(std::chrono::nanoseconds duration) {
  observe(std::chrono::duration<double>(duration).count());
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    snapshot.buckets[i] = buckets_[i].load(kRelaxed);
    snapshot.count += snapshot.buckets[i];
  }
  snapshot.sum_seconds = static_cast<double>(sum_nanoseconds_.load(kRelaxed)) / 1e9;
  return snapshot;
}

std::string render_prometheus(const Metrics& metrics) {
  std::string out;
  out.reserve(4096);
  for (const GaugeRow& row : kGauges) {
    append_header(out, row.name, "gauge", row.help);
    append_sample(out, row.name, (metrics.*row.value).load(kRelaxed));
  }
  for (const CounterRow& row : kCounters) {
    append_header(out, row.name, "counter", row.help);
    append_sample(out, row.name, (metrics.*row.value).load(kRelaxed));
  }
  append_histogram(out, "trellis_storage_write_seconds",
                   "Time to make one batch of deltas durable, in seconds.",
                   metrics.storage_write_seconds);
  return out;
}

}  // namespace trellis::server
