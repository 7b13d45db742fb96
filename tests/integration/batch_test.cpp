// Batched writes over loopback (docs/protocol.md, `batch`): frames that
// queue up for a client that reads slowly reach it as batches, in order,
// and its replica converges; a client that announced protocol version 1
// gets the same edits one frame each and never a batch.

#include <gtest/gtest.h>

#include <string>

#include "support/server_fixture.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::testing {
namespace {

using namespace std::chrono_literals;

// Bob's edits: each rewrites one field with 8 KiB, so that together (12 MiB)
// they are far more than loopback's socket buffers hold (at most 4 MiB sent
// plus the reader's unread window): most must wait in the server's queue
// while the readers are not reading. Fewer than half the queue's entry cap,
// so that the slow-consumer merge does not start.
constexpr int kEdits = 1500;
constexpr std::size_t kEditBytes = 8 << 10;

auto big_write(int step) {
  return [step](crdt::GraphDoc& doc) {
    return doc.set_node_data(
        "shared", crdt::Json{{"blob", std::string(kEditBytes, static_cast<char>('a' + step % 26))},
                             {"step", step}});
  };
}

TEST(Batch, DeltasQueuedForASlowReaderArriveBatchedAndInOrderButNotForAVersionOneClient) {
  server::ServerConfig config = test_config();
  // Room for the whole backlog: this test is about batching, not about the
  // slow-consumer merge (which would also shrink it).
  config.outbound_queue_bytes = 256u << 20;
  auto server = start_server(config);
  TestClient alice({server->port(), "ws-batch", 1, "alice"});
  TestClientOptions old_options{server->port(), "ws-batch", 3, "carol"};
  old_options.protocol_version = 1;
  TestClient carol(old_options);
  TestClient bob({server->port(), "ws-batch", 2, "bob"});
  ASSERT_TRUE(alice.connect());
  ASSERT_TRUE(carol.connect());
  ASSERT_TRUE(bob.connect());
  ASSERT_TRUE(alice.wait_synced());
  ASSERT_TRUE(carol.wait_synced());
  ASSERT_TRUE(bob.wait_synced());
  ASSERT_TRUE(bob.edit(add_node("shared")));
  ASSERT_TRUE(bob.wait_synced());
  ASSERT_TRUE(alice.run_until([&] { return alice.doc().has_node("shared"); }));
  ASSERT_TRUE(carol.run_until([&] { return carol.doc().has_node("shared"); }));
  const std::size_t alice_frames_before = alice.frames_received();
  const std::size_t carol_frames_before = carol.frames_received();

  // Alice and Carol read nothing while Bob edits: their I/O is not driven.
  for (int step = 0; step < kEdits; ++step) {
    ASSERT_TRUE(bob.edit(big_write(step)));
    if (step % 100 == 99) bob.run_until([] { return false; }, 1ms);
  }
  ASSERT_TRUE(bob.wait_synced(60s)) << "every edit acknowledged";

  auto caught_up = [&](const TestClient& client) {
    return sync::context_includes(client.session().received(), bob.doc().context()) &&
           view_of(client) == view_of(bob);
  };
  ASSERT_TRUE(alice.run_until([&] { return caught_up(alice); }, 60s))
      << "alice got " << alice.frames_received() - alice_frames_before << " frames";
  ASSERT_TRUE(carol.run_until([&] { return caught_up(carol); }, 60s))
      << "carol got " << carol.frames_received() - carol_frames_before << " frames";

  // The last write won on both: the edits arrived in order.
  EXPECT_EQ(view_of(alice)["nodes"][0]["data"]["step"], kEdits - 1);
  EXPECT_EQ(view_of(carol)["nodes"][0]["data"]["step"], kEdits - 1);
  EXPECT_TRUE(alice.errors().empty());
  EXPECT_TRUE(carol.errors().empty());

  const std::size_t alice_frames = alice.frames_received() - alice_frames_before;
  const std::size_t carol_frames = carol.frames_received() - carol_frames_before;
  EXPECT_GT(alice.batches_received(), 0u);
  EXPECT_LT(alice_frames, static_cast<std::size_t>(kEdits))
      << "alice's backlog came in fewer frames than edits";
  EXPECT_EQ(carol.batches_received(), 0u) << "a version 1 client never gets a batch";
  EXPECT_GE(carol_frames, static_cast<std::size_t>(kEdits)) << "one frame per edit for carol";
}

}  // namespace
}  // namespace trellis::testing
