// trellisd's HTTP routing on requests parsed from the fuzzer's bytes, as an
// HTTP session parses them (Beast's request_parser with the session's
// limits), answered by `respond` on a real ServerContext: in-memory storage,
// a web root in a temporary directory. Every request that parses must get a
// response, without an exception, that is well formed (a status, a
// Content-Length that matches the body, a JSON body where it says JSON),
// and that serves nothing outside the web root: a secret file beside it,
// reachable by a symlink from inside and as a dotfile, never shows up, and
// a 200 for a file carries exactly one of the web root's files.

#include "trellis/net/asio.hpp"

#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "checks.hpp"
#include "http_routes.hpp"
#include "invariant.hpp"
#include "log.hpp"
#include "server_context.hpp"
#include "storage/workspace_store.hpp"
#include "workspace_registry.hpp"

namespace trellis::fuzz {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using server::HttpRequest;
using server::HttpResponse;

// The limits of server/src/http_session.cpp.
constexpr std::size_t kHeaderLimit = 16u << 10;
constexpr std::size_t kBodyLimit = 1u << 20;
constexpr std::chrono::seconds kResponseDeadline{5};
constexpr const char* kSecret = "SECRET-OUTSIDE-THE-WEB-ROOT";
constexpr const char* kIndexHtml = "<!doctype html><title>trellis</title>\n";
constexpr const char* kAppJs = "console.log('trellis');\n";
constexpr const char* kNestedHtml = "<p>nested</p>\n";

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// One trellisd minus its listener, shared by every input of a run.
struct RoutingServer {
  std::filesystem::path directory;
  asio::io_context io;
  std::unique_ptr<server::WorkspaceStore> store;
  server::Metrics metrics;
  std::unique_ptr<server::WorkspaceRegistry> registry;
  std::unique_ptr<server::ServerContext> context;

  RoutingServer() {
    directory = std::filesystem::temp_directory_path() /
                ("trellis-fuzz-http-" + std::to_string(::getpid()));
    const std::filesystem::path web = directory / "web";
    write_file(web / "index.html", kIndexHtml);
    write_file(web / "assets" / "app.js", kAppJs);
    write_file(web / "nested" / "index.html", kNestedHtml);
    write_file(web / ".env", kSecret);
    write_file(directory / "secret.txt", kSecret);
    std::error_code ignored;
    std::filesystem::create_symlink(directory / "secret.txt", web / "link.txt", ignored);

    server::set_log_level(server::LogLevel::error);
    server::ServerConfig config;
    config.storage = server::StorageKind::memory;
    config.web_root = web;
    config.allowed_origins = {"http://allowed.example"};
    server::StoreOptions store_options;
    store_options.in_memory = true;
    auto opened = server::WorkspaceStore::open(store_options);
    require(opened.ok(), "in-memory storage does not open");
    store = std::move(*opened);
    registry = std::make_unique<server::WorkspaceRegistry>(io, *store, metrics,
                                                           server::RegistrySettings{});
    context.reset(
        new server::ServerContext{config, io, *store, *registry, metrics, {}, {1}, {}, {}});
  }
};

RoutingServer& routing_server() {
  // Never destroyed: the store thread and the io_context outlive the last
  // input; only the temporary web root is removed at exit.
  static RoutingServer* instance = [] {
    auto* created = new RoutingServer();
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(routing_server().directory, ignored);
    });
    return created;
  }();
  return *instance;
}

std::optional<HttpRequest> parse_request(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  boost::system::error_code error;
  std::size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    const std::size_t used = parser.put(asio::buffer(data + offset, size - offset), error);
    offset += used;
    if (error == http::error::need_more) {
      // The parser wants more than is left. Like Beast's read_some, which
      // reads from the socket before it calls put again, the harness must
      // not hand it the same bytes a second time (basic_parser asserts it
      // gets more: a final chunk split from its CRLF tripped that): the
      // input is over.
      error = {};
      break;
    }
    if (error) return std::nullopt;
    if (used == 0) break;
  }
  if (!parser.is_done()) {
    // Nothing read is a closed connection, not a request (and put_eof
    // asserts that something was).
    if (!parser.got_some()) return std::nullopt;
    parser.put_eof(error);
    if (error || !parser.is_done()) return std::nullopt;
  }
  return parser.release();
}

