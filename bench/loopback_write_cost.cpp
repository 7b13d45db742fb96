// trellis_loopback_write_cost: what one small write to a loopback TCP socket
// costs the writer in CPU, when it wakes a reader blocked on the other end.
//
// Issue 8 sets the native path's target at a tenth of the relay's server
// CPU per delivered event. A server that sends each delivery in its own
// write pays at least this per delivery, whatever its own code costs, so
// this figure, measured on the machine of a server comparison, bounds what
// any per-delivery-write design can reach there (docs/performance.md).
//
//   trellis_loopback_write_cost [--rate N] [--writes N] [--bytes N]
//
// The writer (this process, pinned to core 0) writes --bytes-byte messages
// with TCP_NODELAY at --rate per second (0: back to back) to a reader (a
// forked child, pinned to core 1) that reads in a loop, so each write finds
// the reader asleep unless writes come faster than it drains them. The CPU
// of each write() is read from CLOCK_THREAD_CPUTIME_ID around the call: on
// loopback the writer's system call runs the whole TCP path, the receive
// side and the reader's wake-up included. One JSON line out. Asserts no
// timing.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "stopwatch.hpp"

namespace {

struct Options {
  long rate = 8000;  // writes/s; 0 = back to back
  long writes = 40000;
  long bytes = 64;
};

void pin_to_core(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  sched_setaffinity(0, sizeof set, &set);  // best effort: one core still measures
}

bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    const std::string_view text = argv[i + 1];
    long* target = name == "--rate"     ? &options.rate
                   : name == "--writes" ? &options.writes
                   : name == "--bytes"  ? &options.bytes
                                        : nullptr;
    if (!target) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *target);
    if (error != std::errc() || end != text.data() + text.size()) return false;
  }
  return argc % 2 == 1 && options.rate >= 0 && options.writes > 0 && options.bytes > 0 &&
         options.bytes <= 65536;
}

// Reads until the writer closes; runs in the child.
[[noreturn]] void read_until_closed(const sockaddr_in& address) {
  pin_to_core(1);
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(socket_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    _exit(1);
  }
  std::vector<char> buffer(65536);
  while (read(socket_fd, buffer.data(), buffer.size()) > 0) {
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  using trellis::bench::Stopwatch;
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr, "usage: %s [--rate N] [--writes N] [--bytes 1..65536]\n", argv[0]);
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      listen(listener, 1) != 0) {
    std::perror("listen on loopback");
    return 1;
  }
  const pid_t reader = fork();
  if (reader < 0) {
    std::perror("fork");
    return 1;
  }
  if (reader == 0) read_until_closed(address);

  pin_to_core(0);
  const int socket_fd = accept(listener, nullptr, nullptr);
  const int on = 1;
  setsockopt(socket_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  const std::vector<char> message(static_cast<std::size_t>(options.bytes), 'x');
  std::vector<double> write_cpu_ns;
  write_cpu_ns.reserve(static_cast<std::size_t>(options.writes));
  const double period_ms = options.rate > 0 ? 1e3 / double(options.rate) : 0;
  const Stopwatch schedule;
  double next_ms = 0;
  for (long i = 0; i < options.writes; ++i) {
    if (period_ms > 0) {
      next_ms += period_ms;
      // Sleep most of the gap, spin the last 0.2 ms: the schedule, not the
      // sleep's granularity, sets the rate.
      for (double now = schedule.elapsed_ms(); now < next_ms; now = schedule.elapsed_ms()) {
        if (next_ms - now > 0.2) usleep(100);
      }
    }
    const Stopwatch one_write;
    if (write(socket_fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) {
      std::perror("write");
      return 1;
    }
    write_cpu_ns.push_back(one_write.cpu_ms() * 1e6);
  }
  close(socket_fd);
  waitpid(reader, nullptr, 0);

  std::sort(write_cpu_ns.begin(), write_cpu_ns.end());
  double total = 0;
  for (double cost : write_cpu_ns)
    total += cost;
  const std::size_t count = write_cpu_ns.size();
  std::printf(
      "{\"rate\":%ld,\"writes\":%ld,\"bytes\":%ld,\"write_cpu_us_mean\":%.2f,"
      "\"write_cpu_us_median\":%.2f,\"write_cpu_us_p90\":%.2f}\n",
      options.rate, options.writes, options.bytes, total / double(count) / 1000,
      write_cpu_ns[count / 2] / 1000, write_cpu_ns[count * 9 / 10] / 1000);
  return 0;
}
