// NativeClient against an in-memory trellisd stand-in (support/
// memory_server.hpp): offline edits are delivered later, a restart from the
// data directory keeps what was not acknowledged and resends it, state and
// presence callbacks report what happened, refusals stop the retries.
#include "trellis/client/native_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "support/memory_server.hpp"
#include "support/scratch_dir.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::client {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using crdt::GraphDoc;
using crdt::ReplicaId;
using testkit::MemoryServer;

constexpr auto kWait = 10s;  // bound of every wait; a pass takes milliseconds

Json node(const std::string& id, int x = 0) {
  return {{"id", id}, {"type", "box"}, {"position", {{"x", x}, {"y", 0}}}, {"data", {{"w", 1}}}};
}

NativeClient::EditFunction add_node(const std::string& id) {
  return [id](GraphDoc& doc) { return doc.add_node(node(id)); };
}

std::vector<std::string> node_ids(const Json& view) {
  std::vector<std::string> ids;
  for (const Json& entry : view.at("nodes"))
    ids.push_back(entry.at("id").get<std::string>());
  return ids;
}

// Records what the callbacks reported, for assertions from the test thread.
struct Recorder {
  std::mutex mutex;
  std::vector<ConnectionState> states;
  std::vector<PresenceEvent> presence;
  std::vector<ClientError> errors;
  std::atomic<int> document_changes{0};

  ClientCallbacks callbacks() {
    ClientCallbacks callbacks;
    callbacks.state_changed = [this](ConnectionState state) {
      std::lock_guard lock(mutex);
      states.push_back(state);
    };
    callbacks.presence_changed = [this](const PresenceEvent& event) {
      std::lock_guard lock(mutex);
      presence.push_back(event);
    };
    callbacks.error = [this](const ClientError& error) {
      std::lock_guard lock(mutex);
      errors.push_back(error);
    };
    callbacks.document_changed = [this] { ++document_changes; };
    return callbacks;
  }
  std::vector<ConnectionState> state_log() {
    std::lock_guard lock(mutex);
    return states;
  }
  std::vector<PresenceEvent> presence_log() {
    std::lock_guard lock(mutex);
    return presence;
  }
};

