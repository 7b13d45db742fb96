#pragma once
// The cost of a client joining a big workspace over the native protocol:
// one client adds `join_nodes` nodes to a fresh workspace (one transaction
// per node, as a user adding them one by one would), then `join_repeats`
// fresh clients in turn connect and send hello, each timed from the start of
// its connection until its welcome (with the catch-up) is joined into its
// replica, with the server CPU spent meanwhile and the bytes of the welcome
// frame. The Socket.IO counterpart is `socketio_load.mjs --scenario join`
// (bench/server/), which adds the same nodes.

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "load_options.hpp"

namespace trellis::bench::load {

struct JoinSample {
  double ms = 0;                        // connect start -> welcome joined
  std::optional<double> server_cpu_ms;  // the server's threads, schedstat
  std::size_t welcome_bytes = 0;        // the WebSocket message of the welcome
  std::size_t nodes = 0;                // nodes the joiner's replica holds
};

struct JoinReport {
  unsigned nodes = 0;
  double seed_s = 0;  // adding the nodes, until every one was acknowledged
  std::vector<JoinSample> joins;
  std::vector<std::string> errors;
};

// Blocking; `server_pid`, when known, is sampled around each join.
JoinReport run_join_probe(const LoadOptions& options, const std::string& url,
                          std::optional<pid_t> server_pid);

nlohmann::ordered_json join_report_json(const JoinReport& report);

}  // namespace trellis::bench::load
