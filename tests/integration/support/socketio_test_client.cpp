#include "support/socketio_test_client.hpp"

#include "trellis/net/asio.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "trellis/adapters/socketio.hpp"

namespace trellis::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using adapters::EioType;
using adapters::SioType;

struct SocketIoTestClient::Io {
  asio::io_context context;
  websocket::stream<beast::tcp_stream> ws{context};
  beast::flat_buffer buffer;
  struct Write {
    std::string bytes;
    bool text;
  };
  std::deque<Write> writes;
  bool writing = false;
  bool reading = false;
  bool open = false;
};

SocketIoTestClient::SocketIoTestClient(std::uint16_t port) : port_(port) {}

SocketIoTestClient::~SocketIoTestClient() {
  disconnect();
}

bool SocketIoTestClient::open() const {
  return io_ != nullptr && io_->open;
}

bool SocketIoTestClient::connect_raw(std::chrono::milliseconds timeout) {
  disconnect();
  engineio_open_ = socketio_connected_ = engineio_closed_ = false;
  reading_ = true;
  close_code_ = std::nullopt;
  io_ = std::make_unique<Io>();
  auto& stream = beast::get_lowest_layer(io_->ws);
  boost::system::error_code error;
  stream.expires_after(timeout);
  stream.socket().connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_),
                          error);
  if (error) return false;
  stream.expires_never();
  io_->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
  io_->ws.read_message_max(64u << 20);
  bool handshaken = false;
  io_->ws.async_handshake("127.0.0.1", "/socket.io/?EIO=4&transport=websocket",
                          [&](boost::system::error_code result) {
                            handshaken = !result;
                            io_->open = handshaken;
                          });
  if (!run_until([&] { return handshaken; }, timeout)) return false;
  start_read();
  return run_until([&] { return engineio_open_; }, timeout);
}

bool SocketIoTestClient::connect(std::chrono::milliseconds timeout) {
  if (!connect_raw(timeout)) return false;
  send_frame("40");
  return run_until([&] { return socketio_connected_; }, timeout);
}

bool SocketIoTestClient::join(const std::string& workspace, const std::string& username,
                              std::chrono::milliseconds timeout) {
  const std::size_t seen = events_.size();
  emit("join_workspace", {{"workspaceId", workspace}, {"username", username}});
  return run_until(
      [&] {
        for (std::size_t i = seen; i < events_.size(); ++i)
          if (events_[i].name == "workspace_sync") return true;
        return false;
      },
      timeout);
}

void SocketIoTestClient::emit(const std::string& name, const nlohmann::json& payload,
                              std::optional<std::uint64_t> ack_id) {
  adapters::SioPacket packet = adapters::make_event(name, payload);
  packet.id = ack_id;
  send_frame(adapters::encode_packet(
      adapters::EioPacket{EioType::message, adapters::encode_sio_packet(packet)}));
}

void SocketIoTestClient::send_frame(std::string bytes, bool text) {
  if (!open()) return;
  io_->writes.push_back({std::move(bytes), text});
  flush_writes();
}

std::size_t SocketIoTestClient::pending_writes() const {
  return io_ ? io_->writes.size() : 0;
}

void SocketIoTestClient::flush_writes() {
  if (!open() || io_->writing || io_->writes.empty()) return;
  io_->writing = true;
  io_->ws.text(io_->writes.front().text);
  io_->ws.async_write(asio::buffer(io_->writes.front().bytes),
                      [this](boost::system::error_code error, std::size_t) {
                        io_->writing = false;
                        io_->writes.pop_front();
                        if (!error) flush_writes();
                      });
}

void SocketIoTestClient::start_read() {
  if (!open() || io_->reading || !reading_) return;
  io_->reading = true;
  io_->buffer.clear();
  io_->ws.async_read(io_->buffer,
                     [this](boost::system::error_code error, std::size_t) { on_read(error); });
}

void SocketIoTestClient::on_read(boost::system::error_code error) {
  io_->reading = false;
  if (!error) {
    on_frame(beast::buffers_to_string(io_->buffer.data()));
    return start_read();
  }
  // A close frame names its code; a reset or EOF leaves none.
  if (error == websocket::error::closed) close_code_ = io_->ws.reason().code;
  io_->open = false;
}

void SocketIoTestClient::on_frame(const std::string& frame) {
  ++frames_received_;
  // The server's messages are bounded by nothing but the workspace (a
  // workspace_sync carries the whole graph): no limit on what it sends.
  const std::size_t unbounded = frame.size();
  auto packet = adapters::decode_text_packet(frame, adapters::EioLimits{unbounded, 1});
  if (!packet) return;
  switch (packet->type) {
    case EioType::open:
      engineio_open_ = true;
      return;
    case EioType::ping:
      send_frame(adapters::encode_packet(adapters::EioPacket{EioType::pong, packet->data}));
      return;
    case EioType::close:
      engineio_closed_ = true;
      return;
    case EioType::message:
      break;
    default:
      return;
  }
  adapters::SioLimits limits;
  limits.max_packet_bytes = unbounded;
  auto message = adapters::decode_sio_packet(packet->data, limits);
  if (!message) return;
  switch (message->type) {
    case SioType::connect:
      socketio_connected_ = true;
      return;
    case SioType::event: {
      const auto args = adapters::event_args(*message);
      events_.push_back({std::string(adapters::event_name(*message).value_or("")),
                         args.empty() ? nlohmann::json() : args.front()});
      return;
    }
    case SioType::ack:
      if (message->id && message->data.is_array() && !message->data.empty())
        acks_[*message->id] = message->data.front();
      return;
    default:
      return;
  }
}

bool SocketIoTestClient::run_until(const std::function<bool()>& done,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && io_ && std::chrono::steady_clock::now() < deadline) {
    io_->context.run_for(std::chrono::milliseconds(5));
    if (io_->context.stopped()) io_->context.restart();
  }
  return done();
}

void SocketIoTestClient::resume_reading() {
  reading_ = true;
  start_read();
}

void SocketIoTestClient::disconnect() {
  // Closing the socket is all the server needs to see; the handlers still
  // pending are destroyed with the io_context, never run.
  if (!io_) return;
  boost::system::error_code ignored;
  beast::get_lowest_layer(io_->ws).socket().close(ignored);
  io_.reset();
}

std::optional<nlohmann::json> SocketIoTestClient::ack(std::uint64_t ack_id) const {
  const auto found = acks_.find(ack_id);
  if (found == acks_.end()) return std::nullopt;
  return found->second;
}

}  // namespace trellis::testing
