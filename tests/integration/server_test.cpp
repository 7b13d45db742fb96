// trellisd end to end on loopback: an in-process server on port 0 and
// native-protocol clients over real WebSockets. Every wait is bounded.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "support/server_fixture.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::testing {
namespace {

using namespace std::chrono_literals;

TestClientOptions options(std::uint16_t port, std::string workspace, std::uint64_t replica) {
  return TestClientOptions{port, std::move(workspace), replica, "user " + std::to_string(replica)};
}

bool has_node(const TestClient& client, const std::string& id) {
  const crdt::Json view = view_of(client);
  for (const auto& node : view["nodes"]) {
    if (node["id"] == id) return true;
  }
  return false;
}

TEST(Server, NativeClientsConvergeThroughTheServer) {
  auto server = start_server(test_config());
  TestClient alice(options(server->port(), "ws1", 1));
  TestClient bob(options(server->port(), "ws1", 2));
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(alice.wait_synced());
  ASSERT_TRUE(bob.wait_synced());

  ASSERT_TRUE(alice.edit(add_node("a1")));
  ASSERT_TRUE(bob.edit(add_node("b1", 5)));
  ASSERT_TRUE(alice.edit(set_width("a1", 3)));
  ASSERT_TRUE(alice.wait_synced()) << "alice's edits acknowledged";
  ASSERT_TRUE(bob.wait_synced());
  auto converged = [&] {
    return has_node(alice, "b1") && has_node(bob, "a1") && view_of(alice) == view_of(bob);
  };
  ASSERT_TRUE(alice.run_until([&] {
    bob.run_until([] { return false; }, 5ms);
    return converged();
  })) << view_of(alice).dump()
      << "\n"
      << view_of(bob).dump();
  EXPECT_EQ(view_of(bob)["nodes"][0]["data"]["width"], 3);
}

// Bob edits offline while alice edits online; both converge once he is back.
void expect_an_offline_client_and_the_others_to_converge(const server::ServerConfig& config) {
  auto server = start_server(config);
  TestClient alice(options(server->port(), "ws-offline", 1));
  TestClient bob(options(server->port(), "ws-offline", 2));
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(alice.edit(add_node("shared")));
  ASSERT_TRUE(alice.wait_synced());
  ASSERT_TRUE(bob.run_until([&] { return has_node(bob, "shared"); }));

  bob.disconnect();
  // Both edit: bob offline, alice online; different fields of one node.
  ASSERT_TRUE(bob.edit([](crdt::GraphDoc& doc) {
    return doc.set_node_data("shared", crdt::Json{{"height", 7}});
  }));
  ASSERT_TRUE(bob.edit(add_node("bob-offline")));
  ASSERT_TRUE(alice.edit(set_width("shared", 9)));
  ASSERT_TRUE(alice.edit(add_node("alice-online")));
  ASSERT_TRUE(alice.wait_synced());
  EXPECT_EQ(bob.session().outbox().size(), 2u) << "offline edits wait in the outbox";

  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(bob.wait_synced()) << "bob's offline edits are acknowledged after reconnect";
  auto converged = [&] {
    return has_node(alice, "bob-offline") && has_node(bob, "alice-online") &&
           view_of(alice) == view_of(bob);
  };
  ASSERT_TRUE(alice.run_until([&] {
    bob.run_until([] { return false; }, 5ms);
    return converged();
  })) << view_of(alice).dump()
      << "\n"
      << view_of(bob).dump();
  crdt::Json node;
  const crdt::Json view = view_of(alice);
  for (const auto& candidate : view["nodes"]) {
    if (candidate["id"] == "shared") node = candidate;
  }
  EXPECT_EQ(node["data"]["width"], 9) << "alice's field kept";
  EXPECT_EQ(node["data"]["height"], 7) << "bob's field kept";
}

TEST(Server, AClientOfflineForAWhileAndTheOthersGetEachOthersEdits) {
  expect_an_offline_client_and_the_others_to_converge(test_config());
}

TEST(Server, WithoutADeltaLogAReturningClientIsServedTheFallback) {
  // --delta-log-bytes 0: bob's welcome is delta_since, not logged deltas.
  auto config = test_config();
  config.delta_log_bytes = 0;
  expect_an_offline_client_and_the_others_to_converge(config);
}

TEST(Server, PresenceAndJoinsAndLeavesReachTheOthers) {
  auto server = start_server(test_config());
  TestClient alice(options(server->port(), "ws-presence", 1));
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(alice.wait_synced());
  TestClient bob(options(server->port(), "ws-presence", 2));
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(bob.wait_synced());
  const std::string alice_id = alice.session().user()->id;
  const std::string bob_id = bob.session().user()->id;
  ASSERT_NE(alice_id, bob_id);

  // Bob is told alice is here; alice is told bob joined.
  ASSERT_TRUE(bob.run_until([&] { return !bob.presence().empty(); }));
  EXPECT_EQ(bob.presence()[0].user_id, alice_id);
  EXPECT_EQ(bob.presence()[0].state["user"]["username"], "user 1");
  EXPECT_TRUE(bob.presence()[0].state["user"]["color"].get<std::string>().starts_with("#"));
  ASSERT_TRUE(alice.run_until([&] { return !alice.presence().empty(); }));
  EXPECT_EQ(alice.presence()[0].user_id, bob_id);
  EXPECT_TRUE(alice.presence()[0].state["state"].is_null());

  bob.send_presence(crdt::Json{{"cursor", {{"x", 1}, {"y", 2}}}});
  ASSERT_TRUE(alice.run_until([&] {
    bob.run_until([] { return false; }, 2ms);
    return alice.presence().size() >= 2;
  }));
  EXPECT_EQ(alice.presence()[1].user_id, bob_id);
  EXPECT_EQ(alice.presence()[1].state["state"]["cursor"]["x"], 1);

  // A newcomer sees bob's latest presence; bob's leaving reaches everyone.
  TestClient carol(options(server->port(), "ws-presence", 3));
  ASSERT_TRUE(carol.connect());
  ASSERT_TRUE(carol.run_until([&] { return carol.presence().size() >= 2; }));
  bool saw_bob_cursor = false;
  for (const auto& presence : carol.presence()) {
    if (presence.user_id == bob_id) saw_bob_cursor = presence.state["state"]["cursor"]["y"] == 2;
  }
  EXPECT_TRUE(saw_bob_cursor);
  bob.disconnect();
  auto left = [&](const TestClient& client) {
    return !client.presence().empty() && client.presence().back().user_id == bob_id &&
           client.presence().back().state.is_null();
  };
  EXPECT_TRUE(alice.run_until([&] { return left(alice); }));
  EXPECT_TRUE(carol.run_until([&] { return left(carol); }));
}

TEST(Server, TwoWorkspacesNeverLeakIntoEachOther) {
  auto server = start_server(test_config());
  TestClient a(options(server->port(), "ws-a", 1));
  TestClient b(options(server->port(), "ws-b", 2));
  ASSERT_TRUE(a.connect());
  ASSERT_TRUE(b.connect());
  ASSERT_TRUE(a.edit(add_node("only-in-a")));
  ASSERT_TRUE(b.edit(add_node("only-in-b")));
  ASSERT_TRUE(a.wait_synced());
  ASSERT_TRUE(b.wait_synced());
  a.run_until([] { return false; }, 200ms);
  b.run_until([] { return false; }, 200ms);
  EXPECT_FALSE(has_node(a, "only-in-b"));
  EXPECT_FALSE(has_node(b, "only-in-a"));
  EXPECT_TRUE(a.presence().empty()) << "no presence from another workspace";

  TestClient late(options(server->port(), "ws-b", 3));
  ASSERT_TRUE(late.connect());
  ASSERT_TRUE(late.run_until([&] { return has_node(late, "only-in-b"); }));
  EXPECT_FALSE(has_node(late, "only-in-a"));
}

TEST(Server, MalformedFramesGetAnErrorAndLeaveStateAndOthersUntouched) {
  auto server = start_server(test_config());
  TestClient alice(options(server->port(), "ws-bad", 1));
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(alice.edit(add_node("n1")));
  ASSERT_TRUE(alice.wait_synced());
  const crdt::Json before = view_of(alice);

  // Garbage before hello: error, then the server closes.
  TestClient garbage(options(server->port(), "ws-bad", 2));
  ASSERT_TRUE(garbage.connect_raw());
  garbage.send_raw({0xc1, 0xff, 0x00, 0x13});
  ASSERT_TRUE(garbage.run_until([&] { return !garbage.open(); }));
  ASSERT_EQ(garbage.errors().size(), 1u);
  EXPECT_EQ(garbage.errors()[0].code, sync::ProtocolError::malformed_message);
  EXPECT_EQ(garbage.close_code(), 1002);

  // A text frame: refused.
  TestClient text(options(server->port(), "ws-bad", 3));
  ASSERT_TRUE(text.connect_raw());
  text.send_raw({'{', '}'}, /*binary=*/false);
  ASSERT_TRUE(text.run_until([&] { return !text.open(); }));
  ASSERT_EQ(text.errors().size(), 1u);
  EXPECT_EQ(text.errors()[0].code, sync::ProtocolError::malformed_message);

  // An established client sends a delta that does not decode: invalid_delta,
  // the connection stays, nothing changes.
  TestClient sloppy(options(server->port(), "ws-bad", 4));
  ASSERT_TRUE(sloppy.connect());
  ASSERT_TRUE(sloppy.wait_synced());
  crdt::CausalContext covers;
  covers.insert(crdt::Dot{crdt::ReplicaId{4}, 1});
  sloppy.send_raw(sync::encode_message(sync::DeltaMessage{{0x92, 0x01}, covers}));
  ASSERT_TRUE(sloppy.run_until([&] { return !sloppy.errors().empty(); }));
  EXPECT_EQ(sloppy.errors()[0].code, sync::ProtocolError::invalid_delta);
  EXPECT_TRUE(sloppy.open());

  // A delta that writes another replica's events: refused too.
  crdt::GraphDoc forger(crdt::ReplicaId{1});
  forger.join(alice.doc());
  auto forged = forger.add_node(box("forged"));
  ASSERT_TRUE(forged);
  crdt::CausalContext forged_covers;
  forged_covers.insert(crdt::Dot{crdt::ReplicaId{1}, 99});
  sloppy.send_raw(sync::encode_message(sync::DeltaMessage{crdt::encode(*forged), forged_covers}));
  ASSERT_TRUE(sloppy.run_until([&] { return sloppy.errors().size() >= 2; }));
  EXPECT_EQ(sloppy.errors()[1].code, sync::ProtocolError::invalid_delta);

  // Alice still works and nothing she has changed.
  ASSERT_TRUE(alice.edit(add_node("n2")));
  ASSERT_TRUE(alice.wait_synced());
  TestClient check(options(server->port(), "ws-bad", 5));
  ASSERT_TRUE(check.connect());
  ASSERT_TRUE(check.run_until([&] { return has_node(check, "n2"); }));
  EXPECT_FALSE(has_node(check, "forged"));
  EXPECT_EQ(view_of(check)["nodes"].size(), 2u) << before.dump();
}

TEST(Server, ASlowConsumerIsClosedAndTheOthersKeepTheirPace) {
  auto config = test_config();
  config.outbound_queue_bytes = 256u << 10;
  auto server = start_server(config);
  TestClient writer(options(server->port(), "ws-slow", 1));
  TestClient reader(options(server->port(), "ws-slow", 2));
  TestClient stuck(options(server->port(), "ws-slow", 3));
  ASSERT_TRUE(writer.connect());
  ASSERT_TRUE(reader.connect());
  ASSERT_TRUE(stuck.connect());
  ASSERT_TRUE(writer.wait_synced());
  ASSERT_TRUE(reader.wait_synced());
  ASSERT_TRUE(stuck.wait_synced());
  stuck.stop_reading();

  // Distinct nodes with large data, 20 MB in all: merging cannot shrink the
  // backlog, and it is far more than the socket buffers hold. Each blob is
  // distinct: the state encoding writes a value that recurs only once (its
  // string table), so equal blobs would merge into a small backlog. The
  // reader reads all along on its own thread; the stuck client never does.
  constexpr std::size_t kNodes = 1000;
  std::thread reading(
      [&] { reader.run_until([&] { return reader.doc().nodes().size() == kNodes; }, 60s); });
  const std::string blob(20000, 'x');
  for (std::size_t i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(writer.edit([&, i](crdt::GraphDoc& doc) {
      crdt::Json node = box("n" + std::to_string(i));
      node["data"]["blob"] = std::to_string(i) + blob;
      return doc.add_node(node);
    }));
    writer.run_until([] { return false; }, 1ms);
  }
  EXPECT_TRUE(writer.wait_synced(60s));
  reading.join();
  ASSERT_EQ(reader.doc().nodes().size(), kNodes)
      << "the reading client keeps up; " << http_request(server->port(), "GET", "/metrics").body;
  auto metrics = http_request(server->port(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("trellis_slow_consumer_drops_total 1\n"), std::string::npos)
      << metrics.body;

  // The stuck client, once it reads again, finds the error and the close;
  // a reconnect resyncs it without loss.
  stuck.resume_reading();
  ASSERT_TRUE(stuck.run_until([&] { return !stuck.open(); }, 30s));
  TestClient resync(TestClientOptions{server->port(), "ws-slow", 3, "stuck again"}, stuck.doc(),
                    stuck.session().received(), stuck.session().outbox());
  ASSERT_TRUE(resync.connect());
  ASSERT_TRUE(resync.run_until([&] { return resync.doc().nodes().size() == kNodes; }, 30s));
  EXPECT_EQ(view_of(resync), view_of(reader));
}

TEST(Server, HttpEndpoints) {
  TempDir web;
  std::filesystem::create_directories(web.path / "assets");
  {
    std::ofstream(web.path / "index.html") << "<!doctype html><title>Trellis</title>";
    std::ofstream(web.path / "assets" / "app-1234.js") << "console.log(1)";
  }
  auto config = test_config();
  config.web_root = web.path;
  auto server = start_server(config);
  const auto port = server->port();

  auto health = http_request(port, "GET", "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");

  auto created = http_request(port, "POST", "/api/workspaces");
  ASSERT_EQ(created.status, 201u) << created.body;
  const std::string id = nlohmann::json::parse(created.body)["workspaceId"];
  EXPECT_EQ(id.size(), 22u);
  EXPECT_EQ(
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  auto again = http_request(port, "POST", "/api/workspaces");
  EXPECT_NE(nlohmann::json::parse(again.body)["workspaceId"], id);
  EXPECT_EQ(http_request(port, "GET", "/api/workspaces").status, 405u);

  auto index = http_request(port, "GET", "/");
  EXPECT_EQ(index.status, 200u);
  EXPECT_NE(index.body.find("Trellis"), std::string::npos);
  EXPECT_EQ(http_request(port, "GET", "/workspace/" + id).body, index.body) << "SPA fallback";
  EXPECT_EQ(http_request(port, "GET", "/assets/app-1234.js").body, "console.log(1)");
  EXPECT_EQ(http_request(port, "GET", "/assets/missing.js").status, 404u);
  EXPECT_EQ(http_request(port, "GET", "/../../etc/passwd").status >= 400, true);
  EXPECT_EQ(http_request(port, "GET", "/v1/sync").status, 426u);

  auto metrics = http_request(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("# TYPE trellis_connections_open gauge"), std::string::npos);
  EXPECT_NE(metrics.body.find("trellis_storage_write_seconds_bucket"), std::string::npos);
}

TEST(Server, AnIdleWorkspaceIsUnloadedAndReloadsFromStorage) {
  TempDir data;
  auto config = test_config();
  config.storage = server::StorageKind::sqlite;
  config.data_dir = data.path;
  config.workspace_unload_after = std::chrono::milliseconds(0);
  auto server = start_server(config);
  {
    TestClient alice(options(server->port(), "ws-unload", 1));
    ASSERT_TRUE(alice.connect());
    ASSERT_TRUE(alice.edit(add_node("kept")));
    ASSERT_TRUE(alice.edit(set_width("kept", 42)));
    ASSERT_TRUE(alice.wait_synced());
  }
  auto loaded = [&] {
    return nlohmann::json::parse(
        http_request(server->port(), "GET", "/healthz").body)["workspaces"];
  };
  for (int i = 0; i < 200 && loaded() != 0; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(loaded(), 0) << "memory follows the active workspaces";

  TestClient bob(options(server->port(), "ws-unload", 2));
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(bob.run_until([&] { return has_node(bob, "kept"); }));
  EXPECT_EQ(view_of(bob)["nodes"][0]["data"]["width"], 42);
}

TEST(Server, RestartKeepsEveryAcknowledgedEdit) {
  TempDir data;
  auto config = test_config();
  config.storage = server::StorageKind::sqlite;
  config.data_dir = data.path;
  crdt::Json expected;
  {
    auto server = start_server(config);
    TestClient alice(options(server->port(), "ws-restart", 1));
    ASSERT_TRUE(alice.connect());
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(alice.edit(add_node("n" + std::to_string(i), i)));
    ASSERT_TRUE(alice.wait_synced());
    expected = view_of(alice);
    server->stop();
  }
  config.port = 0;
  auto server = start_server(config);
  TestClient bob(options(server->port(), "ws-restart", 2));
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(bob.run_until([&] { return view_of(bob) == expected; }));
}

}  // namespace
}  // namespace trellis::testing
