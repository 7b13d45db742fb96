#pragma once
// TestClient: a native-protocol client for integration tests — a
// sync::ClientSession over a real WebSocket on loopback, driven by hand:
// every wait is bounded (run_until) and nothing runs in the background.
// It also sends raw frames, for hostile-input tests, and can stop reading
// to play a slow consumer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/client_session.hpp"

namespace trellis::testing {

struct TestClientOptions {
  std::uint16_t port = 0;
  std::string workspace;
  std::uint64_t replica = 1;
  std::string name = "tester";
  // What hello announces: 1 plays a client older than `batch`.
  std::uint32_t protocol_version = sync::kProtocolVersion;
};

class TestClient {
 public:
  explicit TestClient(TestClientOptions options);
  // A client that continues from a previous one's state (a restart).
  TestClient(TestClientOptions options, crdt::GraphDoc doc, crdt::CausalContext received,
             std::span<const sync::OutboxEntry> outbox);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  // Opens the WebSocket and sends hello (raw: only the WebSocket). False
  // when the connection fails within the timeout.
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connect_raw(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Drives I/O until `done()` or the timeout; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Online, every own edit acknowledged.
  bool synced() const;
  bool wait_synced(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  crdt::Result<crdt::GraphDoc> edit(
      const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit);
  void send_presence(const crdt::Json& state);
  void send_raw(std::vector<std::uint8_t> bytes, bool binary = true);
  // Stops reading from the socket (the server's writes back up).
  void stop_reading();
  void resume_reading();
  void disconnect();

  const sync::ClientSession& session() const { return session_; }
  const crdt::GraphDoc& doc() const { return session_.doc(); }
  bool open() const;
  // What the server sent besides deltas.
  const std::vector<sync::Presence>& presence() const { return presence_; }
  const std::vector<sync::ErrorMessage>& errors() const { return errors_; }
  std::optional<std::uint16_t> close_code() const { return close_code_; }
  std::size_t frames_received() const { return frames_received_; }
  // How many of those frames were a `batch`.
  std::size_t batches_received() const { return batches_received_; }

 private:
  struct Io;
  void start_read();
  void flush_writes();
  void on_frame(std::vector<std::uint8_t> frame);

  TestClientOptions options_;
  sync::ClientSession session_;
  std::unique_ptr<Io> io_;
  std::vector<sync::Presence> presence_;
  std::vector<sync::ErrorMessage> errors_;
  std::optional<std::uint16_t> close_code_;
  std::size_t frames_received_ = 0;
  std::size_t batches_received_ = 0;
  bool reading_ = true;
};

// One HTTP/1.1 request on loopback; the response status and body.
struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::string content_type;
};
HttpReply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                       std::string_view body = {});

}  // namespace trellis::testing