// Polls `condition` (state another thread changes) until it holds or `kWait`
// passes.
template <class Condition>
bool eventually(Condition condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class NativeClientTest : public ::testing::Test {
 protected:
  ClientOptions options(const std::string& name, std::uint64_t replica) {
    ClientOptions options;
    options.data_dir = root_ / name;
    options.workspace_id = "ws-test";
    options.server_url = "ws://memory.test:1";
    options.client_name = name;
    options.reconnect = {1ms, 20ms};  // fast retries keep the tests short
    options.transport = server_.transport_factory();
    options.new_replica = ReplicaId{replica};
    return options;
  }

  std::unique_ptr<NativeClient> open(ClientOptions options, ClientCallbacks callbacks = {}) {
    auto client = NativeClient::open(std::move(options), std::move(callbacks));
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  MemoryServer server_;  // outlives the clients
  testkit::ScratchDir scratch_{"trellis-native"};
  const fs::path& root_ = scratch_.path();
};

TEST_F(NativeClientTest, EditsMadeOfflineAreDeliveredAfterConnect) {
  auto client = open(options("alice", 1));
  ASSERT_FALSE(client->edit(add_node("n1")));
  ASSERT_FALSE(client->edit(add_node("n2")));
  EXPECT_EQ(node_ids(client->view()), (std::vector<std::string>{"n1", "n2"}));
  EXPECT_EQ(client->status().state, ConnectionState::offline);
  EXPECT_EQ(client->status().outbox_size, 2u);

  client->connect();
  ASSERT_TRUE(client->wait_until_synced(kWait));
  EXPECT_EQ(node_ids(server_.view()), (std::vector<std::string>{"n1", "n2"}));
}

TEST_F(NativeClientTest, RetriesWhileTheServerIsUnreachableThenDelivers) {
  server_.set_reachable(false);
  auto client = open(options("alice", 1));
  client->connect();
  ASSERT_FALSE(client->edit(add_node("n1")));
  EXPECT_FALSE(client->wait_until_synced(30ms));
  EXPECT_EQ(client->status().outbox_size, 1u);

  server_.set_reachable(true);
  ASSERT_TRUE(client->wait_until_synced(kWait));
  EXPECT_EQ(node_ids(server_.view()), std::vector<std::string>{"n1"});
}

TEST_F(NativeClientTest, RestartWhileOfflineKeepsEditsAndDeliversThemLater) {
  server_.set_reachable(false);
  {
    auto client = open(options("alice", 1));
    client->connect();
    ASSERT_FALSE(client->edit(add_node("n1")));
    ASSERT_FALSE(client->edit([](GraphDoc& doc) { return doc.set_node_data("n1", {{"w", 2}}); }));
    client->stop();
  }
  // Another replica id is offered; the directory keeps its own.
  auto reopened = open(options("alice", 77));
  EXPECT_EQ(reopened->status().outbox_size, 2u);
  reopened->read([](const GraphDoc& doc) { EXPECT_EQ(doc.replica(), ReplicaId{1}); });
  EXPECT_EQ(reopened->view()["nodes"][0]["data"]["w"], 2);

  server_.set_reachable(true);
  reopened->connect();
  ASSERT_TRUE(reopened->wait_until_synced(kWait));
  EXPECT_EQ(server_.view()["nodes"][0]["data"]["w"], 2);
}

TEST_F(NativeClientTest, AcknowledgedEditsLeaveTheOutboxUnacknowledgedOnesAreResent) {
  server_.hold_acks(true);
  {
    auto client = open(options("alice", 1));
    client->connect();
    ASSERT_TRUE(client->wait_until([](const ClientStatus& s) { return s.synced(); }, kWait));
    ASSERT_FALSE(client->edit(add_node("n1")));
    ASSERT_TRUE(eventually([&] { return server_.deltas_received() == 1; }));
    EXPECT_FALSE(client->wait_until_synced(20ms));  // applied by the server, not acknowledged
    client->stop();
  }
  server_.hold_acks(false);
  {
    auto client = open(options("alice", 1));
    EXPECT_EQ(client->status().outbox_size, 1u);  // unacknowledged: kept
    client->connect();
    ASSERT_TRUE(client->wait_until_synced(kWait));  // resent, acknowledged
    EXPECT_EQ(server_.deltas_received(), 2u);
    client->stop();
  }
  auto client = open(options("alice", 1));
  EXPECT_EQ(client->status().outbox_size, 0u);  // the ack was journaled
}

TEST_F(NativeClientTest, StateCallbacksGoOfflineConnectingOnlineAndBackAfterADrop) {
  Recorder recorder;
  auto client = open(options("alice", 1), recorder.callbacks());
  EXPECT_EQ(client->status().state, ConnectionState::offline);
  client->connect();
  ASSERT_TRUE(client->wait_until_synced(kWait));
  EXPECT_EQ(recorder.state_log(),
            (std::vector<ConnectionState>{ConnectionState::connecting, ConnectionState::online}));

  server_.drop_all();
  ASSERT_TRUE(eventually([&] { return recorder.state_log().size() >= 5; }));
  EXPECT_EQ(recorder.state_log(),
            (std::vector<ConnectionState>{ConnectionState::connecting, ConnectionState::online,
                                          ConnectionState::offline, ConnectionState::connecting,
                                          ConnectionState::online}));
  EXPECT_EQ(server_.hellos(), 2u);
}

TEST_F(NativeClientTest, RemoteChangesAreReportedJournaledAndSurviveARestart) {
  Recorder recorder;
  std::atomic<NativeClient*> bob_pointer{nullptr};
  std::atomic<std::size_t> nodes_seen_in_callback{0};
  ClientCallbacks callbacks = recorder.callbacks();
  callbacks.document_changed = [&] {
    ++recorder.document_changes;
    // Reading from a callback runs inline on the client's thread.
    if (NativeClient* bob = bob_pointer.load()) {
      nodes_seen_in_callback = bob->view()["nodes"].size();
    }
  };
  auto alice = open(options("alice", 1));
  auto bob = open(options("bob", 2), callbacks);
  bob_pointer = bob.get();
  alice->connect();
  bob->connect();
  ASSERT_TRUE(alice->wait_until_synced(kWait));
  ASSERT_TRUE(bob->wait_until_synced(kWait));
  const auto changes_before = bob->status().remote_changes;

  ASSERT_FALSE(alice->edit(add_node("n1")));
  ASSERT_TRUE(bob->wait_until(
      [&](const ClientStatus& s) { return s.remote_changes > changes_before; }, kWait));
  EXPECT_EQ(node_ids(bob->view()), std::vector<std::string>{"n1"});
  ASSERT_TRUE(eventually([&] { return nodes_seen_in_callback.load() == 1; }));

  bob_pointer = nullptr;
  bob->stop();
  bob.reset();
  server_.set_reachable(false);
  auto bob_again = open(options("bob", 2));
  EXPECT_EQ(node_ids(bob_again->view()), std::vector<std::string>{"n1"});
  EXPECT_EQ(bob_again->status().outbox_size, 0u);
}

TEST_F(NativeClientTest, PresenceOfOthersIsReportedAndOwnIsIgnored) {
  Recorder alice_log;
  Recorder bob_log;
  auto alice = open(options("alice", 1), alice_log.callbacks());
  auto bob = open(options("bob", 2), bob_log.callbacks());
  ASSERT_FALSE(alice->set_presence({{"cursor", 1}}));  // sent once online
  alice->connect();
  ASSERT_TRUE(alice->wait_until_synced(kWait));
  bob->connect();
  ASSERT_TRUE(bob->wait_until_synced(kWait));

  const std::string alice_id = MemoryServer::user_id_of(ReplicaId{1});
  const std::string bob_id = MemoryServer::user_id_of(ReplicaId{2});
  // Bob hears of Alice, already there, with her state; Alice of Bob joining.
  ASSERT_TRUE(eventually([&] { return bob->peers().contains(alice_id); }));
  EXPECT_EQ(bob->peers().at(alice_id).state, (Json{{"cursor", 1}}));
  EXPECT_EQ(bob->peers().at(alice_id).user.name, "alice");
  EXPECT_EQ(bob->peers().at(alice_id).user.color, "#3366cc");
  ASSERT_TRUE(eventually([&] { return alice->peers().contains(bob_id); }));
  EXPECT_TRUE(alice->peers().at(bob_id).state.is_null());

  ASSERT_FALSE(bob->set_presence({{"cursor", 2}}));
  ASSERT_TRUE(eventually([&] {
    const auto peers = alice->peers();
    return peers.contains(bob_id) && peers.at(bob_id).state == Json{{"cursor", 2}};
  }));

  // A presence about Alice herself (as a server could echo) is not a peer.
  const sync::UserIdentity alice_user{alice_id, "alice", "#3366cc"};
  server_.send_to_all(sync::user_presence_frame(alice_user, Json{{"cursor", 9}}));
  ASSERT_TRUE(eventually([&] { return bob->peers().at(alice_id).state == Json{{"cursor", 9}}; }));
  EXPECT_FALSE(alice->peers().contains(alice_id));

  bob->stop();
  ASSERT_TRUE(eventually([&] { return alice->peers().empty(); }));
  std::vector<PresenceChange> alice_saw;
  for (const PresenceEvent& event : alice_log.presence_log()) {
    EXPECT_EQ(event.user_id, bob_id);
    alice_saw.push_back(event.change);
  }
  EXPECT_EQ(alice_saw, (std::vector<PresenceChange>{PresenceChange::joined, PresenceChange::updated,
                                                    PresenceChange::left}));
}

TEST_F(NativeClientTest, GoingOfflineReportsEveryPeerAsLeft) {
  Recorder alice_log;
  auto alice = open(options("alice", 1), alice_log.callbacks());
  auto bob = open(options("bob", 2));
  alice->connect();
  bob->connect();
  ASSERT_TRUE(eventually([&] { return alice->peers().size() == 1; }));
  server_.set_reachable(false);
  ASSERT_TRUE(eventually([&] { return alice->peers().empty(); }));
  const auto events = alice_log.presence_log();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().change, PresenceChange::left);
}

TEST_F(NativeClientTest, UnauthorizedStopsRetryingAndKeepsTheEdits) {
  server_.refuse_next(sync::ProtocolError::unauthorized, 100);
  auto client = open(options("alice", 1));
  ASSERT_FALSE(client->edit(add_node("n1")));
  client->connect();
  ASSERT_TRUE(client->wait_until(
      [](const ClientStatus& s) { return s.halted && s.state == ConnectionState::offline; },
      kWait));
  EXPECT_FALSE(client->wait_until_synced(10ms));
  const ClientStatus status = client->status();
  EXPECT_EQ(status.halted->code, sync::ProtocolError::unauthorized);
  EXPECT_EQ(status.state, ConnectionState::offline);
  EXPECT_EQ(status.outbox_size, 1u);
  // With 1-20 ms backoff a retrying client would have said hello again.
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(server_.hellos(), 1u);
  ASSERT_FALSE(client->edit(add_node("n2")));  // local edits still work
}

TEST_F(NativeClientTest, ServerBusyIsRetriedWithBackoff) {
  Recorder recorder;
  server_.refuse_next(sync::ProtocolError::server_busy, 3);
  auto client = open(options("alice", 1), recorder.callbacks());
  client->connect();
  ASSERT_TRUE(client->wait_until_synced(kWait));
  EXPECT_EQ(server_.hellos(), 4u);
  std::lock_guard lock(recorder.mutex);
  ASSERT_GE(recorder.errors.size(), 3u);
  EXPECT_EQ(recorder.errors.front().code, sync::ProtocolError::server_busy);
}

TEST_F(NativeClientTest, CompactedStoreReopensWithEverything) {
  ClientOptions compacting = options("alice", 1);
  compacting.compact_journal_bytes = 1;  // compact after every record
  {
    auto client = open(compacting);
    client->connect();
    ASSERT_TRUE(client->wait_until_synced(kWait));
    for (int i = 0; i < 5; ++i)
      ASSERT_FALSE(client->edit(add_node("n" + std::to_string(i))));
    ASSERT_TRUE(client->wait_until_synced(kWait));
    client->stop();
  }
  EXPECT_EQ(fs::file_size(root_ / "alice" / "journal"), 0u);
  auto client = open(options("alice", 1));
  EXPECT_EQ(client->view()["nodes"].size(), 5u);
  EXPECT_EQ(client->status().outbox_size, 0u);
}

TEST_F(NativeClientTest, ABadEditChangesNothing) {
  auto client = open(options("alice", 1));
  auto error = client->edit([](GraphDoc& doc) { return doc.remove_node("missing"); });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, crdt::ErrorCode::not_found);
  EXPECT_EQ(client->status().outbox_size, 0u);
  EXPECT_TRUE(client->view()["nodes"].empty());
}

