// trellisd's limits and timeouts, end to end on loopback: a connection past
// --max-connections is refused, a silent WebSocket peer is disconnected and
// leaves everyone's presence (no ghost cursors), a client trickling its HTTP
// headers is cut off, and a frame past --max-frame-bytes is refused.

#include <gtest/gtest.h>

#include "trellis/net/asio.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "sanitized_build.hpp"
#include "support/server_fixture.hpp"
#include "support/socketio_test_client.hpp"

namespace trellis::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

// Reads what the server sends until it closes, within `timeout`; whether it
// closed, and what it sent.
struct RawResult {
  bool closed = false;
  std::string received;
};

RawResult read_until_closed(tcp::socket& socket, asio::io_context& io,
                            std::chrono::milliseconds timeout) {
  RawResult result;
  std::array<char, 4096> chunk{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(chunk),
                           [&](boost::system::error_code error, std::size_t n) {
                             result.received.append(chunk.data(), n);
                             if (error) {
                               result.closed = true;
                               return;
                             }
                             read_more();
                           });
  };
  read_more();
  io.run_for(timeout);
  return result;
}

TEST(Limits, AConnectionPastMaxConnectionsGets503) {
  auto config = test_config();
  config.max_connections = 2;
  auto server = start_server(config);
  asio::io_context io;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server->port());
  tcp::socket first(io), second(io), third(io);
  first.connect(endpoint);
  second.connect(endpoint);
  std::this_thread::sleep_for(100ms);  // both accepted and counted
  third.connect(endpoint);
  const RawResult refused = read_until_closed(third, io, 5s);
  EXPECT_TRUE(refused.closed);
  EXPECT_NE(refused.received.find("503"), std::string::npos) << refused.received;
  first.close();
  second.close();
  // Once they are gone, connections are accepted again.
  HttpReply health;
  for (int attempt = 0; attempt < 100 && health.status != 200; ++attempt) {
    std::this_thread::sleep_for(20ms);
    health = http_request(server->port(), "GET", "/healthz");
  }
  EXPECT_EQ(health.status, 200u);
}

TEST(Limits, ASilentPeerIsDisconnectedAndLeavesEveryonesPresence) {
  auto config = test_config();
  config.ping_interval = 200ms;
  config.ping_timeout = 200ms;
  auto server = start_server(config);
  TestClient watcher(TestClientOptions{server->port(), "ws-ghost", 1, "watcher"});
  TestClient ghost(TestClientOptions{server->port(), "ws-ghost", 2, "ghost"});
  ASSERT_TRUE(watcher.connect());
  ASSERT_TRUE(watcher.wait_synced());
  ASSERT_TRUE(ghost.connect());
  ASSERT_TRUE(ghost.wait_synced());
  ghost.send_presence(crdt::Json{{"cursor", {{"x", 1}, {"y", 1}}}});
  ghost.run_until([] { return false; }, 20ms);
  const std::string ghost_id = ghost.session().user()->id;
  // The ghost stops answering anything (its I/O is no longer driven), like
  // a laptop whose lid closed. The watcher answers pings and stays.
  const auto left = [&] {
    return !watcher.presence().empty() && watcher.presence().back().user_id == ghost_id &&
           watcher.presence().back().state.is_null();
  };
  ASSERT_TRUE(watcher.run_until(left, 5s)) << "the silent peer's user left everyone's presence";
  EXPECT_TRUE(watcher.open()) << "a peer that answers pings stays connected";
}

// The Engine.IO heartbeat does not blame a client for a pong the server has
// not read. A flooder's pong waits in the socket behind its own events,
// which the server reads one per workspace turn; with a heartbeat far
// shorter than that wait the session stays and every event is acknowledged.
// Once the client goes silent, the heartbeat still closes it.
TEST(Limits, ASocketIoPongBehindTheClientsOwnEventsIsWaitedForAndSilenceIsNot) {
  auto config = test_config();
  config.ping_interval = 100ms;
  // Beast's idle timeout of the Engine.IO WebSocket is interval + twice
  // this: 500 ms without a byte read, which a loaded machine stays under.
  config.ping_timeout = 200ms;
  auto server = start_server(config);
  // Encoded beforehand: a client busy encoding does not answer pings either.
  // Under ASan an event takes 1.5-10 ms (the server reads one per workspace
  // turn): 3,000 still hold the pong back far longer than the 300 ms
  // heartbeat, and stay well inside the bounds below on a loaded machine.
  constexpr std::uint64_t kEvents = kSanitized ? 3'000 : 50'000;
  std::vector<std::string> frames;
  for (std::uint64_t i = 0; i < kEvents; ++i) {
    // An EVENT ("42"), the last one asking for ack 2.
    frames.push_back((i + 1 == kEvents ? "422" : "42") +
                     std::string("[\"node_data_update\",{\"nodeId\":\"hot\",\"workspaceId\":"
                                 "\"ws-pong\",\"data\":{\"v\":") +
                     std::to_string(i) + "}}]");
  }
  SocketIoTestClient flooder(server->port());
  ASSERT_TRUE(flooder.connect());
  ASSERT_TRUE(flooder.join("ws-pong", "flooder"));
  const crdt::Json node = box("hot");
  flooder.emit("node_change", {{"type", "add"}, {"node", node}, {"workspaceId", "ws-pong"}}, 1);
  // Queued at once: every pong the client sends goes behind all of them.
  const auto started = std::chrono::steady_clock::now();
  for (std::string& frame : frames)
    flooder.send_frame(std::move(frame));
  ASSERT_TRUE(flooder.run_until([&] { return flooder.ack(2) || !flooder.open(); }, 120s));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  EXPECT_TRUE(flooder.open()) << "closed (code " << flooder.close_code().value_or(0) << ") after "
                              << took.count() << " ms";
  EXPECT_TRUE(flooder.ack(2) && flooder.ack(2)->value("ok", false));
  // Without this the heartbeat was never behind the flood.
  EXPECT_GT(took, config.ping_interval + config.ping_timeout)
      << "the flood was too short to hold a pong back";
  // Silent (its I/O no longer driven): closed after a ping goes unanswered.
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(flooder.run_until([&] { return !flooder.open(); }, 5s))
      << "a client that stopped answering pings is still connected";
}

