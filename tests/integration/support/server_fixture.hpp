#pragma once
// An in-process trellisd on a free loopback port, and small helpers to
// make edits, for integration tests.

#include <filesystem>
#include <memory>
#include <string>

#include "config.hpp"
#include "server.hpp"
#include "support/test_client.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::testing {

// Whether `doc` holds node `id` at all (present, or removed with its fields).
inline bool holds_node(const crdt::GraphDoc& doc, const std::string& id) {
  return doc.nodes().count(id) > 0;
}

inline server::ServerConfig test_config() {
  server::ServerConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.threads = 2;
  config.storage = server::StorageKind::memory;
  config.log_level = server::LogLevel::warn;
  config.web_root = "/nonexistent-web-root";
  return config;
}

inline std::unique_ptr<server::Server> start_server(const server::ServerConfig& config) {
  auto started = server::Server::start(config);
  if (!started) throw std::runtime_error("server failed to start: " + started.error().message);
  return std::move(*started);
}

// A fresh directory under the system's temp dir, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trellis-it-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

inline crdt::Json box(const std::string& id, double x = 0) {
  return crdt::Json{{"id", id},
                    {"type", "box"},
                    {"position", {{"x", x}, {"y", 0}}},
                    {"data", {{"width", 1}, {"height", 1}}}};
}

inline auto add_node(const std::string& id, double x = 0) {
  return [node = box(id, x)](crdt::GraphDoc& doc) { return doc.add_node(node); };
}

inline auto set_width(const std::string& id, double width) {
  return [id, width](crdt::GraphDoc& doc) {
    return doc.set_node_data(id, crdt::Json{{"width", width}});
  };
}

inline crdt::Json view_of(const TestClient& client) {
  return crdt::graph_view(client.doc());
}

}  // namespace trellis::testing
