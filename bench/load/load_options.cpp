#include "load_options.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace trellis::bench::load {
namespace {

using crdt::ErrorCode;
using crdt::make_error;

// What is wrong with a value; the caller names the flag.
using Problem = std::optional<std::string>;

// Bounds that keep a typo from asking for a million sockets or a day-long run.
constexpr unsigned kMaxWorkspaces = 10'000;
constexpr unsigned kMaxClientsPerWorkspace = 1'000;
constexpr unsigned kMaxConnections = 20'000;
constexpr unsigned kMaxNodes = 100'000;
constexpr unsigned kMaxInFlight = 10'000;
constexpr unsigned kMaxJoinRepeats = 1'000;
constexpr double kMaxRate = 1e6;
constexpr double kMaxSeconds = 3600;

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

Problem set_count(unsigned& target, std::string_view text, unsigned min, unsigned max) {
  const auto value = parse_uint(text);
  if (!value || *value < min || *value > max) {
    return "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  }
  target = static_cast<unsigned>(*value);
  return std::nullopt;
}

Problem set_optional_count(std::optional<unsigned>& target, std::string_view text, unsigned max) {
  unsigned value = 0;
  if (auto problem = set_count(value, text, 0, max)) return problem;
  target = value;
  return std::nullopt;
}

Problem set_seconds(double& target, std::string_view text, double min) {
  const auto value = parse_number(text);
  if (!value || *value < min || *value > kMaxSeconds) {
    return "expected seconds from " + std::to_string(min) + " to " + std::to_string(kMaxSeconds);
  }
  target = *value;
  return std::nullopt;
}

struct Flag {
  std::string_view name;
  bool takes_value;
  Problem (*apply)(LoadOptions&, std::string_view value);
};

constexpr unsigned kMaxCore = 4095;

const Flag kFlags[] = {
    {"--url", true,
     [](LoadOptions& o, std::string_view v) -> Problem {
       if (!v.starts_with("ws://")) return "expected ws://HOST:PORT[/v1/sync]";
       o.url = std::string(v);
       return std::nullopt;
     }},
    {"--spawn", true,
     [](LoadOptions& o, std::string_view v) -> Problem {
       if (v.empty()) return "expected the path of trellisd";
       o.spawn_path = std::string(v);
       return std::nullopt;
     }},
    {"--server-threads", true,
     [](LoadOptions& o, std::string_view v) -> Problem {
       unsigned threads = 0;
       if (auto problem = set_count(threads, v, 1, 256)) return problem;
       o.server_threads = threads;
       return std::nullopt;
     }},
    {"--server-cpu-core", true,
     [](LoadOptions& o, std::string_view v) {
       return set_optional_count(o.server_cpu_core, v, kMaxCore);
     }},
    {"--load-cpu-core", true,
     [](LoadOptions& o, std::string_view v) {
       return set_optional_count(o.load_cpu_core, v, kMaxCore);
     }},
    {"--server-pid", true,
     [](LoadOptions& o, std::string_view v) -> Problem {
       const auto pid = parse_uint(v);
       if (!pid || *pid == 0 ||
           *pid > static_cast<std::uint64_t>(std::numeric_limits<pid_t>::max())) {
         return "expected a process id";
       }
       o.server_pid = static_cast<pid_t>(*pid);
       return std::nullopt;
     }},
    {"--workspaces", true,
     [](LoadOptions& o, std::string_view v) {
       return set_count(o.workspaces, v, 1, kMaxWorkspaces);
     }},
    {"--clients", true,
     [](LoadOptions& o, std::string_view v) {
       return set_count(o.clients_per_workspace, v, 1, kMaxClientsPerWorkspace);
     }},
    {"--rate", true,
     [](LoadOptions& o, std::string_view v) -> Problem {
       const auto rate = parse_number(v);
       if (!rate || *rate < 0 || *rate > kMaxRate) {
         return "expected edits per second per client, 0 (saturate) to 1000000";
       }
       o.rate = *rate;
       return std::nullopt;
     }},
    {"--in-flight", true,
     [](LoadOptions& o, std::string_view v) { return set_count(o.in_flight, v, 1, kMaxInFlight); }},
    {"--protocol-version", true,
     [](LoadOptions& o, std::string_view v) {
       return set_count(o.protocol_version, v, sync::kOldestProtocolVersion,
                        sync::kProtocolVersion);
     }},
    {"--duration", true,
     [](LoadOptions& o, std::string_view v) { return set_seconds(o.duration_s, v, 0.1); }},
    {"--warmup", true,
     [](LoadOptions& o, std::string_view v) { return set_seconds(o.warmup_s, v, 0); }},
    {"--nodes", true,
     [](LoadOptions& o, std::string_view v) { return set_count(o.nodes, v, 1, kMaxNodes); }},
    {"--join-nodes", true,
     [](LoadOptions& o, std::string_view v) { return set_count(o.join_nodes, v, 0, kMaxNodes); }},
    {"--join-repeats", true,
     [](LoadOptions& o, std::string_view v) {
       return set_count(o.join_repeats, v, 1, kMaxJoinRepeats);
     }},
    {"--json", false,
     [](LoadOptions& o, std::string_view) -> Problem {
       o.json = true;
       return std::nullopt;
     }},
    {"--check", false,
     [](LoadOptions& o, std::string_view) -> Problem {
       o.check = true;
       return std::nullopt;
     }},
};

crdt::Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_argument, std::move(message));
}

}  // namespace

