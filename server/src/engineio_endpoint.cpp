#include "engineio_endpoint.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <list>
#include <nlohmann/json.hpp>

#include "close_codes.hpp"
#include "engineio_session.hpp"
#include "http_routes.hpp"
#include "identity.hpp"
#include "lingering_close.hpp"
#include "log.hpp"
#include "outbound_bound.hpp"
#include "run_on.hpp"
#include "socketio_connection.hpp"
#include "websocket_closing.hpp"
#include "websocket_reading.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using adapters::EioPacket;
using adapters::EioType;

enum class EioError {
  transport_unknown = 0,
  session_unknown = 1,
  bad_method = 2,
  bad_request = 3,
  unsupported_version = 5
};

HttpResponse base_response(const HttpRequest& request, http::status status) {
  HttpResponse response(status, request.version());
  response.set(http::field::server, "trellisd");
  response.keep_alive(request.keep_alive());
  // Socket.IO polling from a page on another origin (a dev server) needs
  // CORS; --allowed-origins restricts which (checked before routing).
  if (auto origin = request.find(http::field::origin); origin != request.end()) {
    response.set(http::field::access_control_allow_origin, origin->value());
    response.set(http::field::access_control_allow_credentials, "true");
    response.set(http::field::vary, "Origin");
  }
  return response;
}

