#pragma once
// Server: one running trellisd — storage opened, the port bound, the I/O
// threads running. main() runs one until SIGINT/SIGTERM; integration tests
// run one in-process on port 0.

#include <memory>
#include <string>

#include "config.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::server {

class Server {
 public:
  // Opens storage, binds host:port and starts config.io_threads() threads.
  // Errors (a port in use, an unusable data dir) are values, with a message
  // for the operator.
  static crdt::Result<std::unique_ptr<Server>> start(ServerConfig config);

  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port (the kernel's pick when config.port was 0).
  std::uint16_t port() const;
  // "http://HOST:PORT", the line main() prints once the server is ready.
  std::string url() const;

  // Graceful shutdown: stop accepting, close every WebSocket with 1001
  // after what is queued for it, queue every loaded workspace's snapshot,
  // flush storage, stop the threads. Idempotent; call it from any thread
  // but an I/O thread of this server.
  void stop();

  struct State;

 private:
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace trellis::server