ParsedLoadOptions parse_load_options(std::span<const std::string_view> args) {
  LoadOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h")
      return std::variant<LoadOptions, HelpRequested>(HelpRequested{});
    std::optional<std::string_view> inline_value;
    if (const std::size_t equals = arg.find('='); equals != std::string_view::npos) {
      inline_value = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    }
    const Flag* flag = nullptr;
    for (const Flag& candidate : kFlags)
      if (candidate.name == arg) flag = &candidate;
    if (!flag) return invalid("unknown option '" + std::string(arg) + "'");
    std::string_view value;
    if (flag->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return invalid(std::string(arg) + " needs a value");
      }
    } else if (inline_value) {
      return invalid(std::string(arg) + " takes no value");
    }
    if (auto problem = flag->apply(options, value)) {
      return invalid(std::string(arg) + " '" + std::string(value) + "': " + *problem);
    }
  }
  if (options.url.empty() == options.spawn_path.empty()) {
    return invalid("give exactly one of --url and --spawn");
  }
  if (!options.url.empty() && (options.server_threads || options.server_cpu_core)) {
    return invalid("--server-threads and --server-cpu-core need --spawn");
  }
  if (options.server_pid && !options.spawn_path.empty()) {
    return invalid("--server-pid is for --url; with --spawn the pid is known");
  }
  if (options.connections() > kMaxConnections) {
    return invalid("--workspaces x --clients is over " + std::to_string(kMaxConnections) +
                   " connections");
  }
  return std::variant<LoadOptions, HelpRequested>(options);
}

std::string load_usage() {
  return R"(trellis_load: a load generator for trellisd's native sync protocol (docs/protocol.md).

W workspaces x C clients each, every client sending parameter edits at a given
rate; reports offered, acknowledged and delivered messages per second,
end-to-end latency (p50/p99/max), server CPU and RSS.

Server (exactly one of --url and --spawn):
  --url ws://HOST:PORT         a running trellisd
  --server-pid PID             its pid, for CPU time and RSS (with --url)
  --spawn PATH                 start PATH --port 0 --storage memory --log-level warn
  --server-threads N           pass --threads N to the spawned server
  --server-cpu-core N          pin the spawned server to core N
  --load-cpu-core N            pin this generator to core N

Load:
  --workspaces W               workspaces (default 10)
  --clients C                  clients per workspace (default 5)
  --rate R                     edits/s per client (default 40); 0 saturates
  --in-flight N                with --rate 0: unacknowledged edits per client (default 8)
  --protocol-version V         the sync protocol version the clients announce (default the
                               newest; 1: the server sends them no batch)
  --nodes K                    nodes per workspace (default 20)
  --warmup S                   seconds sent but not measured (default 2)
  --duration S                 measured seconds (default 20)

Join (instead of the load):
  --join-nodes N               add N nodes to a fresh workspace (one edit each),
                               then time fresh clients joining it: connect to
                               welcome joined, server CPU, welcome bytes; JSON
  --join-repeats R             joins to time, one after another (default 5)

Output:
  --json                       one JSON object instead of text
  --check                      exit 1 unless every edit was acknowledged and
                               delivered to every other client of its workspace
)";
}

}  // namespace trellis::bench::load