TEST_F(NativeClientTest, OversizedPresenceIsRefusedLocally) {
  auto client = open(options("alice", 1));
  const Json huge = {{"blob", std::string(sync::limits::kMaxClientPresenceBytes, 'x')}};
  auto error = client->set_presence(huge);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, crdt::ErrorCode::limit_exceeded);
}

TEST_F(NativeClientTest, ADataDirectoryServesOneClientAtATime) {
  auto first = open(options("alice", 1));
  auto second = NativeClient::open(options("alice", 1));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use"), std::string::npos);
  first->stop();
  first.reset();
  EXPECT_TRUE(NativeClient::open(options("alice", 1)).ok());
}

TEST_F(NativeClientTest, ADataDirectoryBelongsToOneWorkspace) {
  open(options("alice", 1))->stop();
  ClientOptions other = options("alice", 1);
  other.workspace_id = "another";
  auto client = NativeClient::open(other);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("ws-test"), std::string::npos);
}

TEST_F(NativeClientTest, StopIsIdempotentAndReadsStillWorkAfterIt) {
  auto client = open(options("alice", 1));
  client->connect();
  ASSERT_TRUE(client->wait_until_synced(kWait));
  ASSERT_FALSE(client->edit(add_node("n1")));
  client->stop();
  client->stop();
  EXPECT_TRUE(client->status().stopped);
  EXPECT_EQ(client->status().state, ConnectionState::offline);
  EXPECT_EQ(node_ids(client->view()), std::vector<std::string>{"n1"});
  EXPECT_EQ(server_.connections(), 0u);
}

}  // namespace
}  // namespace trellis::client
