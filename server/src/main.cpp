// trellisd: parses the configuration, starts the server, prints
// "listening on http://HOST:PORT" once it accepts connections, and shuts
// down gracefully on SIGINT or SIGTERM.
#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "log.hpp"
#include "server.hpp"
#include "trellis/platform/heap_huge_pages.hpp"

int main(int argc, char** argv) {
  // Before anything else: this may run the process again (heap_huge_pages.hpp).
  trellis::platform::use_heap_huge_pages(argv);
  using namespace trellis::server;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_config(args, process_getenv);
  if (!parsed) {
    std::cerr << "trellisd: " << parsed.error().message << "\nTry 'trellisd --help'.\n";
    return 2;
  }
  if (std::holds_alternative<HelpRequested>(*parsed)) {
    std::cout << usage();
    return 0;
  }
  const ServerConfig config = std::get<ServerConfig>(*parsed);
  set_log_level(config.log_level);

  // SIGINT and SIGTERM are taken by sigwait below, not by whichever thread
  // the kernel picks: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = Server::start(config);
  if (!server) {
    std::cerr << "trellisd: " << server.error().message << "\n";
    return 1;
  }
  std::cout << "listening on " << (*server)->url() << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  log_event(LogLevel::info, "signal_received",
            {{"signal", received == SIGINT ? "SIGINT" : "SIGTERM"}});
  (*server)->stop();
  return 0;
}
