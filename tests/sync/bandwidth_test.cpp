// Anti-entropy sends what the other side lacks, not the document: on a
// 10,000-node document, a client that was offline while it made 10 edits
// and others made 10 resyncs with a few kilobytes each way. A client that
// was away longer than the server's DeltaLog remembers still converges,
// through GraphDoc::delta_since. The byte counts are printed.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdio>
#include <string>

#include "crdt/crdt_testing.hpp"
#include "sync/support/sync_network.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::sync::testkit {
namespace {

using crdt::GraphDoc;
using crdt::testing::applied;

constexpr std::size_t kNodeCount = 10000;
constexpr std::size_t kEdgeCount = 3000;
constexpr std::size_t kEditsEachSide = 10;
// Measured: 488 bytes client -> server (hello 33, ten deltas 455) and 449
// bytes server -> client (welcome 379, ten acks 70), against a document of
// 926,035 bytes. The bound leaves four times that for encoding changes.
constexpr std::size_t kResyncBoundBytes = 2048;

std::string node_id(std::size_t i) {
  char id[16];
  std::snprintf(id, sizeof id, "node-%05zu", i);
  return id;
}

// Nodes with a type, a position and five data keys, and edges between them,
// each added by its own transaction of one author replica.
GraphDoc large_document() {
  GraphDoc doc(ReplicaId{500});
  for (std::size_t i = 0; i < kNodeCount; ++i) {
    (void)applied(doc.add_node(
        Json{{"id", node_id(i)},
             {"type", i % 10 == 0 ? "group" : "default"},
             {"position", {{"x", static_cast<double>(i % 100) * 180.5}, {"y", (i / 100) * 90}}},
             {"data",
              {{"label", "Step " + std::to_string(i)},
               {"kind", i % 3 == 0 ? "filter" : "transform"},
               {"weight", static_cast<double>(i) * 0.25},
               {"enabled", i % 2 == 0},
               {"tags", {"etl", "stage-" + std::to_string(i % 7)}}}}}));
  }
  for (std::size_t j = 0; j < kEdgeCount; ++j) {
    (void)applied(doc.add_edge(Json{{"id", "edge-" + std::to_string(j)},
                                    {"source", node_id((j * 3) % kNodeCount)},
                                    {"target", node_id((j * 7 + 1) % kNodeCount)},
                                    {"type", "smoothstep"}}));
  }
  return doc;
}

// The `round`-th edit of a client: moves, data writes, a new node and edge,
// and a removal, spread over the document (`offset` keeps clients apart).
crdt::Result<GraphDoc> typical_edit(GraphDoc& doc, std::size_t round, std::size_t offset) {
  const std::string id = node_id((round * 97 + offset) % kNodeCount);
  switch (round % 5) {
    case 0:
      return doc.update_node_fields(id, Json{{"position", {{"x", 12.5 * round}, {"y", 40}}}});
    case 1:
      return doc.set_node_data(id, Json{{"label", "renamed " + std::to_string(round)}});
    case 2:
      return doc.add_node(
          Json{{"id", "new-" + std::to_string(offset) + "-" + std::to_string(round)},
               {"type", "default"},
               {"position", {{"x", 1}, {"y", 2}}},
               {"data", {{"label", "fresh"}}}});
    case 3:
      return doc.add_edge(
          Json{{"id", "new-edge-" + std::to_string(offset) + "-" + std::to_string(round)},
               {"source", id},
               {"target", node_id((round * 31 + offset + 1) % kNodeCount)}});
    default:
      return doc.remove_node(node_id((round * 53 + offset + 5000) % kNodeCount));
  }
}

void edit(SyncNetwork& network, std::size_t client, std::size_t round, std::size_t offset) {
  auto result =
      network.edit(client, [&](GraphDoc& doc) { return typical_edit(doc, round, offset); });
  ASSERT_TRUE(result.ok()) << "client " << client << " edit " << round << ": "
                           << result.error().message;
}

std::size_t of(const Traffic& traffic, MessageType type) {
  return traffic.bytes[static_cast<std::size_t>(type)];
}
std::size_t frames_of(const Traffic& traffic, MessageType type) {
  return traffic.frames[static_cast<std::size_t>(type)];
}

Traffic minus(const Traffic& after, const Traffic& before) {
  Traffic out;
  for (std::size_t i = 0; i < out.bytes.size(); ++i) {
    out.frames[i] = after.frames[i] - before.frames[i];
    out.bytes[i] = after.bytes[i] - before.bytes[i];
  }
  return out;
}

void expect_every_client_holds_the_server_state(const SyncNetwork& network) {
  const GraphDoc& server = network.workspace().doc();
  for (const auto& client : network.clients()) {
    EXPECT_TRUE(client.session.doc() == server)
        << "client r" << client.replica.value << " differs from the server";
  }
  EXPECT_TRUE(network.violations().empty()) << network.violations().front();
}

struct Resync {
  Traffic sent;      // client -> server
  Traffic received;  // server -> client
};

// Client 0 starts empty and syncs the document; clients 1 and 2 start with
// it on disk. Client 0 goes offline, makes 10 edits while clients 1 and 2
// make 10 through the server, and reconnects. Returns client 0's traffic
// during the reconnect.
Resync resync_after_offline_edits(SyncNetwork& network) {
  network.connect(0);
  EXPECT_TRUE(network.settle());
  const std::size_t initial = of(network.client(0).received, MessageType::welcome);
  std::printf("[ measure  ] initial sync of an empty client: welcome of %zu bytes\n", initial);

  network.drop(0, false);
  for (std::size_t round = 0; round < kEditsEachSide; ++round) {
    edit(network, 1 + round % 2, round, 1 + round % 2);
  }
  EXPECT_TRUE(network.run_until_quiet());
  for (std::size_t round = 0; round < kEditsEachSide; ++round)
    edit(network, 0, round, 0);

  const Traffic sent_before = network.client(0).sent;
  const Traffic received_before = network.client(0).received;
  EXPECT_TRUE(network.settle());
  return Resync{minus(network.client(0).sent, sent_before),
                minus(network.client(0).received, received_before)};
}

void print(const char* what, const Resync& resync) {
  std::printf(
      "[ measure  ] %s\n"
      "[ measure  ]   client -> server: %zu bytes (hello %zu, %zu deltas %zu)\n"
      "[ measure  ]   server -> client: %zu bytes (welcome %zu, %zu acks %zu, %zu deltas %zu)\n",
      what, resync.sent.total_bytes(), of(resync.sent, MessageType::hello),
      frames_of(resync.sent, MessageType::delta), of(resync.sent, MessageType::delta),
      resync.received.total_bytes(), of(resync.received, MessageType::welcome),
      frames_of(resync.received, MessageType::ack), of(resync.received, MessageType::ack),
      frames_of(resync.received, MessageType::delta), of(resync.received, MessageType::delta));
}

std::vector<ClientDisk> disks(const GraphDoc& document) {
  return {disk_in_sync_with(GraphDoc{}), disk_in_sync_with(document), disk_in_sync_with(document)};
}

TEST(Bandwidth, ResyncAfterTenOfflineEditsEachSideCostsAFewKilobytesNotTheDocument) {
  const GraphDoc document = large_document();
  const std::size_t document_bytes = crdt::encode(document).size();
  std::printf("[ measure  ] document: %zu nodes, %zu edges, %zu bytes encoded\n", kNodeCount,
              kEdgeCount, document_bytes);

  SyncNetwork network(WorkspaceReplica(ReplicaId{SyncNetwork::kServerReplica}, document),
                      disks(document), NetworkOptions{false});
  const Resync resync = resync_after_offline_edits(network);
  print("resync after 10 offline edits each side, served from the delta log:", resync);

  EXPECT_EQ(frames_of(resync.sent, MessageType::hello), 1u);
  EXPECT_EQ(frames_of(resync.sent, MessageType::delta), kEditsEachSide);
  EXPECT_EQ(frames_of(resync.received, MessageType::welcome), 1u);
  EXPECT_LT(of(resync.sent, MessageType::hello) + of(resync.sent, MessageType::delta),
            kResyncBoundBytes);
  EXPECT_LT(of(resync.received, MessageType::welcome), kResyncBoundBytes);
  EXPECT_LT(resync.sent.total_bytes(), kResyncBoundBytes);
  EXPECT_LT(resync.received.total_bytes(), kResyncBoundBytes);
  EXPECT_EQ(network.stats().fallback_catch_ups, 1u) << "only the initial sync of client 0";
  EXPECT_TRUE(network.client(0).session.outbox().empty());
  expect_every_client_holds_the_server_state(network);
}

TEST(Bandwidth, ClientBehindTheDeltaLogHorizonConvergesThroughTheFallback) {
  const GraphDoc document = large_document();
  const std::size_t document_bytes = crdt::encode(document).size();
  // A log of 64 bytes keeps no delta: every catch-up is delta_since.
  SyncNetwork network(WorkspaceReplica(ReplicaId{SyncNetwork::kServerReplica}, document, 64),
                      disks(document), NetworkOptions{false});
  const Resync resync = resync_after_offline_edits(network);
  print("resync after 10 offline edits each side, past the delta log's horizon:", resync);

  EXPECT_EQ(network.stats().fallback_catch_ups, 2u) << "client 0's initial sync and its resync";
  // delta_since sends the ids and dots of every present entity, but none of
  // the fields the client has: far less than the document.
  EXPECT_LT(of(resync.received, MessageType::welcome), document_bytes / 2);
  EXPECT_LT(of(resync.sent, MessageType::hello) + of(resync.sent, MessageType::delta),
            kResyncBoundBytes);
  expect_every_client_holds_the_server_state(network);
  EXPECT_EQ(crdt::graph_view(network.client(0).session.doc()),
            crdt::graph_view(network.workspace().doc()));
}

}  // namespace
}  // namespace trellis::sync::testkit
