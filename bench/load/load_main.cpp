// trellis_load: drives W workspaces x C clients of the native sync protocol
// against trellisd and reports throughput, end-to-end latency and the
// server's CPU and memory (bench/load/load_generator.hpp says how).
#include <sched.h>
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <string_view>
#include <vector>

#include "join_probe.hpp"
#include "load_generator.hpp"
#include "load_options.hpp"
#include "metrics_scrape.hpp"
#include "process_stats.hpp"
#include "server_process.hpp"
#include "trellis/client/transport.hpp"
#include "trellis/platform/heap_huge_pages.hpp"

namespace {

using namespace trellis::bench::load;

// A thousand connections need more descriptors than the usual soft limit of
// 1024, here and in the server (which inherits the limit).
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

void pin_to_core(unsigned core) {
  cpu_set_t cores;
  CPU_ZERO(&cores);
  CPU_SET(core, &cores);
  if (sched_setaffinity(0, sizeof cores, &cores) != 0) {
    std::cerr << "trellis_load: cannot pin to core " << core << "; running unpinned\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything else: this may run the process again (heap_huge_pages.hpp).
  trellis::platform::use_heap_huge_pages(argv);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_load_options(args);
  if (!parsed) {
    std::cerr << "trellis_load: " << parsed.error().message << "\nTry 'trellis_load --help'.\n";
    return 2;
  }
  if (std::holds_alternative<HelpRequested>(*parsed)) {
    std::cout << load_usage();
    return 0;
  }
  const LoadOptions options = std::get<LoadOptions>(*parsed);
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();
  // Before the server starts: the thread that reads its log inherits this.
  if (options.load_cpu_core) pin_to_core(*options.load_cpu_core);

  std::unique_ptr<ServerProcess> server;
  std::string url = options.url;
  std::optional<pid_t> server_pid = options.server_pid;
  if (!options.spawn_path.empty()) {
    auto spawned = ServerProcess::spawn(
        SpawnSettings{options.spawn_path, options.server_threads, options.server_cpu_core});
    if (!spawned) {
      std::cerr << "trellis_load: " << spawned.error().message << "\n";
      return 1;
    }
    server = std::move(*spawned);
    url = server->sync_url();
    server_pid = server->pid();
  }
  const auto address = trellis::client::parse_server_url(url);
  if (!address) {
    std::cerr << "trellis_load: " << address.error().message << "\n";
    return 2;
  }
  if (options.join_nodes > 0) {
    const JoinReport joins = run_join_probe(options, url, server_pid);
    if (server) server->stop();
    std::cout << join_report_json(joins).dump() << std::endl;
    for (const std::string& error : joins.errors)
      std::cerr << "trellis_load: " << error << "\n";
    return joins.errors.empty() ? 0 : 1;
  }
  const auto rss_idle = server_pid ? process_rss_bytes(*server_pid) : std::nullopt;

  LoadReport report = run_load(options, url, server_pid);
  report.server.rss_idle_bytes = rss_idle;
  report.server.metrics = scrape_metrics(address->host, address->port);
  if (server) {
    report.server.exit = server->stop();
    report.server.log = server->log();
  }

  if (options.json) {
    std::cout << report_json(report).dump() << std::endl;
  } else {
    std::cout << report_text(report);
  }
  if (!options.check) return 0;
  const auto failures = check_failures(report);
  for (const std::string& failure : failures)
    std::cerr << "trellis_load --check: " << failure << "\n";
  return failures.empty() ? 0 : 1;
}
