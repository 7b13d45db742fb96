#pragma once
// SocketIoTestClient: a Socket.IO v5 client over the Engine.IO v4 WebSocket
// transport (/socket.io/?EIO=4&transport=websocket), for integration tests
// in C++ — what socket.io-client does on the wire, driven by hand like
// TestClient: every wait is bounded (run_until) and nothing runs in the
// background. It answers the server's pings while it reads, and can send
// raw frames and stop reading, for hostile-input tests.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

namespace trellis::testing {

struct SocketIoEvent {
  std::string name;
  nlohmann::json payload;  // the first argument (null when none)
};

class SocketIoTestClient {
 public:
  explicit SocketIoTestClient(std::uint16_t port);
  ~SocketIoTestClient();
  SocketIoTestClient(const SocketIoTestClient&) = delete;
  SocketIoTestClient& operator=(const SocketIoTestClient&) = delete;

  // Opens the WebSocket and waits for the Engine.IO open packet (raw), then
  // for the answer to a Socket.IO CONNECT to "/" (connect). False when that
  // does not happen within the timeout.
  bool connect_raw(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connect(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // join_workspace, then waits for its workspace_sync.
  bool join(const std::string& workspace, const std::string& username,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // An EVENT with one argument; with `ack_id`, the server answers an ACK.
  void emit(const std::string& name, const nlohmann::json& payload,
            std::optional<std::uint64_t> ack_id = std::nullopt);
  // One WebSocket frame as it is: a text frame (an Engine.IO packet) or a
  // binary one.
  void send_frame(std::string bytes, bool text = true);
  // Frames waiting to be written (the socket's buffers are full).
  std::size_t pending_writes() const;

  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Stops reading (pings go unanswered, the server's writes back up).
  void stop_reading() { reading_ = false; }
  void resume_reading();
  void disconnect();

  bool open() const;
  std::optional<std::uint16_t> close_code() const { return close_code_; }
  // Whether the server sent an Engine.IO close packet.
  bool closed_by_engineio() const { return engineio_closed_; }
  const std::vector<SocketIoEvent>& events() const { return events_; }
  // The first argument of the server's ACK for `ack_id`, once it came.
  std::optional<nlohmann::json> ack(std::uint64_t ack_id) const;
  std::size_t frames_received() const { return frames_received_; }

 private:
  struct Io;
  void start_read();
  void on_read(boost::system::error_code error);
  void flush_writes();
  void on_frame(const std::string& frame);

  std::uint16_t port_;
  std::unique_ptr<Io> io_;
  std::vector<SocketIoEvent> events_;
  std::map<std::uint64_t, nlohmann::json> acks_;
  std::optional<std::uint16_t> close_code_;
  std::size_t frames_received_ = 0;
  bool engineio_open_ = false;
  bool socketio_connected_ = false;
  bool engineio_closed_ = false;
  bool reading_ = true;
};

}  // namespace trellis::testing
