#include "config.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <thread>
#include <type_traits>

#include "trellis/crdt/limits.hpp"

namespace trellis::server {
namespace {

using crdt::ErrorCode;
using crdt::make_error;

// What is wrong with a value, without the flag's name (the caller adds it,
// as a flag or as an environment variable).
using Problem = std::optional<std::string>;
using Apply = Problem (*)(ServerConfig&, std::string_view value);

constexpr std::size_t kKiB = std::size_t{1} << 10;
constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kGiB = std::size_t{1} << 30;
constexpr std::uint64_t kHourMs = 3600 * 1000;
constexpr std::uint64_t kDayMs = 24 * kHourMs;

std::string quoted(std::string_view text) {
  constexpr std::size_t kShown = 80;
  if (text.size() > kShown) return "'" + std::string(text.substr(0, kShown)) + "...'";
  return "'" + std::string(text) + "'";
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_lowercase(std::string_view text, std::string_view lowercase) {
  if (text.size() != lowercase.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (lower(text[i]) != lowercase[i]) return false;
  return true;
}

// "1048576", "1024k", "16MiB", "1g": binary multiples, since buffers are.
std::optional<std::uint64_t> parse_size(std::string_view text) {
  const std::size_t digits = text.find_first_not_of("0123456789");
  const std::string_view suffix = digits == std::string_view::npos ? "" : text.substr(digits);
  struct Unit {
    std::string_view name;
    std::uint64_t bytes;
  };
  static constexpr std::array<Unit, 8> kUnits{{{"", 1},
                                               {"b", 1},
                                               {"k", kKiB},
                                               {"kib", kKiB},
                                               {"m", kMiB},
                                               {"mib", kMiB},
                                               {"g", kGiB},
                                               {"gib", kGiB}}};
  for (const Unit& unit : kUnits) {
    if (!equals_lowercase(suffix, unit.name)) continue;
    const auto count = parse_uint(text.substr(0, text.size() - suffix.size()));
    if (!count || *count > std::numeric_limits<std::uint64_t>::max() / unit.bytes) {
      return std::nullopt;
    }
    return *count * unit.bytes;
  }
  return std::nullopt;
}

// "20", "0.5", "1.25s": seconds, kept to the millisecond (further digits
// are dropped).
std::optional<std::uint64_t> parse_seconds_as_ms(std::string_view text) {
  if (text.ends_with('s')) text.remove_suffix(1);
  const std::size_t dot = text.find('.');
  const auto whole = parse_uint(text.substr(0, dot));
  constexpr std::uint64_t kMaxSeconds = std::uint64_t{1} << 40;  // far past any sane timeout
  if (!whole || *whole > kMaxSeconds) return std::nullopt;
  std::uint64_t ms = *whole * 1000;
  if (dot == std::string_view::npos) return ms;
  const std::string_view fraction = text.substr(dot + 1);
  if (fraction.empty() || fraction.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::uint64_t scale = 100;
  for (std::size_t i = 0; i < fraction.size() && scale > 0; ++i, scale /= 10)
    ms += static_cast<std::uint64_t>(fraction[i] - '0') * scale;
  return ms;
}

std::string seconds_text(std::uint64_t ms) {
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 != 0) {
    std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
    while (fraction.ends_with('0'))
      fraction.pop_back();
    text += "." + fraction;
  }
  return text;
}

// How one kind of number is read, and shown in messages.
struct NumberKind {
  std::optional<std::uint64_t> (*parse)(std::string_view text);
  std::string (*show)(std::uint64_t value);
  std::string_view expected;  // what a malformed value should have been
  std::string_view unit;      // after the bounds of a range
};

std::string plain_text(std::uint64_t value) {
  return std::to_string(value);
}

constexpr NumberKind kWholeNumber{parse_uint, plain_text, "a whole number", ""};
constexpr NumberKind kSize{parse_size, plain_text, "a size (bytes, or a number with k, MiB or GiB)",
                           " bytes"};
constexpr NumberKind kSeconds{parse_seconds_as_ms, seconds_text,
                              "a duration in seconds (e.g. 20 or 0.5)", " seconds"};

// Sets an integer or std::chrono::milliseconds member, Min..Max inclusive
// (milliseconds for kSeconds).
template <auto Member, const NumberKind& Kind, std::uint64_t Min, std::uint64_t Max>
Problem apply_number(ServerConfig& config, std::string_view text) {
  const auto value = Kind.parse(text);
  if (!value) return quoted(text) + " is not " + std::string(Kind.expected);
  if (*value < Min || *value > Max) {
    return quoted(text) + " is out of range (" + Kind.show(Min) + " to " + Kind.show(Max) +
           std::string(Kind.unit) + ")";
  }
  using Field = std::remove_reference_t<decltype(config.*Member)>;
  config.*Member = static_cast<Field>(*value);
  return std::nullopt;
}

template <auto Member>
Problem apply_text(ServerConfig& config, std::string_view text) {
  if (text.empty()) return std::string("must not be empty");
  config.*Member = std::string(text);
  return std::nullopt;
}

Problem apply_storage(ServerConfig& config, std::string_view text) {
  if (text == "sqlite") {
    config.storage = StorageKind::sqlite;
  } else if (text == "memory") {
    config.storage = StorageKind::memory;
  } else {
    return quoted(text) + " is not a storage kind (sqlite or memory)";
  }
  return std::nullopt;
}

Problem apply_log_level(ServerConfig& config, std::string_view text) {
  const auto level = parse_log_level(text);
  if (!level) return quoted(text) + " is not a log level (debug, info, warn or error)";
  config.log_level = *level;
  return std::nullopt;
}

// "https://a.example, https://b.example": comma-separated, blanks around
// items ignored, empty items skipped (a trailing comma is harmless).
Problem apply_origins(ServerConfig& config, std::string_view text) {
  std::vector<std::string> origins;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t first = item.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
    if (item.find_first_of(" \t") != std::string_view::npos) {
      return quoted(item) + " is not an origin (origins are separated by commas)";
    }
    origins.emplace_back(item);
  }
  config.allowed_origins = std::move(origins);
  return std::nullopt;
}

struct Flag {
  std::string_view name;  // without the leading "--"
  std::string_view value_name;
  std::string_view help;
  Apply apply;
};

constexpr std::uint64_t kMaxThreads = 1024;
constexpr std::uint64_t kMaxCount = 1'000'000;

// The one list of flags: parsing, the environment and usage() all read it.
const std::array<Flag, 18> kFlags{{
    {"host", "ADDRESS", "address to listen on (default 127.0.0.1)",
     apply_text<&ServerConfig::host>},
    {"port", "PORT", "TCP port, 0 picks a free one (default 8080)",
     apply_number<&ServerConfig::port, kWholeNumber, 0, 65535>},
    {"threads", "N", "I/O threads, 0 = one per CPU (default 0)",
     apply_number<&ServerConfig::threads, kWholeNumber, 0, kMaxThreads>},
    {"data-dir", "DIR", "directory of the workspace databases (default ./data)",
     apply_text<&ServerConfig::data_dir>},
    {"storage", "sqlite|memory", "where workspaces are kept (default sqlite)", apply_storage},
    {"web-root", "DIR", "the built web frontend to serve (default web/dist)",
     apply_text<&ServerConfig::web_root>},
    {"max-frame-bytes", "SIZE", "largest WebSocket frame accepted (default 16MiB)",
     apply_number<&ServerConfig::max_frame_bytes, kSize, kKiB, crdt::limits::kMaxEncodedBytes>},
    {"max-connections", "N", "open connections at once (default 10000)",
     apply_number<&ServerConfig::max_connections, kWholeNumber, 1, kMaxCount>},
    {"max-workspaces", "N", "workspaces loaded at once (default 1000)",
     apply_number<&ServerConfig::max_workspaces, kWholeNumber, 1, kMaxCount>},
    {"ping-interval", "SECONDS", "heartbeat interval (default 20)",
     apply_number<&ServerConfig::ping_interval, kSeconds, 1, kHourMs>},
    {"ping-timeout", "SECONDS", "a peer silent for interval + timeout is closed (default 20)",
     apply_number<&ServerConfig::ping_timeout, kSeconds, 1, kHourMs>},
    {"http-idle-timeout", "SECONDS",
     "idle HTTP connections, and sessions that never join, are closed (default 30)",
     apply_number<&ServerConfig::http_idle_timeout, kSeconds, 1, kHourMs>},
    {"workspace-unload-after", "SECONDS",
     "idle workspaces are flushed and unloaded, 0 = at once (default 30)",
     apply_number<&ServerConfig::workspace_unload_after, kSeconds, 0, kDayMs>},
    {"outbound-queue-bytes", "SIZE",
     "bytes queued for one connection before it is a slow consumer (default 8MiB)",
     apply_number<&ServerConfig::outbound_queue_bytes, kSize, 64 * kKiB, kGiB>},
    {"delta-log-bytes", "SIZE",
     "memory of each workspace's log of recent deltas, for resyncs (default 8MiB)",
     apply_number<&ServerConfig::delta_log_bytes, kSize, 0, kGiB>},
    {"snapshot-every", "N", "deltas between workspace snapshots (default 1000)",
     apply_number<&ServerConfig::snapshot_every, kWholeNumber, 1, 100'000'000>},
    {"log-level", "LEVEL", "debug, info, warn or error (default info)", apply_log_level},
    {"allowed-origins", "A,B", "origins allowed to connect, empty = any (default empty)",
     apply_origins},
}};

const Flag* find_flag(std::string_view name) {
  for (const Flag& flag : kFlags)
    if (flag.name == name) return &flag;
  return nullptr;
}

std::string env_name(std::string_view flag_name) {
  std::string name = "TRELLIS_";
  for (char c : flag_name)
    name += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return name;
}

crdt::Error invalid(std::string message) {
  return make_error(ErrorCode::invalid_argument, std::move(message));
}

struct FlagValue {
  const Flag* flag;
  std::string_view value;
};

}  // namespace

std::string_view to_string(StorageKind kind) {
  return kind == StorageKind::sqlite ? "sqlite" : "memory";
}

unsigned ServerConfig::io_threads() const {
  if (threads != 0) return threads;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : hardware;
}

ParsedArgs parse_config(std::span<const std::string_view> args, const Getenv& getenv) {
  // First read the whole command line: --help anywhere wins over any error.
  std::vector<FlagValue> given;
  std::optional<crdt::Error> first_error;
  bool help = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
      continue;
    }
    if (first_error) continue;
    if (!arg.starts_with("--")) {
      first_error = invalid("unexpected argument " + quoted(arg) + " (see --help)");
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (const std::size_t equals = name.find('='); equals != std::string_view::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    const Flag* flag = find_flag(name);
    if (!flag) {
      first_error = invalid("unknown flag --" + std::string(name) + " (see --help)");
      continue;
    }
    if (!value) {
      // A following flag is not a value: `--host --port 1` lacks a host.
      if (i + 1 == args.size() || args[i + 1].starts_with("--")) {
        first_error = invalid("--" + std::string(name) + " needs a value");
        continue;
      }
      value = args[++i];
    }
    given.push_back({flag, *value});
  }
  if (help) return std::variant<ServerConfig, HelpRequested>(HelpRequested{});
  if (first_error) return *first_error;

  ServerConfig config;
  for (const Flag& flag : kFlags) {
    const std::string variable = env_name(flag.name);
    const auto value = getenv(variable);
    if (!value || value->empty()) continue;
    if (auto problem = flag.apply(config, *value)) return invalid(variable + ": " + *problem);
  }
  for (const auto& [flag, value] : given) {
    if (auto problem = flag->apply(config, value)) {
      return invalid("--" + std::string(flag->name) + ": " + *problem);
    }
  }
  return std::variant<ServerConfig, HelpRequested>(std::move(config));
}

std::optional<std::string> process_getenv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string usage() {
  std::string text =
      "Usage: trellisd [--flag value | --flag=value]...\n"
      "\n"
      "Serves Trellis workspaces: the sync protocol on /v1/sync and the web frontend.\n"
      "Every flag can also be set by the environment variable shown; flags win.\n"
      "Sizes are bytes or take k, MiB, GiB; durations are seconds (e.g. 20 or 0.5).\n"
      "\n";
  for (const Flag& flag : kFlags) {
    text += "  --" + std::string(flag.name) + " " + std::string(flag.value_name) + "  [" +
            env_name(flag.name) + "]\n      " + std::string(flag.help) + "\n";
  }
  text += "  --help\n      print this text and exit\n";
  text +=
      "\n"
      "Environment only:\n"
      "  TRELLIS_HEAP_HUGE_PAGES=0\n"
      "      keep 4 KiB pages for the heap; by default trellisd starts by running itself\n"
      "      again with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (docs/operations.md)\n";
  return text;
}

}  // namespace trellis::server
