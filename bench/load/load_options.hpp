#pragma once
// What one run of trellis_load is asked to do: which server (one it starts,
// or one already running), how many workspaces and clients, how fast they
// edit and for how long. Parsed strictly from the command line: a typo stops
// the run with a message naming the flag rather than measuring something
// nobody asked for.

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "trellis/crdt/result.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::bench::load {

struct LoadOptions {
  // ws://HOST:PORT[/v1/sync] of a running trellisd; empty with `spawn_path`.
  std::string url;
  // A trellisd binary to start as a child (--port 0 --storage memory).
  std::string spawn_path;
  // --threads of the spawned server; unset leaves trellisd's default.
  std::optional<unsigned> server_threads;
  // Cores to pin the spawned server and this process to.
  std::optional<unsigned> server_cpu_core;
  std::optional<unsigned> load_cpu_core;
  // The pid of a server given by --url, for its CPU time and RSS.
  std::optional<pid_t> server_pid;

  unsigned workspaces = 10;
  unsigned clients_per_workspace = 5;
  // Edits per second of each client; 0 saturates: each client keeps
  // `in_flight` edits unacknowledged and sends the next on every ack.
  double rate = 40;
  unsigned in_flight = 8;
  // The sync protocol version the clients announce: 1 plays clients older
  // than `batch`, which the server writes one frame at a time.
  unsigned protocol_version = sync::kProtocolVersion;
  double duration_s = 20;
  double warmup_s = 2;
  // Nodes per workspace, created by the workspace's first client.
  unsigned nodes = 20;

  // With join_nodes > 0 the run measures joins instead of load
  // (join_probe.hpp): a workspace of join_nodes nodes, joined join_repeats
  // times by fresh clients.
  unsigned join_nodes = 0;
  unsigned join_repeats = 5;

  bool json = false;
  // Exit 1 unless every edit was acknowledged and reached every other client.
  bool check = false;

  unsigned connections() const { return workspaces * clients_per_workspace; }
  bool saturate() const { return rate == 0; }
};

struct HelpRequested {};

using ParsedLoadOptions = crdt::Result<std::variant<LoadOptions, HelpRequested>>;

// `args`: the command line without the program name; `--flag value` or
// `--flag=value`.
ParsedLoadOptions parse_load_options(std::span<const std::string_view> args);

std::string load_usage();

}  // namespace trellis::bench::load
