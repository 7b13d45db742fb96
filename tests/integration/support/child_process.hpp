#pragma once
// A trellisd child process for crash tests: started with arguments, its
// stdout read until the "listening on http://HOST:PORT" line (bounded), and
// killed with any signal.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace trellis::testing {

class ChildServer {
 public:
  // Starts `program` with `args` and waits (at most `timeout`) for its
  // "listening on" line; port() is 0 when it never came.
  ChildServer(const std::string& program, const std::vector<std::string>& args,
              std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~ChildServer();  // SIGKILL if still running
  ChildServer(const ChildServer&) = delete;
  ChildServer& operator=(const ChildServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Sends `signal` and reaps the process; returns its wait status.
  int kill_and_wait(int signal);
  void send_signal(int signal);
  // Reaps the process (at most `timeout`, then SIGKILL); its wait status.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace trellis::testing
