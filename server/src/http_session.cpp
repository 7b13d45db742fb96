#include "http_session.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>

#include "engineio_endpoint.hpp"
#include "http_routes.hpp"
#include "lingering_close.hpp"
#include "log.hpp"
#include "sync_connection.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Request headers and bodies past these get 431 / 413: no endpoint needs more.
constexpr std::size_t kMaxHeaderBytes = 16u << 10;
constexpr std::size_t kMaxBodyBytes = 1u << 20;

bool origin_allowed(const ServerConfig& config, const HttpRequest& request) {
  if (config.allowed_origins.empty()) return true;
  auto origin = request.find(http::field::origin);
  if (origin == request.end()) return true;  // not a browser
  for (const std::string& allowed : config.allowed_origins) {
    if (origin->value() == allowed) return true;
  }
  return false;
}

HttpResponse plain_error(unsigned version, http::status status, std::string_view message) {
  HttpResponse response(status, version);
  response.set(http::field::server, "trellisd");
  response.set(http::field::content_type, "application/json");
  response.body() = "{\"error\":\"" + std::string(message) + "\"}\n";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

asio::awaitable<void> serve(ServerContext& context, std::shared_ptr<beast::tcp_stream> stream,
                            ConnectionId id) {
  beast::flat_buffer buffer;
  boost::system::error_code error;
  bool refused = false;  // the last response refused the request
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    // Bounds the whole request, headers included: a client trickling its
    // headers (slowloris) is cut off like an idle one.
    stream->expires_after(context.config.http_idle_timeout);
    co_await http::async_read(*stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      std::optional<HttpResponse> refusal;
      if (error == http::error::header_limit) {
        refusal = plain_error(11, http::status::request_header_fields_too_large,
                              "request headers are limited to 16 KiB");
      } else if (error == http::error::body_limit) {
        refusal =
            plain_error(11, http::status::payload_too_large, "request bodies are limited to 1 MiB");
      } else if (error.category() == http::make_error_code(http::error::bad_method).category() &&
                 error != http::error::end_of_stream && error != http::error::partial_message) {
        refusal = plain_error(11, http::status::bad_request, "malformed HTTP request");
      }
      if (refusal) {
        co_await http::async_write(*stream, *refusal,
                                   asio::redirect_error(asio::use_awaitable, error));
        refused = !error;
      }
      break;
    }
    HttpRequest request = parser.release();
    if (!origin_allowed(context.config, request)) {
      HttpResponse response = plain_error(request.version(), http::status::forbidden,
                                          "origin not allowed (--allowed-origins)");
      co_await http::async_write(*stream, response,
                                 asio::redirect_error(asio::use_awaitable, error));
      refused = !error;
      break;
    }
    const std::string_view path = target_path(request.target());
    if (beast::websocket::is_upgrade(request) && path == "/v1/sync") {
      context.connections.remove(id);
      stream->expires_never();
      start_sync_connection(context, std::move(*stream), std::move(request));
      co_return;
    }
    if (beast::websocket::is_upgrade(request) && path == "/socket.io/") {
      context.connections.remove(id);
      stream->expires_never();
      start_engineio_websocket(context, std::move(*stream), std::move(request));
      co_return;
    }
    // A long poll may wait up to the ping interval for its answer: no
    // deadline while it does, a fresh one for writing the answer.
    stream->expires_never();
    HttpResponse response = co_await respond(context, request);
    stream->expires_after(context.config.http_idle_timeout);
    co_await http::async_write(*stream, response, asio::redirect_error(asio::use_awaitable, error));
    if (error || !response.keep_alive()) break;
  }
  if (refused) {
    // The client may still be sending the request refused (lingering_close.hpp).
    co_await linger(*stream);
  } else {
    stream->socket().shutdown(asio::ip::tcp::socket::shutdown_send, error);
  }
  context.connections.remove(id);
}

}  // namespace

void start_http_session(ServerContext& context, asio::ip::tcp::socket socket) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  const ConnectionId id = context.next_connection_id.fetch_add(1);
  context.metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
  std::weak_ptr<beast::tcp_stream> weak = stream;
  auto shut_down = [weak] {
    if (auto live = weak.lock()) {
      asio::post(live->get_executor(), [live] {
        boost::system::error_code ignored;
        live->socket().close(ignored);
      });
    }
  };
  if (!context.connections.add(id, shut_down, context.config.max_connections)) {
    context.metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
    static const std::string busy =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: "
        "application/json\r\nContent-Length: 50\r\n\r\n{\"error\":\"too many connections; try "
        "again later\"}\n";
    asio::async_write(stream->socket(), asio::buffer(busy),
                      [stream](boost::system::error_code, std::size_t) {
                        boost::system::error_code ignored;
                        stream->socket().close(ignored);
                      });
    return;
  }
  asio::co_spawn(stream->get_executor(), serve(context, stream, id),
                 [&context, id](std::exception_ptr error) {
                   context.connections.remove(id);
                   if (!error) return;
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     log_event(LogLevel::error, "http_session_failed", {{"error", e.what()}});
                   }
                 });
}

}  // namespace trellis::server
