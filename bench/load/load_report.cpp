#include "load_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace trellis::bench::load {
namespace {

using OrderedJson = nlohmann::ordered_json;

double to_ms(std::int64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

OrderedJson latency_json(const LatencySummary& latency) {
  return {{"samples", latency.samples},
          {"p50", latency.p50_ms},
          {"p99", latency.p99_ms},
          {"max", latency.max_ms},
          {"mean", latency.mean_ms}};
}

template <class T>
OrderedJson optional_json(const std::optional<T>& value) {
  return value ? OrderedJson(*value) : OrderedJson(nullptr);
}

std::optional<double> rss_per_connection(const LoadReport& report) {
  const ServerReport& server = report.server;
  if (!server.rss_idle_bytes || !server.rss_connected_bytes || report.clients_loading == 0) {
    return std::nullopt;
  }
  return (static_cast<double>(*server.rss_connected_bytes) -
          static_cast<double>(*server.rss_idle_bytes)) /
         report.clients_loading;
}

std::optional<double> server_cpu_us_per_delivery(const LoadReport& report) {
  if (!report.server.cpu_seconds || report.delivered == 0) return std::nullopt;
  return *report.server.cpu_seconds * 1e6 / static_cast<double>(report.delivered);
}

std::optional<double> cpu_percent(const std::optional<double>& cpu_seconds, double wall_s) {
  if (!cpu_seconds || wall_s <= 0) return std::nullopt;
  return 100 * *cpu_seconds / wall_s;
}

std::string format(const char* pattern, double value) {
  char text[64];
  std::snprintf(text, sizeof text, pattern, value);
  return text;
}

std::string waited(const std::optional<double>& wait_seconds) {
  return wait_seconds ? format("; waited %.2f s for a core", *wait_seconds) : "";
}

std::string mib(const std::optional<std::size_t>& bytes) {
  return bytes ? format("%.1f MiB", static_cast<double>(*bytes) / (1 << 20)) : "n/a";
}

}  // namespace

LatencySummary summarize_latency(std::vector<std::int64_t>& latencies_ns) {
  LatencySummary summary;
  summary.samples = latencies_ns.size();
  if (latencies_ns.empty()) return summary;
  const auto rank = [&](double quantile) {
    const auto index = static_cast<std::size_t>(std::ceil(quantile * latencies_ns.size()));
    return std::max<std::size_t>(index, 1) - 1;
  };
  const auto at = [&](std::size_t index) {
    std::nth_element(latencies_ns.begin(), latencies_ns.begin() + index, latencies_ns.end());
    return to_ms(latencies_ns[index]);
  };
  summary.p50_ms = at(rank(0.50));
  summary.p99_ms = at(rank(0.99));
  summary.max_ms = to_ms(*std::max_element(latencies_ns.begin(), latencies_ns.end()));
  const double total_ns = std::accumulate(latencies_ns.begin(), latencies_ns.end(), 0.0);
  summary.mean_ms = total_ns / 1e6 / static_cast<double>(latencies_ns.size());
  return summary;
}

OrderedJson report_json(const LoadReport& report) {
  const LoadOptions& options = report.options;
  const ServerReport& server = report.server;
  OrderedJson seconds = OrderedJson::array();
  for (const WindowSecond& second : report.seconds)
    seconds.push_back(latency_json(second.latency));
  OrderedJson server_json = {
      {"pid", server.pid == 0 ? OrderedJson(nullptr) : OrderedJson(server.pid)},
      {"threads", optional_json(options.server_threads)},
      {"cpu_core", optional_json(options.server_cpu_core)},
      {"cpu_seconds", optional_json(server.cpu_seconds)},
      {"cpu_percent",
       optional_json(cpu_percent(server.cpu_seconds, server.window_wall_s.value_or(0)))},
      {"cpu_wait_seconds", optional_json(server.cpu_wait_seconds)},
      {"cpu_us_per_delivered", optional_json(server_cpu_us_per_delivery(report))},
      {"rss_idle_bytes", optional_json(server.rss_idle_bytes)},
      {"rss_connected_bytes", optional_json(server.rss_connected_bytes)},
      {"rss_end_bytes", optional_json(server.rss_end_bytes)},
      {"rss_per_connection_bytes", optional_json(rss_per_connection(report))},
      {"exit", server.exit},
  };
  if (server.log) {
    server_json["log_lines"] = server.log->lines;
    server_json["log_events"] = server.log->events;
    server_json["log_first_lines"] = server.log->first_lines;
  }
  server_json["metrics"] = server.metrics ? OrderedJson(*server.metrics) : OrderedJson(nullptr);
  const ErrorTally& errors = report.errors;
  return {
      {"workspaces", options.workspaces},
      {"clients_per_workspace", options.clients_per_workspace},
      {"connections", options.connections()},
      {"rate_per_client", options.rate},
      {"in_flight", options.saturate() ? OrderedJson(options.in_flight) : OrderedJson(nullptr)},
      {"nodes", options.nodes},
      {"warmup_s", options.warmup_s},
      {"duration_s", options.duration_s},
      {"window_wall_s", optional_json(server.window_wall_s)},
      {"clients_loading", report.clients_loading},
      {"connect_s", report.connect_s},
      {"setup_s", report.setup_s},
      {"offered_edits_per_s", report.per_second(report.offered)},
      {"acked_edits_per_s", report.per_second(report.acked)},
      {"delivered_msgs_per_s", report.per_second(report.delivered)},
      {"latency_ms", latency_json(report.latency)},
      {"seconds", seconds},
      {"totals",
       {{"sent", report.sent_total},
        {"acked", report.acked_total},
        {"delivered", report.delivered_total},
        {"expected_deliveries", report.expected_deliveries_total},
        {"drained", report.drained},
        {"drain_s", report.drain_s}}},
      {"generator",
       {{"cpu_core", optional_json(options.load_cpu_core)},
        {"cpu_seconds", optional_json(report.generator_cpu_seconds)},
        {"cpu_percent", optional_json(cpu_percent(report.generator_cpu_seconds,
                                                  server.window_wall_s.value_or(0)))},
        {"cpu_wait_seconds", optional_json(report.generator_cpu_wait_seconds)}}},
      {"server", server_json},
      {"errors",
       {{"total", errors.total()},
        {"connect_failures", errors.connect_failures},
        {"disconnects", errors.disconnects},
        {"server_errors", errors.server_errors},
        {"edit_failures", errors.edit_failures},
        {"timestamp_checks", errors.timestamp_checks},
        {"timestamp_mismatches", errors.timestamp_mismatches},
        {"timed_out", errors.timed_out},
        {"reasons", errors.reasons}}},
      {"ended_in", report.ended_in},
  };
}

std::string report_text(const LoadReport& report) {
  const LoadOptions& options = report.options;
  const ServerReport& server = report.server;
  std::string text;
  const auto line = [&](const std::string& label, const std::string& value) {
    text += label;
    text.append(label.size() < 28 ? 28 - label.size() : 1, ' ');
    text += value;
    text += '\n';
  };
  line("load", std::to_string(options.workspaces) + " workspaces x " +
                   std::to_string(options.clients_per_workspace) + " clients, " +
                   (options.saturate() ? "saturating (" + std::to_string(options.in_flight) +
                                             " edits in flight per client)"
                                       : format("%g edits/s per client", options.rate)) +
                   format(", %g s measured", options.duration_s) +
                   format(" after %g s warmup", options.warmup_s));
  line("clients loading", std::to_string(report.clients_loading) + " of " +
                              std::to_string(options.connections()) +
                              format(" (connected in %.2f s", report.connect_s) +
                              format(", set up in %.2f s)", report.setup_s));
  line("offered edits/s", format("%.1f", report.per_second(report.offered)));
  line("acked edits/s", format("%.1f", report.per_second(report.acked)));
  line("delivered msgs/s", format("%.1f", report.per_second(report.delivered)));
  line("latency ms p50/p99/max", format("%.2f", report.latency.p50_ms) + " / " +
                                     format("%.2f", report.latency.p99_ms) + " / " +
                                     format("%.2f", report.latency.max_ms) + " (" +
                                     std::to_string(report.latency.samples) + " deliveries)");
  if (server.cpu_seconds) {
    line("server CPU",
         format("%.2f s", *server.cpu_seconds) +
             format(" (%.0f%% of a core)",
                    cpu_percent(server.cpu_seconds, server.window_wall_s.value_or(0)).value_or(0)) +
             format(", %.2f us per delivered message",
                    server_cpu_us_per_delivery(report).value_or(0)) +
             waited(server.cpu_wait_seconds));
  }
  if (report.generator_cpu_seconds) {
    line("generator CPU", format("%.2f s", *report.generator_cpu_seconds) +
                              waited(report.generator_cpu_wait_seconds));
  }
  line("server RSS idle/connected/end", mib(server.rss_idle_bytes) + " / " +
                                            mib(server.rss_connected_bytes) + " / " +
                                            mib(server.rss_end_bytes));
  if (auto per_connection = rss_per_connection(report)) {
    line("server RSS per connection", format("%.1f KiB", *per_connection / 1024));
  }
  line("totals", std::to_string(report.sent_total) + " sent, " +
                     std::to_string(report.acked_total) + " acked, " +
                     std::to_string(report.delivered_total) + " of " +
                     std::to_string(report.expected_deliveries_total) + " deliveries" +
                     (report.drained ? "" : " (not drained)"));
  line("errors", std::to_string(report.errors.total()));
  for (const auto& [reason, count] : report.errors.reasons)
    line("", std::to_string(count) + " x " + reason);
  if (server.log) {
    line("server log lines", std::to_string(server.log->lines));
    for (const auto& [event, count] : server.log->events)
      line("", std::to_string(count) + " x " + event);
  }
  if (server.metrics) {
    std::string counters;
    for (const char* name :
         {"trellis_slow_consumer_merges_total", "trellis_slow_consumer_drops_total",
          "trellis_frames_rejected_total", "trellis_connections_refused_total"}) {
      const auto found = server.metrics->find(name);
      if (found == server.metrics->end()) continue;
      counters +=
          (counters.empty() ? "" : ", ") + std::string(name) + " " + format("%.0f", found->second);
    }
    line("server metrics", counters);
  }
  if (!server.exit.empty()) line("server", server.exit);
  return text;
}

std::vector<std::string> check_failures(const LoadReport& report) {
  std::vector<std::string> failures;
  const auto fail_unless = [&](bool ok, std::string what) {
    if (!ok) failures.push_back(std::move(what));
  };
  fail_unless(report.errors.total() == 0,
              std::to_string(report.errors.total()) + " errors (see errors.reasons)");
  fail_unless(report.clients_loading == report.options.connections(),
              std::to_string(report.clients_loading) + " of " +
                  std::to_string(report.options.connections()) + " clients took part");
  fail_unless(report.sent_total > 0, "no edit was sent");
  fail_unless(report.acked_total == report.sent_total, std::to_string(report.acked_total) + " of " +
                                                           std::to_string(report.sent_total) +
                                                           " edits acknowledged");
  fail_unless(
      report.delivered_total == report.acked_total * (report.options.clients_per_workspace - 1),
      std::to_string(report.delivered_total) + " deliveries, expected acked x (C - 1) = " +
          std::to_string(report.acked_total * (report.options.clients_per_workspace - 1)));
  fail_unless(report.options.clients_per_workspace < 2 || report.latency.samples > 0,
              "no latency sample in the window");
  fail_unless(report.options.clients_per_workspace < 2 || report.errors.timestamp_checks > 0,
              "no delivered edit had its timestamp checked");
  return failures;
}

}  // namespace trellis::bench::load
