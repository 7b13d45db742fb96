#pragma once
// EngineIoSessions: the live Engine.IO sessions by sid, so that a polling
// request or an upgrading WebSocket finds its session. Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace trellis::server {

class EngineIoSession;

class EngineIoSessions {
 public:
  void add(const std::shared_ptr<EngineIoSession>& session);
  std::shared_ptr<EngineIoSession> find(const std::string& sid) const;
  void remove(const std::string& sid);
  std::size_t size() const;
  // Shutdown: closes every session (on its strand).
  void close_all();

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<EngineIoSession>> sessions_;
};

}  // namespace trellis::server
