#include "server.hpp"

#include "trellis/net/asio.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <thread>

#include "http_session.hpp"
#include "log.hpp"
#include "server_context.hpp"

namespace trellis::server {

namespace asio = boost::asio;
using asio::ip::tcp;

// How long stop() waits for connections to finish their closing handshake.
constexpr std::chrono::seconds kShutdownGrace{5};

struct Server::State {
  ServerConfig config;
  asio::io_context io;
  std::unique_ptr<WorkspaceStore> store;
  Metrics metrics;
  std::unique_ptr<WorkspaceRegistry> registry;
  std::unique_ptr<ServerContext> context;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::once_flag stopped;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
};

namespace {

asio::awaitable<void> accept_loop(ServerContext& context, tcp::acceptor& acceptor) {
  for (;;) {
    boost::system::error_code error;
    // Each connection gets its own strand from the start.
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(context.io), asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) {
      // EMFILE and the like: back off a little rather than spin.
      log_event(LogLevel::warn, "accept_failed", {{"error", error.message()}});
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
      continue;
    }
    socket.set_option(tcp::no_delay(true), error);
    start_http_session(context, std::move(socket));
  }
}

crdt::Error start_error(std::string message) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, std::move(message));
}

}  // namespace

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}

Server::~Server() {
  stop();
}

crdt::Result<std::unique_ptr<Server>> Server::start(ServerConfig config) {
  set_log_level(config.log_level);
  auto state = std::make_unique<State>();
  state->config = config;
  Metrics& metrics = state->metrics;

  StoreOptions store_options;
  store_options.data_dir = config.data_dir;
  store_options.in_memory = config.storage == StorageKind::memory;
  store_options.on_commit = [&metrics](double seconds, std::size_t) {
    metrics.storage_write_seconds.observe(seconds);
  };
  auto store = WorkspaceStore::open(store_options);
  if (!store) return start_error("storage: " + store.error().message);
  state->store = std::move(*store);

  RegistrySettings registry_settings;
  registry_settings.max_workspaces = config.max_workspaces;
  registry_settings.unload_after = config.workspace_unload_after;
  registry_settings.workspace.snapshot_every = config.snapshot_every;
  registry_settings.workspace.delta_log_bytes = config.delta_log_bytes;
  state->registry = std::make_unique<WorkspaceRegistry>(state->io, *state->store, state->metrics,
                                                        registry_settings);
  state->context.reset(new ServerContext{
      config, state->io, *state->store, *state->registry, state->metrics, {}, {1}, {}, {}});

  boost::system::error_code error;
  tcp::resolver resolver(state->io);
  auto endpoints =
      resolver.resolve(config.host, std::to_string(config.port), tcp::resolver::passive, error);
  if (error || endpoints.empty()) {
    return start_error("cannot resolve --host " + config.host + ": " + error.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor& acceptor = state->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return start_error("cannot listen on " + config.host + ":" + std::to_string(config.port) +
                       ": " + error.message());
  }

  asio::co_spawn(state->io, accept_loop(*state->context, acceptor), asio::detached);
  const unsigned thread_count = config.io_threads();
  for (unsigned i = 0; i < thread_count; ++i) {
    state->threads.emplace_back([io = &state->io] {
      for (;;) {
        try {
          io->run();
          return;
        } catch (const std::exception& e) {
          // A handler threw: log it and keep serving the others.
          log_event(LogLevel::error, "handler_failed", {{"error", e.what()}});
        }
      }
    });
  }
  log_event(LogLevel::info, "server_started",
            {{"port", std::to_string(acceptor.local_endpoint().port())},
             {"threads", std::to_string(thread_count)},
             {"storage", std::string(to_string(config.storage))}});
  return std::unique_ptr<Server>(new Server(std::move(state)));
}

std::uint16_t Server::port() const {
  boost::system::error_code error;
  return state_->acceptor.local_endpoint(error).port();
}

std::string Server::url() const {
  boost::system::error_code error;
  const auto address = state_->acceptor.local_endpoint(error).address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return "http://" + host + ":" + std::to_string(port());
}

void Server::stop() {
  State& state = *state_;
  std::call_once(state.stopped, [&state] {
    log_event(LogLevel::info, "server_stopping", {});
    asio::post(state.acceptor.get_executor(), [&state] {
      boost::system::error_code ignored;
      state.acceptor.close(ignored);
    });
    state.context->connections.shut_down_all();
    state.context->engineio.close_all();
    const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    while (state.context->connections.size() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    state.registry->close(kShutdownGrace);
    state.store->close();
    state.work.reset();
    state.io.stop();
    for (std::thread& thread : state.threads)
      thread.join();
    log_event(LogLevel::info, "server_stopped", {});
  });
}

}  // namespace trellis::server
