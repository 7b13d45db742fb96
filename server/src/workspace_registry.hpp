#pragma once
// WorkspaceRegistry: the workspaces loaded in this process, each loaded
// once, on first use, and unloaded after it has had no connection for a
// while — so memory follows the active workspaces, not every workspace that
// ever existed. Thread-safe: one mutex guards the table, never held while
// a workspace runs or storage works.
//
// Life of an entry: acquire() of an unknown id starts a load from storage
// (a workspace storage has never seen starts empty and is stored with its
// first delta); further acquires wait for that same load. Each acquire
// counts a connection until its release(). When the count falls to zero an
// unload timer starts; if it fires with the count still zero, the workspace
// writes a snapshot on its strand (so every delta it applied is in the
// store's queue before anything a later incarnation does) and the entry is
// dropped.

#include "trellis/net/asio.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "workspace.hpp"

namespace trellis::server {

struct RegistrySettings {
  std::size_t max_workspaces = 1000;
  std::chrono::milliseconds unload_after{30'000};
  WorkspaceSettings workspace;
};

// Why acquire failed; the connection maps it onto a protocol error.
enum class AcquireError { server_busy, storage_failed, shutting_down };

struct AcquireResult {
  std::shared_ptr<Workspace> workspace;  // null on error
  AcquireError error = AcquireError::storage_failed;
  std::string message;
};

class WorkspaceRegistry {
 public:
  WorkspaceRegistry(boost::asio::io_context& io, WorkspaceStore& store, Metrics& metrics,
                    RegistrySettings settings);

  // Calls `done` (on a storage or caller thread; post from it) with the
  // loaded workspace, counting one connection on it.
  void acquire(const std::string& id, std::function<void(AcquireResult)> done);
  // One connection of `workspace` is gone.
  void release(const std::shared_ptr<Workspace>& workspace);

  std::size_t loaded() const;
  // Shutdown: refuses new acquires, has every loaded workspace write its
  // snapshot, and returns once they have been queued (at most `timeout`;
  // the I/O threads must be running). The store's close() then flushes.
  void close(std::chrono::milliseconds timeout);

 private:
  struct Entry {
    std::shared_ptr<Workspace> workspace;  // null while loading
    std::size_t connections = 0;
    std::uint64_t idle_generation = 0;  // bumped on every use: stale timers do nothing
    std::vector<std::function<void(AcquireResult)>> waiting;
  };

  void on_loaded(const std::string& id, crdt::Result<std::optional<LoadedWorkspace>> loaded);
  void arm_unload(const std::string& id, std::uint64_t generation);
  void unload_if_idle(const std::string& id, std::uint64_t generation);
  bool evict_one_idle_locked();

  boost::asio::io_context& io_;
  WorkspaceStore& store_;
  Metrics& metrics_;
  RegistrySettings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  bool closed_ = false;
};

}  // namespace trellis::server
