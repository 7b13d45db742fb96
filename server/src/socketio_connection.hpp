#pragma once
// The Socket.IO v5 layer of one Engine.IO session: namespaces (only "/"),
// CONNECT with the auth hook, the seed's events (join_workspace,
// leave_workspace, node_change, edge_change, node_data_update,
// sync_request) carried to the session's workspace, and acknowledgements
// (a change's ack only once it is durable). docs/socketio-mapping.md.
// A session whose client sends no CONNECT within --http-idle-timeout of the
// handler's creation is closed (socket.io's connectTimeout).

#include <memory>

#include "engineio_session.hpp"

namespace trellis::server {

std::shared_ptr<MessageHandler> make_socketio_handler(ServerContext& context,
                                                      std::weak_ptr<EngineIoSession> session);

}  // namespace trellis::server
