// Crash safety, tested rather than claimed: trellisd runs as a child
// process on a data directory, a client streams edits, the server is
// killed with SIGKILL in the middle of the stream and restarted, and every
// edit it had acknowledged must be there; the client then resyncs and
// nothing it made is lost.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "support/child_process.hpp"
#include "support/server_fixture.hpp"

namespace trellis::testing {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> server_args(const TempDir& data) {
  return {"--port", "0",         "--data-dir", data.path.string(), "--log-level",
          "warn",   "--threads", "2",          "--web-root",       "/nonexistent"};
}

// The edits of replica 1 whose dots no outbox entry covers any more: the
// ones the server acknowledged. Edit i (from 0) has dot (1, i + 1).
std::vector<std::size_t> acknowledged(const TestClient& client, std::size_t edits) {
  std::vector<std::size_t> acked;
  for (std::size_t i = 0; i < edits; ++i) {
    const crdt::Dot dot{crdt::ReplicaId{1}, i + 1};
    bool pending = false;
    for (const auto& entry : client.session().outbox())
      pending = pending || entry.covers.contains(dot);
    if (!pending) acked.push_back(i);
  }
  return acked;
}

TEST(Crash, SigkillMidStreamLosesNoAcknowledgedEditAndClientsResync) {
  TempDir data;
  constexpr std::size_t kEdits = 400;
  std::unique_ptr<TestClient> client;
  std::vector<std::size_t> acked;
  {
    ChildServer server(TRELLISD_PATH, server_args(data));
    ASSERT_NE(server.port(), 0) << "trellisd did not print its listening line";
    client =
        std::make_unique<TestClient>(TestClientOptions{server.port(), "ws-crash", 1, "writer"});
    TestClient& writer = *client;
    ASSERT_TRUE(writer.connect());
    ASSERT_TRUE(writer.wait_synced());
    std::size_t made = 0;
    // Stream edits; kill once part of them is acknowledged and more are in
    // flight.
    for (; made < kEdits; ++made) {
      ASSERT_TRUE(writer.edit(add_node("n" + std::to_string(made), made)));
      writer.run_until([] { return false; }, 1ms);
      if (made > kEdits / 2 && acknowledged(writer, made + 1).size() > kEdits / 4) break;
    }
    acked = acknowledged(writer, made + 1);
    ASSERT_GT(acked.size(), 0u);
    const int status = server.kill_and_wait(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status));
    // Acknowledgements in flight when the server died may arrive: count them.
    writer.run_until([&] { return !writer.open(); }, 5s);
    acked = acknowledged(writer, made + 1);
    // Offline now; more edits wait in the outbox.
    for (std::size_t i = made + 1; i < kEdits; ++i)
      ASSERT_TRUE(writer.edit(add_node("n" + std::to_string(i), i)));
  }

  ChildServer restarted(TRELLISD_PATH, server_args(data));
  ASSERT_NE(restarted.port(), 0);
  TestClient reader(TestClientOptions{restarted.port(), "ws-crash", 2, "reader"});
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(reader.wait_synced());
  for (std::size_t i : acked) {
    EXPECT_TRUE(holds_node(reader.doc(), "n" + std::to_string(i)))
        << "acknowledged edit " << i << " was lost (" << acked.size() << " acknowledged)";
  }

  // The writer comes back: everything it made reaches the server and the reader.
  TestClient back(TestClientOptions{restarted.port(), "ws-crash", 1, "writer"}, client->doc(),
                  client->session().received(), client->session().outbox());
  ASSERT_TRUE(back.connect());
  ASSERT_TRUE(back.wait_synced(30s));
  ASSERT_TRUE(reader.run_until([&] { return reader.doc().nodes().size() == kEdits; }, 30s))
      << reader.doc().nodes().size();
  EXPECT_EQ(view_of(reader), view_of(back));
}

TEST(Crash, SigtermShutsDownGracefullyAndKeepsEverything) {
  TempDir data;
  crdt::Json expected;
  {
    ChildServer server(TRELLISD_PATH, server_args(data));
    ASSERT_NE(server.port(), 0);
    TestClient writer(TestClientOptions{server.port(), "ws-term", 1, "writer"});
    ASSERT_TRUE(writer.connect());
    ASSERT_TRUE(writer.edit(add_node("n")));
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(writer.edit(set_width("n", i)));
    ASSERT_TRUE(writer.wait_synced());
    expected = view_of(writer);
    server.send_signal(SIGTERM);
    writer.run_until([&] { return !writer.open(); }, 10s);
    EXPECT_EQ(writer.close_code(), 1001) << "shutdown closes with going away";
    const int status = server.wait();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  ChildServer restarted(TRELLISD_PATH, server_args(data));
  ASSERT_NE(restarted.port(), 0);
  TestClient reader(TestClientOptions{restarted.port(), "ws-term", 2, "reader"});
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(reader.run_until([&] { return view_of(reader) == expected; }));
}

}  // namespace
}  // namespace trellis::testing