HttpResponse answer(RoutingServer& routing, const HttpRequest& request) {
  // Shared with the handler: on a timeout the coroutine outlives this call.
  struct Outcome {
    bool finished = false;
    std::exception_ptr failure;
    std::optional<HttpResponse> response;
  };
  auto outcome = std::make_shared<Outcome>();
  asio::co_spawn(routing.io, server::respond(*routing.context, request),
                 [outcome](std::exception_ptr error, HttpResponse result) {
                   outcome->finished = true;
                   outcome->failure = error;
                   if (!error) outcome->response = std::move(result);
                 });
  const auto deadline = std::chrono::steady_clock::now() + kResponseDeadline;
  while (!outcome->finished && std::chrono::steady_clock::now() < deadline) {
    routing.io.restart();
    routing.io.run_one_for(std::chrono::milliseconds(10));
  }
  require(outcome->finished, "no response within 5 s");
  if (outcome->failure) std::rethrow_exception(outcome->failure);
  // Engine.IO handshakes open sessions with heartbeat timers: close them.
  routing.context->engineio.close_all();
  routing.io.restart();
  routing.io.poll();
  return std::move(*outcome->response);
}

bool mentions_secret(const HttpRequest& request) {
  const auto has = [](std::string_view text) { return text.find(kSecret) != text.npos; };
  if (has(request.target()) || has(request.body())) return true;
  for (const auto& field : request) {
    if (has(field.name_string()) || has(field.value())) return true;
  }
  return false;
}

void require_well_formed(const HttpRequest& request, const HttpResponse& response) {
  const unsigned status = response.result_int();
  require(status >= 100 && status <= 599, "a response status outside 100..599");
  require(response.version() == request.version(), "a response of another HTTP version");
  const std::string_view body = response.body();
  // An error may quote the request (its path, a field of its body): the
  // secret there is an echo, not a leak; libFuzzer learns the string from
  // this very comparison and puts it in requests.
  if (!mentions_secret(request)) {
    require(body.find(kSecret) == std::string_view::npos,
            "a response shows a file from outside the web root");
  }
  if (request.method() == http::verb::head) {
    require(body.empty(), "a response to HEAD has a body");
    return;
  }
  auto length = response.find(http::field::content_length);
  require(status == 204 || status == 304 ||
              (length != response.end() && length->value() == std::to_string(body.size())),
          "Content-Length does not match the body");
  auto type = response.find(http::field::content_type);
  if (type != response.end() && type->value().starts_with("application/json")) {
    require(nlohmann::json::accept(body), "a JSON response whose body is not JSON");
  }
  const std::string_view path = server::target_path(request.target());
  if (status == 200 && !path.starts_with("/api/") && path != "/healthz" && path != "/metrics" &&
      path != "/socket.io/") {
    require(body == kIndexHtml || body == kAppJs || body == kNestedHtml,
            "a 200 for a static path that is not one of the web root's files");
  }
}

}  // namespace

Violation check_http_routes(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    auto request = parse_request(data, size);
    if (!request) return;
    // Upgrades to /v1/sync and /socket.io/ leave the HTTP session before
    // routing (http_session.cpp).
    const std::string_view path = server::target_path(request->target());
    if (boost::beast::websocket::is_upgrade(*request) &&
        (path == "/v1/sync" || path == "/socket.io/")) {
      return;
    }
    RoutingServer& routing = routing_server();
    require_well_formed(*request, answer(routing, *request));
  });
}

}  // namespace trellis::fuzz
