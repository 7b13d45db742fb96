#pragma once
// One accepted TCP connection speaking HTTP/1.1: reads requests (headers
// and body bounded in size and time), answers them (http_routes.hpp), and
// hands a WebSocket upgrade of /v1/sync to a sync connection.

#include "http_types.hpp"
#include "server_context.hpp"

namespace trellis::server {

// Runs the connection on the socket's own strand until it closes.
void start_http_session(ServerContext& context, boost::asio::ip::tcp::socket socket);

}  // namespace trellis::server
