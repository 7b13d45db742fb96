#pragma once
// The Engine.IO endpoint, /socket.io/: long-polling requests and WebSocket
// connections, each handed to its EngineIoSession (engineio_session.hpp);
// a session's first request creates it with a Socket.IO connection on top
// (socketio_connection.hpp). Errors are Engine.IO's: 400 with
// {"code": N, "message": "..."} (0 transport unknown, 1 session id unknown,
// 2 bad handshake method, 3 bad request, 5 unsupported protocol version).

#include "http_types.hpp"
#include "server_context.hpp"

namespace trellis::server {

// A polling request (GET, POST, or an OPTIONS preflight) on /socket.io/.
boost::asio::awaitable<HttpResponse> respond_engineio(ServerContext& context,
                                                      const HttpRequest& request);

// A WebSocket upgrade on /socket.io/: a new session, or the upgrade of a
// polling one (its sid in the query).
void start_engineio_websocket(ServerContext& context, boost::beast::tcp_stream stream,
                              HttpRequest request);

}  // namespace trellis::server
