#pragma once
// The HTTP endpoints of trellisd (docs/operations.md):
//   GET  /healthz           200 {"status":"ok", ...}
//   GET  /metrics           Prometheus text format 0.0.4
//   POST /api/workspaces    201 {"workspaceId": "<22 chars, 128 random bits>"}
//   GET  /v1/sync           the native protocol; without the WebSocket
//                           upgrade it is 426
//   /socket.io/             reserved for the Socket.IO adapter
//   GET  anything else      web/'s build (static_files.hpp), with the SPA
//                           fallback to index.html for /workspace/:id
// Errors are JSON {"error": "..."} with the status that fits. The routing is
// a function of the request alone (plus the server's state), so it can be
// tested and fuzzed without a socket.

#include "http_types.hpp"
#include "server_context.hpp"

namespace trellis::server {

// The response to one request that is not a WebSocket upgrade.
boost::asio::awaitable<HttpResponse> respond(ServerContext& context, const HttpRequest& request);

// The path of a request target: what precedes '?' or '#'.
std::string_view target_path(std::string_view target);

}  // namespace trellis::server
