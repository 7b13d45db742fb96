#include "metrics_scrape.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace trellis::bench::load {
namespace {

// Closes the socket however the scrape ends.
struct SocketGuard {
  int fd = -1;
  ~SocketGuard() {
    if (fd >= 0) close(fd);
  }
};

bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd poll_fd{fd, events, 0};
  return poll(&poll_fd, 1, static_cast<int>(left.count())) == 1;
}

std::map<std::string, double> parse_samples(const std::string& body) {
  std::map<std::string, double> samples;
  std::istringstream lines(body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line.find('{') != std::string::npos) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

}  // namespace

std::optional<std::map<std::string, double>> scrape_metrics(const std::string& host,
                                                            const std::string& port,
                                                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || !found) return std::nullopt;
  SocketGuard socket_guard{socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0)};
  const int connected =
      socket_guard.fd < 0 ? -1 : connect(socket_guard.fd, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);
  if (socket_guard.fd < 0) return std::nullopt;
  if (connected != 0 && (errno != EINPROGRESS || !wait_for(socket_guard.fd, POLLOUT, deadline))) {
    return std::nullopt;
  }
  const std::string request =
      "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(socket_guard.fd, POLLOUT, deadline)) return std::nullopt;
    const ssize_t wrote =
        send(socket_guard.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0) return std::nullopt;
    sent += static_cast<std::size_t>(wrote);
  }
  std::string response;
  for (;;) {
    if (!wait_for(socket_guard.fd, POLLIN, deadline)) return std::nullopt;
    char chunk[4096];
    const ssize_t got = recv(socket_guard.fd, chunk, sizeof chunk, 0);
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    response.append(chunk, static_cast<std::size_t>(got));
  }
  const std::size_t body = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200") || body == std::string::npos) return std::nullopt;
  return parse_samples(response.substr(body + 4));
}

}  // namespace trellis::bench::load
