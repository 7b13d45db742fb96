// The WebSocket transport (transport.hpp) on Boost.Beast: ws:// only. The
// one translation unit of the client that includes Beast.
#include "trellis/net/asio.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <exception>

#include "trellis/client/transport.hpp"

namespace trellis::client {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr char kUserAgent[] = "trellis-client/0.1";

// One connection attempt and, if it succeeds, the connection: its stream,
// its write queue and the handlers it reports to. Shared by the operations
// in flight, so that it outlives the transport's interest in it.
class WebSocketConnection : public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(asio::any_io_executor executor, ServerAddress address,
                      TransportHandlers handlers, const WebSocketOptions& options)
      : executor_(executor),
        address_(std::move(address)),
        handlers_(std::move(handlers)),
        options_(options),
        resolver_(executor),
        deadline_(executor),
        ws_(executor) {}

  void start() {
    asio::co_spawn(executor_, run(), [self = shared_from_this()](std::exception_ptr failure) {
      if (!failure) return;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        self->finish(std::string("transport failure: ") + error.what());
      } catch (...) {
        self->finish("transport failure");
      }
    });
  }

  void send(Bytes frame) {
    if (phase_ != Phase::open || close_requested_ || !abort_reason_.empty()) return;
    queued_bytes_ += frame.size();
    if (queued_bytes_ > options_.max_queued_bytes) {
      abort("more than " + std::to_string(options_.max_queued_bytes) + " bytes waiting to be sent");
      return;
    }
    queue_.push_back(std::move(frame));
    if (!writing_) write_next();
  }

  void close() {
    if (close_requested_ || phase_ == Phase::finished) return;
    close_requested_ = true;
    if (phase_ == Phase::connecting) {
      resolver_.cancel();
      beast::get_lowest_layer(ws_).cancel();
    } else if (!writing_) {
      start_close(websocket::close_code::normal);
    }
  }

 private:
  enum class Phase { connecting, open, finished };

  asio::awaitable<void> run() {
    const auto self = shared_from_this();
    beast::error_code ec;

    // The resolver has no timeout of its own.
    deadline_.expires_after(options_.connect_timeout);
    deadline_.async_wait([weak = weak_from_this()](beast::error_code wait_error) {
      if (auto connection = weak.lock(); connection && !wait_error) connection->resolver_.cancel();
    });
    const auto endpoints = co_await resolver_.async_resolve(
        address_.host, address_.port, asio::redirect_error(asio::use_awaitable, ec));
    deadline_.cancel();
    if (close_requested_) co_return finish("closed by the client");
    if (ec) co_return finish(describe("cannot resolve " + address_.host, ec));

    auto& stream = beast::get_lowest_layer(ws_);
    stream.expires_after(options_.connect_timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (close_requested_) co_return finish("closed by the client");
    if (ec) co_return finish(describe("cannot connect to " + authority(), ec));
    stream.expires_never();  // the websocket's own timeouts take over

    // Beast's client defaults neither ping nor notice a silent server: set
    // an idle timeout with keep-alive pings, as a server does.
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
    timeouts.handshake_timeout = options_.connect_timeout;
    timeouts.idle_timeout = options_.idle_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, kUserAgent);
    }));
    ws_.read_message_max(options_.max_frame_bytes);
    ws_.binary(true);
    co_await ws_.async_handshake(authority(), address_.target,
                                 asio::redirect_error(asio::use_awaitable, ec));
    if (close_requested_ && ec) co_return finish("closed by the client");
    if (ec) co_return finish(describe("WebSocket handshake with " + authority() + " failed", ec));

    phase_ = Phase::open;
    post_handler(handlers_.opened);
    if (close_requested_) start_close(websocket::close_code::normal);

    beast::flat_buffer buffer;
    for (;;) {
      co_await ws_.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      if (!ws_.got_binary()) {
        // The protocol is binary frames only (docs/protocol.md).
        abort_reason_ = "the server sent a text frame";
        start_close(websocket::close_code::policy_error);
      } else {
        const auto data = buffer.data();
        const auto* begin = static_cast<const std::uint8_t*>(data.data());
        Bytes frame(begin, begin + data.size());
        asio::post(executor_, [received = handlers_.received, frame = std::move(frame)]() mutable {
          received(std::move(frame));
        });
      }
      buffer.consume(buffer.size());
    }
    finish(read_end_reason(ec));
  }

  std::string authority() const {
    const bool ipv6 = address_.host.find(':') != std::string::npos;
    return (ipv6 ? "[" + address_.host + "]" : address_.host) + ":" + address_.port;
  }

  static std::string describe(const std::string& what, const beast::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
      return what + ": timed out";
    }
    return what + ": " + ec.message();
  }

  std::string read_end_reason(const beast::error_code& ec) const {
    if (!abort_reason_.empty()) return abort_reason_;
    if (close_requested_) return "closed by the client";
    if (ec == websocket::error::closed) {
      const auto& reason = ws_.reason();
      std::string text = "the server closed the connection (code " +
                         std::to_string(static_cast<unsigned>(reason.code));
      if (!reason.reason.empty())
        text += ": " + std::string(reason.reason.data(), reason.reason.size());
      return text + ")";
    }
    if (ec == beast::error::timeout) return "the server stopped answering (timed out)";
    if (ec == websocket::error::message_too_big) {
      return "the server sent a frame over " + std::to_string(options_.max_frame_bytes) + " bytes";
    }
    return "connection lost: " + ec.message();
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_written(ec); });
  }

  void on_written(const beast::error_code& ec) {
    writing_ = false;
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (ec) {
      // The read side notices too and reports closed().
      abort("write failed: " + ec.message());
      return;
    }
    if (!queue_.empty()) {
      write_next();
    } else if (close_requested_) {
      start_close(websocket::close_code::normal);
    }
  }

  void start_close(websocket::close_code code) {
    if (closing_) return;
    closing_ = true;
    // Its outcome shows in the read loop, which ends once the close is done.
    ws_.async_close(code, [self = shared_from_this()](beast::error_code) {});
  }

  // Ends the connection without a close handshake; the read loop fails and
  // reports `reason`.
  void abort(std::string reason) {
    if (abort_reason_.empty()) abort_reason_ = std::move(reason);
    // A write in flight still uses the front frame's bytes.
    const std::size_t keep = writing_ ? 1 : 0;
    while (queue_.size() > keep) {
      queued_bytes_ -= queue_.back().size();
      queue_.pop_back();
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void post_handler(const std::function<void()>& handler) { asio::post(executor_, handler); }

  // Reports the end of this connection, once.
  void finish(std::string reason) {
    if (phase_ == Phase::finished) return;
    phase_ = Phase::finished;
    asio::post(executor_, [closed = handlers_.closed, reason = std::move(reason)]() mutable {
      closed(std::move(reason));
    });
  }

  asio::any_io_executor executor_;
  ServerAddress address_;
  TransportHandlers handlers_;
  WebSocketOptions options_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  websocket::stream<beast::tcp_stream> ws_;
  Phase phase_ = Phase::connecting;
  std::deque<Bytes> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  std::string abort_reason_;
};

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(asio::any_io_executor executor, WebSocketOptions options)
      : executor_(std::move(executor)), options_(options) {}

  ~WebSocketTransport() override {
    if (connection_) connection_->close();
  }

  void connect(const std::string& url, TransportHandlers handlers) override {
    auto address = parse_server_url(url);
    if (!address) {
      connection_.reset();
      asio::post(executor_, [closed = std::move(handlers.closed),
                             reason = address.error().message] { closed(reason); });
      return;
    }
    connection_ = std::make_shared<WebSocketConnection>(executor_, std::move(*address),
                                                        std::move(handlers), options_);
    connection_->start();
  }

  void send(Bytes frame) override {
    if (connection_) connection_->send(std::move(frame));
  }

  void close() override {
    if (connection_) connection_->close();
  }

 private:
  asio::any_io_executor executor_;
  WebSocketOptions options_;
  std::shared_ptr<WebSocketConnection> connection_;
};

}  // namespace

std::unique_ptr<Transport> make_websocket_transport(asio::any_io_executor executor,
                                                    WebSocketOptions options) {
  return std::make_unique<WebSocketTransport>(std::move(executor), options);
}

}  // namespace trellis::client
