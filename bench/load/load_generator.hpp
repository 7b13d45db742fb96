#pragma once
// The load itself: W x C protocol clients (sync::ClientSession over the
// native client's Beast WebSocket transport), all driven by one io_context
// on the calling thread, no thread per client.
//
// A run: connect every client (a bounded number of handshakes at once);
// the first client of each workspace creates the nodes; once every client
// holds them, each client sends parameter edits (`set_node_data(node,
// {"width": w, "t": intended send time})`) on a fixed schedule, so that a
// late generator or a slow server shows as latency instead of fewer
// edits; with --rate 0 each client instead keeps a window of unacknowledged
// edits full. After warmup + duration, sending stops and the run waits for
// every edit to be acknowledged and delivered (bounded), then closes.
//
// Latency: all clients share this process's steady clock. Every edit's
// intended send time is kept by its (replica, seq) dot; a receiver looks up
// the dots a delta covers, once per dot it had not received before, so the
// count stays exact even when the server merges a backlog into one delta.
// The edit also carries its time in "t"; --check compares the two.

#include <sys/types.h>

#include <optional>
#include <string>

#include "load_options.hpp"
#include "load_report.hpp"

namespace trellis::bench::load {

// Blocking. `server_pid`, when known, is sampled (CPU, RSS) at the window's
// edges and once every client is set up.
LoadReport run_load(const LoadOptions& options, const std::string& url,
                    std::optional<pid_t> server_pid);

}  // namespace trellis::bench::load
