#include "http_routes.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "engineio_endpoint.hpp"
#include "identity.hpp"
#include "run_on.hpp"
#include "static_files.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

HttpResponse make_response(const HttpRequest& request, http::status status,
                           std::string_view content_type, std::string body) {
  HttpResponse response(status, request.version());
  response.set(http::field::server, "trellisd");
  response.set(http::field::content_type, content_type);
  response.set("X-Content-Type-Options", "nosniff");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  return response;
}

HttpResponse json_response(const HttpRequest& request, http::status status,
                           const nlohmann::json& body) {
  // Error messages quote the request (its path, a header): bytes that are not
  // UTF-8 are replaced rather than thrown on, so every request gets an answer.
  return make_response(request, status, "application/json",
                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

HttpResponse error_response(const HttpRequest& request, http::status status,
                            std::string_view message) {
  return json_response(request, status, nlohmann::json{{"error", message}});
}

HttpResponse method_not_allowed(const HttpRequest& request, std::string_view allowed) {
  HttpResponse response = error_response(request, http::status::method_not_allowed,
                                         "method not allowed; use " + std::string(allowed));
  response.set(http::field::allow, allowed);
  return response;
}

bool is_get_or_head(const HttpRequest& request) {
  return request.method() == http::verb::get || request.method() == http::verb::head;
}

asio::awaitable<HttpResponse> post_workspace(ServerContext& context, const HttpRequest& request) {
  // 128 random bits: a collision is not a practical concern, but a stored
  // id is never handed out twice.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string id = new_workspace_id();
    auto creating = await_callback<crdt::Result<bool>>(
        [&store = context.store, id](auto done) { store.create_workspace(id, std::move(done)); });
    auto created = co_await std::move(creating);
    if (!created) {
      co_return error_response(request, http::status::service_unavailable,
                               "storage failed: " + created.error().message);
    }
    if (*created) {
      HttpResponse response =
          json_response(request, http::status::created, nlohmann::json{{"workspaceId", id}});
      response.set(http::field::location, "/workspace/" + id);
      co_return response;
    }
  }
  co_return error_response(request, http::status::internal_server_error,
                           "could not allocate a workspace id");
}

HttpResponse static_response(ServerContext& context, const HttpRequest& request) {
  auto file = resolve_static(context.config.web_root, request.target());
  if (!file) {
    return error_response(request, static_cast<http::status>(static_error_status(file.error())),
                          file.error().message);
  }
  auto body = read_file_limited(file->path, kMaxStaticFileBytes);
  if (!body) {
    return error_response(request, static_cast<http::status>(static_error_status(body.error())),
                          body.error().message);
  }
  HttpResponse response =
      make_response(request, http::status::ok, file->content_type, std::move(*body));
  response.set(http::field::cache_control, cache_control_for(*file));
  return response;
}

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

asio::awaitable<HttpResponse> respond(ServerContext& context, const HttpRequest& request) {
  const std::string_view path = target_path(request.target());
  if (path == "/healthz") {
    if (!is_get_or_head(request)) co_return method_not_allowed(request, "GET, HEAD");
    co_return json_response(request, http::status::ok,
                            nlohmann::json{{"status", "ok"},
                                           {"workspaces", context.registry.loaded()},
                                           {"connections", context.connections.size()}});
  }
  if (path == "/metrics") {
    if (!is_get_or_head(request)) co_return method_not_allowed(request, "GET, HEAD");
    co_return make_response(request, http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                            render_prometheus(context.metrics));
  }
  if (path == "/api/workspaces") {
    if (request.method() != http::verb::post) co_return method_not_allowed(request, "POST");
    co_return co_await post_workspace(context, request);
  }
  if (path == "/v1/sync") {
    HttpResponse response = error_response(request, http::status::upgrade_required,
                                           "/v1/sync speaks WebSocket (docs/protocol.md)");
    response.set(http::field::upgrade, "websocket");
    co_return response;
  }
  if (path == "/socket.io/") co_return co_await respond_engineio(context, request);
  if (path.starts_with("/api/")) {
    co_return error_response(request, http::status::not_found, "no such API endpoint");
  }
  if (!is_get_or_head(request)) co_return method_not_allowed(request, "GET, HEAD");
  co_return static_response(context, request);
}

}  // namespace trellis::server
