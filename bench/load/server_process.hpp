#pragma once
// A trellisd started by the load generator as its child: in-memory storage,
// a kernel-chosen port, optionally pinned to one core. Its stdout and stderr
// share one pipe, read by one thread: the "listening on http://HOST:PORT"
// line gives the address, and every later line (the server's warnings and
// errors, in logfmt) is counted by event name, so that a run reports what
// the server complained about under load.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "trellis/crdt/result.hpp"

namespace trellis::bench::load {

struct SpawnSettings {
  std::string path;
  std::optional<unsigned> threads;   // --threads; trellisd's default when unset
  std::optional<unsigned> cpu_core;  // sched_setaffinity in the child
  std::chrono::milliseconds start_timeout{10'000};
};

// What the server wrote after its "listening on" line.
struct ServerLog {
  std::size_t lines = 0;
  std::map<std::string, std::size_t> events;  // logfmt event= name -> lines
  std::vector<std::string> first_lines;       // the first kKeptLines, verbatim
  static constexpr std::size_t kKeptLines = 20;
};

class ServerProcess {
 public:
  // Starts the server and waits (at most start_timeout) for its address.
  static crdt::Result<std::unique_ptr<ServerProcess>> spawn(const SpawnSettings& settings);

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // ws://HOST:PORT/v1/sync
  std::string sync_url() const;
  ServerLog log() const;
  // SIGTERM, then SIGKILL if it is still running after `grace`; reaps it and
  // describes how it ended ("exited with 0", "killed by signal 9").
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  ServerProcess() = default;
  void read_output(int fd);

  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable address_known_;
  std::string authority_;  // HOST:PORT, once the server said it
  bool output_ended_ = false;
  ServerLog log_;
  std::string exit_description_;
};

}  // namespace trellis::bench::load
