// WorkspaceReplica's catch-up for a fresh client (an empty context) is the
// state's encoding, kept between joins: these tests prove it never serves a
// state older than the replica's, whichever way the replica changed.

#include <gtest/gtest.h>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/sync/transaction.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::sync {
namespace {

using crdt::GraphDoc;

constexpr ReplicaId kServerReplica{1000};
constexpr ReplicaId kAliceReplica{1};

Json box_node(const std::string& id) {
  return Json{{"id", id}, {"type", "box"}, {"position", {{"x", 0}, {"y", 0}}}};
}

// What a fresh client holds after joining the catch-up.
GraphDoc fresh_join(const WorkspaceReplica& workspace) {
  GraphDoc fresh(ReplicaId{77});
  auto catch_up = crdt::decode(workspace.catch_up_for(CausalContext{}));
  EXPECT_TRUE(catch_up.ok());
  if (catch_up) fresh.join(*catch_up);
  return fresh;
}

DeltaMessage client_edit(GraphDoc& client, const std::string& id) {
  auto delta = client.add_node(box_node(id));
  EXPECT_TRUE(delta.ok());
  DeltaMessage message{crdt::encode(*delta), {}};
  message.covers.insert(transaction_dot(*delta, client.replica()).value());
  return message;
}

TEST(WorkspaceReplica, AFreshClientsCatchUpIncludesEveryDeltaAppliedSinceTheLastJoin) {
  WorkspaceReplica workspace(kServerReplica);
  GraphDoc alice(kAliceReplica);
  ASSERT_TRUE(workspace.apply(client_edit(alice, "n1"), kAliceReplica).value());
  EXPECT_EQ(crdt::graph_view(fresh_join(workspace)), crdt::graph_view(workspace.doc()));

  ASSERT_TRUE(workspace.apply(client_edit(alice, "n2"), kAliceReplica).value());
  const GraphDoc second = fresh_join(workspace);
  EXPECT_EQ(second.nodes().size(), 2u) << "the join after n2 was served the state before it";
  EXPECT_EQ(crdt::graph_view(second), crdt::graph_view(workspace.doc()));
}

TEST(WorkspaceReplica, AFreshClientsCatchUpIncludesTheServersOwnEdits) {
  WorkspaceReplica workspace(kServerReplica);
  EXPECT_TRUE(fresh_join(workspace).empty());
  ASSERT_TRUE(workspace.edit([](GraphDoc& doc) { return doc.add_node(box_node("s1")); }));
  const GraphDoc joined = fresh_join(workspace);
  EXPECT_EQ(joined.nodes().size(), 1u) << "the server's edit is missing from the catch-up";
  EXPECT_EQ(crdt::graph_view(joined), crdt::graph_view(workspace.doc()));
}

TEST(WorkspaceReplica, ADuplicateDeltaLeavesTheCatchUpAsItWas) {
  WorkspaceReplica workspace(kServerReplica);
  GraphDoc alice(kAliceReplica);
  const DeltaMessage edit = client_edit(alice, "n1");
  ASSERT_TRUE(workspace.apply(edit, kAliceReplica).value());
  const Bytes before = workspace.catch_up_for(CausalContext{});
  EXPECT_FALSE(workspace.apply(edit, kAliceReplica).value());
  EXPECT_EQ(workspace.catch_up_for(CausalContext{}), before);
}

}  // namespace
}  // namespace trellis::sync
