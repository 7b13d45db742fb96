#pragma once
// A `/v1/sync` WebSocket connection (docs/protocol.md): reads frames and
// hands each to its workspace, writes what the workspace sends it from a
// bounded OutboundQueue, one write in flight; to a client whose hello
// announced protocol version 2, the frames waiting when a write completes
// go as one `batch`. Lives on its own strand.

#include "http_types.hpp"
#include "server_context.hpp"

namespace trellis::server {

// Takes over an HTTP connection whose request asked for the WebSocket
// upgrade on /v1/sync, and runs it until it closes.
void start_sync_connection(ServerContext& context, boost::beast::tcp_stream stream,
                           HttpRequest request);

}  // namespace trellis::server
