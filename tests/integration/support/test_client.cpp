#include "support/test_client.hpp"

#include "trellis/net/asio.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "trellis/sync/message_codec.hpp"

namespace trellis::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

struct TestClient::Io {
  asio::io_context context;
  websocket::stream<beast::tcp_stream> ws{context};
  beast::flat_buffer buffer;
  std::deque<std::pair<std::vector<std::uint8_t>, bool>> writes;
  bool writing = false;
  bool reading = false;
  bool open = false;
};

TestClient::TestClient(TestClientOptions options)
    : TestClient(options, crdt::GraphDoc(crdt::ReplicaId{options.replica}), {}, {}) {}

TestClient::TestClient(TestClientOptions options, crdt::GraphDoc doc, crdt::CausalContext received,
                       std::span<const sync::OutboxEntry> outbox)
    : options_(options),
      session_(sync::ClientConfig{options.workspace, options.name, std::nullopt,
                                  sync::limits::kMaxFrameBytes, options.protocol_version},
               std::move(doc), std::move(received),
               std::vector<sync::OutboxEntry>(outbox.begin(), outbox.end())) {}

TestClient::~TestClient() {
  disconnect();
}

bool TestClient::open() const {
  return io_ && io_->open;
}

bool TestClient::connect_raw(std::chrono::milliseconds timeout) {
  disconnect();
  io_ = std::make_unique<Io>();
  close_code_.reset();
  bool done = false;
  boost::system::error_code result;
  beast::get_lowest_layer(io_->ws).expires_after(timeout);
  beast::get_lowest_layer(io_->ws).async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), options_.port),
      [&](boost::system::error_code error) {
        if (error) {
          result = error;
          done = true;
          return;
        }
        beast::get_lowest_layer(io_->ws).expires_never();
        io_->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        io_->ws.async_handshake("127.0.0.1", "/v1/sync", [&](boost::system::error_code error) {
          result = error;
          done = true;
        });
      });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io_->context.run_for(std::chrono::milliseconds(10));
  }
  if (!done || result) return false;
  io_->ws.binary(true);
  io_->ws.read_message_max(64u << 20);
  io_->open = true;
  reading_ = true;
  start_read();
  return true;
}

bool TestClient::connect(std::chrono::milliseconds timeout) {
  if (!connect_raw(timeout)) return false;
  send_raw(session_.on_connected());
  return true;
}

void TestClient::start_read() {
  if (!io_ || !io_->open || io_->reading || !reading_) return;
  io_->reading = true;
  io_->buffer.clear();
  io_->ws.async_read(io_->buffer, [this](boost::system::error_code error, std::size_t) {
    io_->reading = false;
    if (error) {
      if (error == websocket::error::closed) close_code_ = io_->ws.reason().code;
      io_->open = false;
      session_.on_disconnected();
      return;
    }
    const auto* data = static_cast<const std::uint8_t*>(io_->buffer.data().data());
    on_frame(std::vector<std::uint8_t>(data, data + io_->buffer.size()));
    start_read();
  });
}

void TestClient::on_frame(std::vector<std::uint8_t> frame) {
  ++frames_received_;
  if (auto decoded = sync::decode_message(frame);
      decoded && std::holds_alternative<sync::Batch>(*decoded)) {
    ++batches_received_;
  }
  sync::ClientOutput out = session_.on_frame(frame);
  for (auto& presence : out.presence)
    presence_.push_back(std::move(presence));
  if (out.error) errors_.push_back(*out.error);
  for (auto& reply : out.to_server)
    send_raw(std::move(reply));
}

void TestClient::send_raw(std::vector<std::uint8_t> bytes, bool binary) {
  if (!io_ || !io_->open) return;
  io_->writes.emplace_back(std::move(bytes), binary);
  flush_writes();
}

void TestClient::flush_writes() {
  if (!io_ || io_->writing || io_->writes.empty() || !io_->open) return;
  io_->writing = true;
  io_->ws.binary(io_->writes.front().second);
  io_->ws.async_write(asio::buffer(io_->writes.front().first),
                      [this](boost::system::error_code error, std::size_t) {
                        io_->writing = false;
                        io_->writes.pop_front();
                        if (error) return;
                        flush_writes();
                      });
}

bool TestClient::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (!io_) return done();
    io_->context.run_for(std::chrono::milliseconds(5));
    if (io_->context.stopped()) io_->context.restart();
  }
  return done();
}

bool TestClient::synced() const {
  return session_.state() == sync::ConnectionState::online && session_.outbox().empty();
}

bool TestClient::wait_synced(std::chrono::milliseconds timeout) {
  return run_until([this] { return synced(); }, timeout);
}

crdt::Result<crdt::GraphDoc> TestClient::edit(
    const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit) {
  std::optional<crdt::Error> failed;
  crdt::GraphDoc delta;
  auto frame = session_.edit([&](crdt::GraphDoc& doc) {
    auto result = edit(doc);
    if (result) delta = *result;
    return result;
  });
  if (!frame) return frame.error();
  if (*frame) send_raw(std::move(**frame));
  return delta;
}

void TestClient::send_presence(const crdt::Json& state) {
  if (auto frame = session_.presence(state)) send_raw(std::move(*frame));
}

void TestClient::stop_reading() {
  reading_ = false;
}

void TestClient::resume_reading() {
  reading_ = true;
  start_read();
}

void TestClient::disconnect() {
  if (!io_) return;
  if (io_->open) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(io_->ws).socket().close(ignored);
  }
  io_->context.run_for(std::chrono::milliseconds(1));
  io_.reset();
  session_.on_disconnected();
}

HttpReply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                       std::string_view body) {
  asio::io_context context;
  beast::tcp_stream stream(context);
  stream.expires_after(std::chrono::seconds(10));
  HttpReply reply;
  beast::http::request<beast::http::string_body> request(beast::http::string_to_verb(method),
                                                         std::string(target), 11);
  request.set(beast::http::field::host, "127.0.0.1");
  request.body() = std::string(body);
  request.prepare_payload();
  beast::flat_buffer buffer;
  beast::http::response<beast::http::string_body> response;
  stream.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
      [&](boost::system::error_code error) {
        if (error) return;
        beast::http::async_write(
            stream, request, [&](boost::system::error_code error, std::size_t) {
              if (error) return;
              beast::http::async_read(
                  stream, buffer, response, [&](boost::system::error_code error, std::size_t) {
                    if (error) return;
                    reply.status = response.result_int();
                    reply.body = response.body();
                    reply.content_type = std::string(response[beast::http::field::content_type]);
                  });
            });
      });
  context.run();
  return reply;
}

}  // namespace trellis::testing
