#include "workspace_registry.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>

#include "identity.hpp"
#include "log.hpp"

namespace trellis::server {

WorkspaceRegistry::WorkspaceRegistry(boost::asio::io_context& io, WorkspaceStore& store,
                                     Metrics& metrics, RegistrySettings settings)
    : io_(io), store_(store), metrics_(metrics), settings_(settings) {}

std::size_t WorkspaceRegistry::loaded() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void WorkspaceRegistry::acquire(const std::string& id, std::function<void(AcquireResult)> done) {
  std::unique_lock lock(mutex_);
  if (closed_) {
    lock.unlock();
    done({nullptr, AcquireError::shutting_down, "the server is shutting down"});
    return;
  }
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    Entry& entry = it->second;
    ++entry.idle_generation;
    if (!entry.workspace) {
      entry.waiting.push_back(std::move(done));
      return;
    }
    ++entry.connections;
    auto workspace = entry.workspace;
    lock.unlock();
    done({std::move(workspace), {}, {}});
    return;
  }
  if (entries_.size() >= settings_.max_workspaces) {
    // Idle workspaces go (after their snapshot); this hello is refused now
    // and the client's backoff retries once they have.
    for (auto& [other_id, entry] : entries_) {
      if (entry.workspace && entry.connections == 0) {
        boost::asio::post(io_, [this, other_id = other_id, generation = entry.idle_generation] {
          unload_if_idle(other_id, generation);
        });
      }
    }
    lock.unlock();
    done({nullptr, AcquireError::server_busy,
          "too many workspaces are loaded (--max-workspaces); try again later"});
    return;
  }
  Entry& entry = entries_[id];
  entry.waiting.push_back(std::move(done));
  lock.unlock();
  store_.load(id, [this, id](crdt::Result<std::optional<LoadedWorkspace>> loaded) {
    on_loaded(id, std::move(loaded));
  });
}

void WorkspaceRegistry::on_loaded(const std::string& id,
                                  crdt::Result<std::optional<LoadedWorkspace>> loaded) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  std::vector<std::function<void(AcquireResult)>> waiting = std::move(it->second.waiting);
  if (!loaded) {
    entries_.erase(it);
    lock.unlock();
    log_event(LogLevel::error, "workspace_load_failed",
              {{"workspace", id}, {"error", loaded.error().message}});
    for (auto& done : waiting)
      done({nullptr, AcquireError::storage_failed, "the workspace could not be loaded"});
    return;
  }
  // A fresh server replica id per load: the server stamps Socket.IO
  // clients' edits with it, and a new id can never reuse a dot after a
  // crash (an edit forwarded before its commit and then lost).
  crdt::GraphDoc doc(new_server_replica());
  std::uint64_t stored_deltas = 0;
  if (*loaded) {
    stored_deltas = (*loaded)->delta_count;
    doc.join(std::move((*loaded)->doc));
  }
  auto workspace = std::make_shared<Workspace>(
      id, boost::asio::make_strand(io_),
      sync::WorkspaceReplica(doc.replica(), std::move(doc), settings_.workspace.delta_log_bytes),
      store_, metrics_, settings_.workspace, stored_deltas);
  it->second.workspace = workspace;
  it->second.connections += waiting.size();
  lock.unlock();
  metrics_.workspaces_loaded.fetch_add(1, std::memory_order_relaxed);
  log_event(LogLevel::info, "workspace_loaded", {{"workspace", id}});
  for (auto& done : waiting)
    done({workspace, {}, {}});
}

void WorkspaceRegistry::release(const std::shared_ptr<Workspace>& workspace) {
  std::unique_lock lock(mutex_);
  auto it = entries_.find(workspace->id());
  if (it == entries_.end() || it->second.workspace != workspace) return;
  Entry& entry = it->second;
  if (entry.connections > 0) --entry.connections;
  if (entry.connections > 0 || closed_) return;
  const std::uint64_t generation = ++entry.idle_generation;
  lock.unlock();
  arm_unload(workspace->id(), generation);
}

void WorkspaceRegistry::arm_unload(const std::string& id, std::uint64_t generation) {
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, settings_.unload_after);
  timer->async_wait([this, timer, id, generation](boost::system::error_code error) {
    if (!error) unload_if_idle(id, generation);
  });
}

void WorkspaceRegistry::unload_if_idle(const std::string& id, std::uint64_t generation) {
  std::shared_ptr<Workspace> workspace;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.connections > 0 ||
        it->second.idle_generation != generation || !it->second.workspace) {
      return;
    }
    workspace = it->second.workspace;
  }
  // The snapshot is queued on the workspace's strand before the entry goes,
  // so a later load of this id reads it (the store is FIFO).
  boost::asio::post(workspace->strand(), [this, workspace, generation] {
    workspace->snapshot_if_changed();
    std::lock_guard lock(mutex_);
    auto it = entries_.find(workspace->id());
    if (it == entries_.end() || it->second.workspace != workspace || it->second.connections > 0 ||
        it->second.idle_generation != generation) {
      return;
    }
    entries_.erase(it);
    metrics_.workspaces_loaded.fetch_sub(1, std::memory_order_relaxed);
    log_event(LogLevel::info, "workspace_unloaded", {{"workspace", workspace->id()}});
  });
}

void WorkspaceRegistry::close(std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<Workspace>> workspaces;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, entry] : entries_) {
      if (entry.workspace) workspaces.push_back(entry.workspace);
    }
  }
  struct Countdown {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t left;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->left = workspaces.size();
  for (auto& workspace : workspaces) {
    boost::asio::post(workspace->strand(), [workspace, countdown] {
      workspace->snapshot_if_changed();
      std::lock_guard lock(countdown->mutex);
      if (--countdown->left == 0) countdown->done.notify_all();
    });
  }
  std::unique_lock lock(countdown->mutex);
  countdown->done.wait_for(lock, timeout, [&] { return countdown->left == 0; });
}

}  // namespace trellis::server
