// The WebSocket transport's failure paths on loopback, with plain Asio
// sockets on the other end: a refused connection, a server that accepts
// and never answers the handshake, a close while connecting. Each ends in
// exactly one closed() with a reason. (The happy path runs against trellisd
// in tests/integration/.)
#include "trellis/net/asio.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "trellis/client/transport.hpp"

namespace trellis::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

struct Outcome {
  int opened = 0;
  int closed = 0;
  std::string reason;
};

TransportHandlers record(Outcome& outcome) {
  return {[&] { ++outcome.opened; }, [](Bytes) {},
          [&](std::string reason) {
            ++outcome.closed;
            outcome.reason = std::move(reason);
          }};
}

std::string url_for(unsigned short port) {
  return "ws://127.0.0.1:" + std::to_string(port);
}

// Runs `io` until `outcome` reports closed, bounded.
void run_until_closed(asio::io_context& io, const Outcome& outcome) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (outcome.closed == 0 && std::chrono::steady_clock::now() < deadline) {
    io.run_for(10ms);
  }
  io.run_for(20ms);  // nothing more may be reported
}

TEST(WebSocketTransport, RefusedConnectionIsReportedOnce) {
  asio::io_context io;
  unsigned short port = 0;
  {
    tcp::acceptor probe(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  Outcome outcome;
  auto transport = make_websocket_transport(io.get_executor());
  transport->connect(url_for(port), record(outcome));
  run_until_closed(io, outcome);
  EXPECT_EQ(outcome.opened, 0);
  EXPECT_EQ(outcome.closed, 1);
  EXPECT_NE(outcome.reason.find("cannot connect"), std::string::npos) << outcome.reason;
}

TEST(WebSocketTransport, ServerThatNeverAnswersTimesOut) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::optional<tcp::socket> accepted;
  acceptor.async_accept([&](boost::system::error_code, tcp::socket socket) {
    accepted.emplace(std::move(socket));  // and say nothing
  });
  Outcome outcome;
  auto transport = make_websocket_transport(io.get_executor(), {.connect_timeout = 200ms});
  const auto started = std::chrono::steady_clock::now();
  transport->connect(url_for(acceptor.local_endpoint().port()), record(outcome));
  run_until_closed(io, outcome);
  EXPECT_EQ(outcome.opened, 0);
  EXPECT_EQ(outcome.closed, 1);
  EXPECT_NE(outcome.reason.find("handshake"), std::string::npos) << outcome.reason;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(WebSocketTransport, CloseWhileConnectingEndsTheAttempt) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  std::optional<tcp::socket> accepted;
  acceptor.async_accept(
      [&](boost::system::error_code, tcp::socket socket) { accepted.emplace(std::move(socket)); });
  Outcome outcome;
  auto transport = make_websocket_transport(io.get_executor());
  transport->connect(url_for(acceptor.local_endpoint().port()), record(outcome));
  io.run_for(50ms);  // connected, waiting for the handshake answer
  transport->close();
  transport->close();
  run_until_closed(io, outcome);
  EXPECT_EQ(outcome.closed, 1);
  EXPECT_EQ(outcome.reason, "closed by the client");
}

TEST(WebSocketTransport, BadUrlIsReportedAsClosed) {
  asio::io_context io;
  Outcome outcome;
  auto transport = make_websocket_transport(io.get_executor());
  transport->connect("wss://example.test", record(outcome));
  run_until_closed(io, outcome);
  EXPECT_EQ(outcome.closed, 1);
  EXPECT_NE(outcome.reason.find("wss://"), std::string::npos);
}

}  // namespace
}  // namespace trellis::client
