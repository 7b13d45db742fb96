#include "engineio_sessions.hpp"

#include <boost/asio/post.hpp>

#include "engineio_session.hpp"

namespace trellis::server {

namespace asio = boost::asio;

void EngineIoSessions::add(const std::shared_ptr<EngineIoSession>& session) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(session->sid(), session);
}

std::shared_ptr<EngineIoSession> EngineIoSessions::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

void EngineIoSessions::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sid);
}

std::size_t EngineIoSessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void EngineIoSessions::close_all() {
  std::vector<std::shared_ptr<EngineIoSession>> sessions;
  {
    std::lock_guard lock(mutex_);
    for (auto& [sid, session] : sessions_)
      sessions.push_back(session);
  }
  for (auto& session : sessions) {
    asio::post(session->strand(), [session] { session->close("server shutdown"); });
  }
}

}  // namespace trellis::server