TEST(Limits, AClientTricklingItsHeadersIsCutOff) {
  auto config = test_config();
  config.http_idle_timeout = 300ms;
  auto server = start_server(config);
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  asio::write(socket, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n")));
  const auto started = std::chrono::steady_clock::now();
  const RawResult result = read_until_closed(socket, io, 5s);
  EXPECT_TRUE(result.closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_EQ(http_request(server->port(), "GET", "/healthz").status, 200u) << "the server is fine";
}

TEST(Limits, AWebSocketThatSendsNoHelloIsClosedAfterTheIdleTimeout) {
  auto config = test_config();
  config.http_idle_timeout = 300ms;
  auto server = start_server(config);
  TestClient silent(TestClientOptions{server->port(), "ws-silent", 1, "silent"});
  ASSERT_TRUE(silent.connect_raw());
  const auto started = std::chrono::steady_clock::now();
  // Beast answers its pings for it: only the deadline can end it.
  ASSERT_TRUE(silent.run_until([&] { return !silent.open(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  ASSERT_EQ(silent.errors().size(), 1u);
  EXPECT_EQ(silent.errors().front().code, sync::ProtocolError::unexpected_message);
  EXPECT_NE(silent.errors().front().message.find("no hello"), std::string::npos);
  EXPECT_EQ(silent.close_code(), 1002) << "a protocol error";
  // A client that said hello in time stays, however long it is quiet.
  TestClient prompt(TestClientOptions{server->port(), "ws-silent", 2, "prompt"});
  ASSERT_TRUE(prompt.connect());
  ASSERT_TRUE(prompt.wait_synced());
  prompt.run_until([] { return false; }, 900ms);
  EXPECT_TRUE(prompt.open());
  ASSERT_TRUE(prompt.edit(add_node("after-the-deadline")));
  EXPECT_TRUE(prompt.wait_synced());
  EXPECT_TRUE(prompt.errors().empty());
}

TEST(Limits, AnEngineIoSessionThatNeverConnectsANamespaceIsClosedAfterTheIdleTimeout) {
  auto config = test_config();
  config.http_idle_timeout = 300ms;
  auto server = start_server(config);
  SocketIoTestClient idle(server->port());
  ASSERT_TRUE(idle.connect_raw());  // Engine.IO open; no Socket.IO CONNECT
  const auto started = std::chrono::steady_clock::now();
  // It answers every ping: only the deadline can end it.
  ASSERT_TRUE(idle.run_until([&] { return !idle.open(); }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(idle.close_code().has_value()) << "a WebSocket close, not a reset";
  // A client that connected in time stays, however long it is quiet.
  SocketIoTestClient prompt(server->port());
  ASSERT_TRUE(prompt.connect());
  prompt.run_until([] { return false; }, 900ms);
  EXPECT_TRUE(prompt.open());
  ASSERT_TRUE(prompt.join("sio-deadline", "prompt"));
}

TEST(Limits, OversizedHeadersGet431) {
  auto server = start_server(test_config());
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  std::string request =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 << 10, 'a') + "\r\n\r\n";
  boost::system::error_code ignored;
  asio::write(socket, asio::buffer(request), ignored);
  const RawResult result = read_until_closed(socket, io, 5s);
  EXPECT_NE(result.received.find("431"), std::string::npos) << result.received.substr(0, 200);
}

TEST(Limits, AFramePastMaxFrameBytesIsRefusedAndOthersKeepWorking) {
  auto config = test_config();
  config.max_frame_bytes = 64u << 10;
  auto server = start_server(config);
  TestClient alice(TestClientOptions{server->port(), "ws-big", 1, "alice"});
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(alice.wait_synced());
  TestClient big(TestClientOptions{server->port(), "ws-big", 2, "big"});
  ASSERT_TRUE(big.connect());
  ASSERT_TRUE(big.wait_synced());
  big.send_raw(std::vector<std::uint8_t>(128u << 10, 0x90));
  ASSERT_TRUE(big.run_until([&] { return !big.open(); }, 5s));
  // Beast fails the connection itself with 1009, leaving no room for an
  // `error` after it. The rest of the oversized frame is drained, not
  // reset, so the close code arrives (lingering_close.hpp).
  EXPECT_EQ(big.close_code(), std::optional<std::uint16_t>{1009});
  ASSERT_TRUE(alice.edit(add_node("still-fine")));
  EXPECT_TRUE(alice.wait_synced());
}

}  // namespace
}  // namespace trellis::testing
