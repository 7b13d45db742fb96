#pragma once
// trellisd's configuration: every limit and timeout of the server, with its
// default, in one struct, read from command-line flags and TRELLIS_*
// environment variables (flags win). Parsing is strict: a typo must stop
// the server at start-up with a message naming the flag, not run it with a
// default nobody chose.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "log.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::server {

// Where workspaces live: SQLite files under data_dir, or memory only (tests,
// demos: everything is lost on exit).
enum class StorageKind { sqlite, memory };

std::string_view to_string(StorageKind kind);

struct ServerConfig {
  // Address to listen on. Loopback by default: exposing the server is a choice.
  std::string host = "127.0.0.1";
  // TCP port; 0 lets the kernel pick a free one (tests).
  std::uint16_t port = 8080;
  // I/O threads; 0 = std::thread::hardware_concurrency (see io_threads()).
  unsigned threads = 0;
  // Directory of the SQLite workspace files (storage == sqlite).
  std::filesystem::path data_dir = "./data";
  StorageKind storage = StorageKind::sqlite;
  // The built web frontend (Vite's dist/), served over HTTP.
  std::filesystem::path web_root = "web/dist";
  // Largest WebSocket frame accepted from a client.
  std::size_t max_frame_bytes = sync::limits::kMaxFrameBytes;
  // Open connections (HTTP and WebSocket) at once; more are refused.
  std::size_t max_connections = 10000;
  // Workspaces loaded at once; a hello for one more gets server_busy.
  std::size_t max_workspaces = 1000;
  // Heartbeat (WebSocket ping, Engine.IO ping): a peer that answers nothing
  // for ping_interval + ping_timeout is closed, so dead TCP connections do
  // not hold workspaces loaded.
  std::chrono::milliseconds ping_interval{20'000};
  std::chrono::milliseconds ping_timeout{20'000};
  // An HTTP connection idle this long is closed; it also bounds how long a
  // client may take to send its headers (slowloris), how long a /v1/sync
  // WebSocket may take to send its hello, and an Engine.IO session its
  // Socket.IO CONNECT.
  std::chrono::milliseconds http_idle_timeout{30'000};
  // A workspace with no connection for this long is flushed and unloaded;
  // 0 unloads it as soon as its last connection leaves.
  std::chrono::milliseconds workspace_unload_after{30'000};
  // Bytes waiting to be sent to one connection before it counts as a slow
  // consumer (the hard limit of OutboundQueue, outbound_queue.hpp).
  std::size_t outbound_queue_bytes = 8u << 20;
  // Memory of each loaded workspace's log of recent deltas (DeltaLog): a
  // reconnecting client that missed only what the log holds is sent those
  // deltas; one that missed more is sent delta_since (more bytes). 0 keeps
  // no log.
  std::size_t delta_log_bytes = sync::DeltaLog::kDefaultMaxBytes;
  // A workspace writes a full snapshot after this many deltas, so loading
  // it replays at most this many.
  std::uint64_t snapshot_every = 1000;
  LogLevel log_level = LogLevel::info;
  // Origins allowed by CORS (Socket.IO polling) and WebSocket upgrades;
  // empty allows any origin.
  std::vector<std::string> allowed_origins;

  // `threads`, or the hardware's concurrency when it is 0 (at least 1).
  unsigned io_threads() const;
};

// `--help` was given: print usage() and exit successfully.
struct HelpRequested {};

// What the command line asked for: a configuration to run, or the help
// text; an Error when it cannot be honoured.
using ParsedArgs = crdt::Result<std::variant<ServerConfig, HelpRequested>>;

// Reads the value of an environment variable (std::getenv in main, a map in tests).
using Getenv = std::function<std::optional<std::string>(std::string_view name)>;

// Builds the configuration from the defaults, then the environment
// (TRELLIS_<FLAG>, e.g. TRELLIS_PORT, TRELLIS_DATA_DIR; an empty variable
// counts as unset), then `args`: the command line without the program name.
// Flags are `--flag value` or `--flag=value`. Sizes are bytes with an
// optional binary suffix (k/KiB, m/MiB, g/GiB, case-insensitive); durations
// are seconds, integral or decimal, with an optional "s", kept to the
// millisecond. Any unknown flag, missing value, malformed or out-of-range
// number or unknown choice is an invalid_argument Error naming the flag or
// variable.
ParsedArgs parse_config(std::span<const std::string_view> args, const Getenv& getenv);

// The process environment, for parse_config in main().
std::optional<std::string> process_getenv(std::string_view name);

// The --help text: every flag, its variable and its default.
std::string usage();

}  // namespace trellis::server
