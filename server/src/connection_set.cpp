#include "server_context.hpp"

namespace trellis::server {

bool ConnectionSet::add(ConnectionId id, std::function<void()> shut_down, std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (closed_ || live_.size() >= limit) return false;
  live_.emplace(id, std::move(shut_down));
  return true;
}

void ConnectionSet::remove(ConnectionId id) {
  std::lock_guard lock(mutex_);
  live_.erase(id);
}

std::size_t ConnectionSet::size() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

void ConnectionSet::shut_down_all() {
  std::vector<std::function<void()>> actions;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, action] : live_)
      actions.push_back(action);
  }
  for (auto& action : actions)
    action();
}

}  // namespace trellis::server