HttpResponse eio_error(const HttpRequest& request, EioError code, std::string_view message) {
  HttpResponse response = base_response(request, http::status::bad_request);
  response.set(http::field::content_type, "application/json");
  // The message may quote the request; invalid UTF-8 is replaced, never thrown on.
  response.body() = nlohmann::json{{"code", static_cast<int>(code)}, {"message", message}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

HttpResponse text_response(const HttpRequest& request, std::string body) {
  HttpResponse response = base_response(request, http::status::ok);
  response.set(http::field::content_type, "text/plain; charset=UTF-8");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

std::string_view query_of(std::string_view target) {
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

EioError error_code_for(const adapters::PacketError& error) {
  return error.code == adapters::PacketErrorCode::unsupported &&
                 error.message.find("transport") != std::string::npos
             ? EioError::transport_unknown
         : error.code == adapters::PacketErrorCode::unsupported ? EioError::unsupported_version
                                                                : EioError::bad_request;
}

std::shared_ptr<EngineIoSession> new_session(ServerContext& context) {
  auto session =
      std::make_shared<EngineIoSession>(context, new_session_id(), asio::make_strand(context.io));
  context.engineio.add(session);
  return session;
}

// --- WebSocket transport

// Read-buffer capacity a connection keeps between messages, and what a read
// asks for first, which an idle connection keeps allocated: a
// node_data_update of a key or two fits (about 100 bytes); a whole node's
// node_change, a few hundred bytes, takes a second read.
constexpr std::size_t kKeptReadBufferBytes = 8 << 10;
constexpr std::size_t kFirstReadBytes = 256;

class EngineIoWebSocket final : public WebSocketLink,
                                public std::enable_shared_from_this<EngineIoWebSocket> {
 public:
  EngineIoWebSocket(ServerContext& context, beast::tcp_stream stream)
      : context_(context),
        ws_(take_upgraded_socket(std::move(stream), context.io)),
        id_(context.next_connection_id.fetch_add(1)) {}

  void start(HttpRequest request, adapters::HandshakeQuery query) {
    auto self = shared_from_this();
    std::weak_ptr<EngineIoWebSocket> weak = self;
    if (!context_.connections.add(
            id_,
            [weak] {
              if (auto link = weak.lock()) link->close();
            },
            context_.config.max_connections)) {
      return;
    }
    context_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(30);
    // Engine.IO has its own heartbeat; this only catches a dead TCP peer.
    timeouts.idle_timeout =
        context_.config.ping_interval + context_.config.ping_timeout + context_.config.ping_timeout;
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.read_message_max(adapters::limits::kMaxEioPayloadBytes);
    // The upgrade request lives until the accept completes, not as long as
    // the connection.
    auto upgrade_request = std::make_shared<HttpRequest>(std::move(request));
    ws_.async_accept(*upgrade_request, [self, upgrade_request,
                                        query = std::move(query)](boost::system::error_code error) {
      if (error) return self->finish();
      self->guarded([&] { self->open_session(query); });
    });
  }

  void send_text(std::string text) override {
    asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closing_) return;
      self->queued_bytes_ += text.size();
      self->queue_.push_back(std::move(text));
      // The front is the next to write; one in flight has left the queue
      // (outbound_bound.hpp).
      if (backlog_over_bound(self->queued_bytes_, self->queue_.front().size(),
                             self->context_.config.outbound_queue_bytes)) {
        // A slow consumer: close; the client reconnects and resyncs.
        self->context_.metrics.slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
        self->queue_.clear();
        self->queued_bytes_ = 0;
        self->close_now(close_code::slow_consumer);
        return;
      }
      self->write_next();
    });
  }

  void close() override {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      self->close_requested_ = true;
      self->write_next();
    });
  }

 private:
  // The read loop is plain completion handlers, not a coroutine, as on
  // /v1/sync (sync_connection.cpp): a coroutine waiting in a read keeps its
  // frames (about 2 KB of every idle connection). Each step below ends in
  // exactly one of: the next read, or finish().

  template <class Step>
  void guarded(Step step) {
    run_guarded(step, [this] { finish(); });
  }

  // Joins the Engine.IO session this WebSocket upgrades (`sid`) or starts a
  // new one, on the session's strand, then reads.
  void open_session(const adapters::HandshakeQuery& query) {
    if (query.sid) {
      session_ = context_.engineio.find(*query.sid);
      if (!session_) {
        send_text(adapters::encode_packet(EioPacket{EioType::close, {}}));
        close();
        return finish();
      }
      upgrade_ = true;
      return on_session_then(
          [](EngineIoSession& session, EngineIoWebSocket& self) {
            session.attach_websocket(self.shared_from_this());
          },
          &EngineIoWebSocket::read_message);
    }
    session_ = new_session(context_);
    on_session_then(
        [](EngineIoSession& session, EngineIoWebSocket& self) {
          session.start(make_socketio_handler(self.context_, session.shared_from_this()),
                        /*over_websocket=*/true, self.shared_from_this());
        },
        &EngineIoWebSocket::read_message);
  }

  // Runs `step` on the session's strand, then `next` back on this
  // connection's.
  template <class Step>
  void on_session_then(Step step, void (EngineIoWebSocket::*next)()) {
    asio::post(session_->strand(), [self = shared_from_this(), session = session_,
                                    step = std::move(step), next]() mutable {
      step(*session, *self);
      asio::post(self->ws_.get_executor(), [self, next] { ((*self).*next)(); });
    });
  }

  // Reads the next whole message into buffer_, then on_message().
  void read_message() {
    read_whole_message(ws_, buffer_, kFirstReadBytes,
                       [self = shared_from_this()](boost::system::error_code error) {
                         if (error) return self->finish();  // closed, reset or timed out
                         self->guarded([&] { self->on_message(); });
                       });
  }

  void on_message() {
    context_.metrics.bytes_in.fetch_add(buffer_.size(), std::memory_order_relaxed);
    const auto* data = static_cast<const char*>(buffer_.data().data());
    auto packet = ws_.got_text()
                      ? adapters::decode_text_packet(std::string_view(data, buffer_.size()))
                      : adapters::decode_binary_packet(std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(data), buffer_.size()));
    // One large message must not leave its capacity to every later read.
    if (buffer_.capacity() > kKeptReadBufferBytes) buffer_ = beast::flat_buffer{};
    if (!packet) {
      log_event(LogLevel::debug, "engineio_bad_packet", {{"error", packet.error().message}});
      return on_session_then(
          [](EngineIoSession& session, EngineIoWebSocket&) { session.close("bad packet"); },
          &EngineIoWebSocket::finish);
    }
    deliver(std::move(*packet));
  }

  // Hands `packet` to the session. The next message is read only once the
  // session and whatever it handed the message to (the workspace) have
  // taken this one, and only if the session is still open after it.
  void deliver(EioPacket packet) {
    asio::post(session_->strand(), [self = shared_from_this(), session = session_,
                                    packet = std::move(packet), upgrade = upgrade_]() mutable {
      // Written before this copy of the token goes, read after the last.
      auto open = std::make_shared<bool>(true);
      MessageTaken taken = session->withholding_reads([self, open] {
        asio::post(self->ws_.get_executor(), [self, still_open = *open] {
          if (still_open) return self->read_message();
          self->finish();
        });
      });
      session->on_websocket_packet(packet, upgrade, taken);
      *open = !session->closed();
    });
  }

  void write_next() {
    if (writing_ || closing_) return;
    if (queue_.empty()) {
      if (close_requested_) close_now();
      return;
    }
    writing_ = true;
    auto text = std::make_shared<std::string>(std::move(queue_.front()));
    queue_.pop_front();
    queued_bytes_ -= text->size();
    ws_.text(true);
    ws_.async_write(asio::buffer(*text), [self = shared_from_this(), text](
                                             boost::system::error_code error, std::size_t bytes) {
      self->writing_ = false;
      if (error) return self->abort();
      self->context_.metrics.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
      self->write_next();
    });
  }

  void close_now(std::uint16_t code = close_code::normal) {
    if (closing_) return;
    closing_ = true;
    close_with_grace(ws_, websocket::close_reason(code), shared_from_this());
  }

  void abort() { abort_socket(ws_); }

  void finish() {
    if (session_) {
      asio::post(session_->strand(), [session = session_, self = shared_from_this()] {
        session->on_websocket_closed(self.get());
      });
    }
    context_.connections.remove(id_);
    context_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    close_requested_ = true;
    if (!writing_) write_next();
  }

  ServerContext& context_;
  ServerWebSocket ws_;
  ConnectionId id_;
  std::shared_ptr<EngineIoSession> session_;
  // A list, not a deque: an empty std::deque allocates about 500 bytes,
  // and most of the time nothing waits here.
  std::list<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool close_requested_ = false;
  bool upgrade_ = false;       // this WebSocket upgrades a polling session
  beast::flat_buffer buffer_;  // the message being read
};

}  // namespace

