#pragma once
// ServerContext: what every connection of one running trellisd shares — its
// configuration, I/O context, storage, workspaces, metrics and the set of
// live connections (to close them all on shutdown). Owned by Server
// (server.hpp), which outlives every connection.

#include "trellis/net/asio.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "config.hpp"
#include "engineio_sessions.hpp"
#include "metrics.hpp"
#include "storage/workspace_store.hpp"
#include "trellis/crdt/json.hpp"
#include "workspace_registry.hpp"

namespace trellis::server {

// The live connections, each with the action that closes it for shutdown
// (a WebSocket closes with 1001 "going away"). Thread-safe.
class ConnectionSet {
 public:
  // Registers a connection, or refuses it (false) past `limit` or once
  // shutdown has begun.
  bool add(ConnectionId id, std::function<void()> shut_down, std::size_t limit);
  void remove(ConnectionId id);
  std::size_t size() const;
  // Refuses new connections and calls every shut_down action.
  void shut_down_all();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<ConnectionId, std::function<void()>> live_;
  bool closed_ = false;
};

struct ServerContext {
  ServerConfig config;
  boost::asio::io_context& io;
  WorkspaceStore& store;
  WorkspaceRegistry& registry;
  Metrics& metrics;
  ConnectionSet connections;
  std::atomic<ConnectionId> next_connection_id{1};
  EngineIoSessions engineio;
  // Decides a Socket.IO CONNECT from its `auth` payload: nullopt allows it,
  // a message refuses it with CONNECT_ERROR {message}. Empty: allow all
  // (authentication is on the road map; embedders set this).
  std::function<std::optional<std::string>(const crdt::Json& auth)> authorize_socketio;
};

}  // namespace trellis::server