// The session's next polling body (a long poll), or nullopt when refused.
asio::awaitable<std::optional<std::string>> poll(std::shared_ptr<EngineIoSession> session) {
  return await_callback<std::optional<std::string>>([session](auto done) {
    asio::post(session->strand(),
               [session, done = std::move(done)]() mutable { session->poll(std::move(done)); });
  });
}

asio::awaitable<HttpResponse> respond_engineio(ServerContext& context, const HttpRequest& request) {
  if (request.method() == http::verb::options) {
    HttpResponse response = base_response(request, http::status::no_content);
    response.set(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
    response.set(http::field::access_control_allow_headers, "content-type");
    response.prepare_payload();
    co_return response;
  }
  auto query = adapters::parse_handshake_query(query_of(request.target()));
  if (!query) co_return eio_error(request, error_code_for(query.error()), query.error().message);
  if (query->transport != adapters::EioTransport::polling) {
    co_return eio_error(request, EioError::bad_request, "a WebSocket request needs the upgrade");
  }
  if (!query->sid) {
    if (request.method() != http::verb::get) {
      co_return eio_error(request, EioError::bad_method, "Bad handshake method");
    }
    auto session = new_session(context);
    auto start = [session, &context] {
      session->start(make_socketio_handler(context, session), /*over_websocket=*/false);
      return true;
    };
    co_await run_on(session->strand(), std::move(start));
    auto polling = poll(session);
    auto body = co_await std::move(polling);
    if (!body) co_return eio_error(request, EioError::bad_request, "session closed");
    co_return text_response(request, std::move(*body));
  }
  auto session = context.engineio.find(*query->sid);
  if (!session) co_return eio_error(request, EioError::session_unknown, "Session ID unknown");
  if (request.method() == http::verb::get) {
    auto polling = poll(session);
    auto body = co_await std::move(polling);
    if (!body) co_return eio_error(request, EioError::bad_request, "overlapping polls");
    co_return text_response(request, std::move(*body));
  }
  if (request.method() == http::verb::post) {
    // Answered once the workspace took every event of the body: a client
    // posts one body at a time, so this paces a polling flooder.
    auto posting = await_callback<std::string>(
        [session, body = request.body()](std::function<void(std::string)> done) mutable {
          asio::post(session->strand(), [session, body = std::move(body),
                                         done = std::move(done)]() mutable {
            session->on_post(body, [done = std::move(done)](std::optional<std::string> error) {
              done(error.value_or(std::string()));
            });
          });
        });
    const std::string error = co_await std::move(posting);
    if (!error.empty()) co_return eio_error(request, EioError::bad_request, error);
    co_return text_response(request, "ok");
  }
  co_return eio_error(request, EioError::bad_method, "use GET or POST");
}

void start_engineio_websocket(ServerContext& context, beast::tcp_stream stream,
                              HttpRequest request) {
  auto query = adapters::parse_handshake_query(query_of(request.target()));
  if (!query || query->transport != adapters::EioTransport::websocket) {
    // Not an Engine.IO WebSocket: refuse the upgrade plainly.
    auto response = std::make_shared<HttpResponse>(
        eio_error(request, query ? EioError::bad_request : error_code_for(query.error()),
                  query ? "transport must be websocket" : query.error().message));
    response->keep_alive(false);
    auto shared_stream = std::make_shared<beast::tcp_stream>(std::move(stream));
    http::async_write(*shared_stream, *response,
                      [shared_stream, response](boost::system::error_code, std::size_t) {
                        boost::system::error_code ignored;
                        shared_stream->socket().shutdown(asio::ip::tcp::socket::shutdown_both,
                                                         ignored);
                      });
    return;
  }
  std::make_shared<EngineIoWebSocket>(context, std::move(stream))
      ->start(std::move(request), std::move(*query));
}

}  // namespace trellis::server
