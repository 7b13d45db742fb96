// The field-level mapping of change events onto the CRDT: only what the
// sender changed is written, so concurrent edits of different fields and
// parameters of one node all survive, a stale whole node reverts nothing,
// and keys the sender never saw are not removed.

#include <gtest/gtest.h>

#include <string>

#include "adapters/event_simulation.hpp"
#include "trellis/adapters/event_changes.hpp"
#include "trellis/adapters/event_mapping.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters {
namespace {

using crdt::EntityKind;
using crdt::GraphDoc;
using testkit::SimOptions;
using testkit::SimWorkspace;

const char* kWorkspace = SimWorkspace::kWorkspace;
const auto& box = testkit::box_node;

ClientEvent node_event(ChangeType type, Json node) {
  return NodeChange{type, std::move(node), kWorkspace};
}

GraphDoc applied(GraphDoc& doc, const ClientEvent& change, const SenderBases& bases = {}) {
  auto delta = apply_client_change(doc, change, bases);
  if (!delta) {
    ADD_FAILURE() << delta.error().message;
    return GraphDoc{};
  }
  return std::move(*delta);
}

TEST(EventChanges, ParameterEditsOfTwoClientsOnDifferentKeysBothSurvive) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}, {"b", 1}})));
  applied(server, NodeDataUpdate{"n1", Json{{"a", 2}}, kWorkspace});
  applied(server, NodeDataUpdate{"n1", Json{{"b", 3}}, kWorkspace});
  EXPECT_EQ(crdt::node_view(server, "n1")["data"], (Json{{"a", 2}, {"b", 3}}));
}

TEST(EventChanges, AnUpdateWritesOnlyTheFieldsThatDifferAndNothingWhenNothingDoes) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}})));
  GraphDoc delta = applied(server, node_event(ChangeType::update, box("n1", 5, {{"a", 1}})));
  const auto& fields = delta.nodes().at("n1").fields.entries();
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_EQ(crdt::to_string(fields[0].key), "position");
  EXPECT_TRUE(applied(server, node_event(ChangeType::update, box("n1", 5, {{"a", 1}}))).empty());
}

TEST(EventChanges, WithoutKnowledgeOfTheSenderAbsentKeysAreNotRemovals) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}, {"b", 1}})));
  Json stale = box("n1", 3, {{"a", 1}});
  stale.erase("type");
  applied(server, node_event(ChangeType::update, stale));
  EXPECT_EQ(crdt::node_view(server, "n1"), (Json{{"id", "n1"},
                                                 {"type", "box"},
                                                 {"position", {{"x", 3}, {"y", 0}}},
                                                 {"data", {{"a", 1}, {"b", 1}}}}));
}

TEST(EventChanges, AbsentKeysAreRemovalsOnlyWhenEveryStateTheSenderMayHoldHadThem) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}, {"b", 1}, {"c", 1}})));
  // The sender may hold the node with or without `c` (an event adding it is
  // in flight); it certainly had `b`.
  const SenderBases bases{
      true, {box("n1", 0, {{"a", 1}, {"b", 1}}), box("n1", 0, {{"a", 1}, {"b", 1}, {"c", 1}})}};
  applied(server, node_event(ChangeType::update, box("n1", 0, {{"a", 1}})), bases);
  EXPECT_EQ(crdt::node_view(server, "n1")["data"], (Json{{"a", 1}, {"c", 1}}));
}

TEST(EventChanges, AValueTheSenderMayStillHoldFromBeforeIsStaleNotAnEdit) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 2}})));
  const SenderBases bases{true, {box("n1", 0, {{"a", 1}}), box("n1", 0, {{"a", 2}})}};
  applied(server, node_event(ChangeType::update, box("n1", 7, {{"a", 1}})), bases);
  EXPECT_EQ(crdt::node_view(server, "n1")["data"]["a"], 2);
  EXPECT_EQ(crdt::node_view(server, "n1")["position"]["x"], 7);
}

TEST(EventChanges, AnUpdateOfANodeTheServerNeverKnewAddsIt) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::update, box("n1", 1, {{"a", 1}})));
  EXPECT_EQ(crdt::node_view(server, "n1"), box("n1", 1, {{"a", 1}}));
}

TEST(EventChanges, AnUpdateOrParameterEditOfARemovedNodeIsIgnoredRemoveWins) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}})));
  applied(server, node_event(ChangeType::remove, Json{{"id", "n1"}}));
  EXPECT_TRUE(applied(server, node_event(ChangeType::update, box("n1", 4, {{"a", 1}}))).empty());
  EXPECT_TRUE(applied(server, NodeDataUpdate{"n1", Json{{"a", 9}}, kWorkspace}).empty());
  EXPECT_FALSE(server.has_node("n1"));
}

TEST(EventChanges, AParameterEditOfAnUnknownNodeIsAnErrorAndChangesNothing) {
  GraphDoc server(crdt::ReplicaId{1});
  const GraphDoc before = server;
  auto result = apply_client_change(server, NodeDataUpdate{"ghost", Json{{"a", 1}}, kWorkspace});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "node_data_update: node 'ghost' does not exist");
  EXPECT_EQ(server, before);
}

TEST(EventChanges, AnAddOfAPresentNodeUpdatesTheFieldsThatDiffer) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("n1", 0, {{"a", 1}, {"b", 1}})));
  applied(server, node_event(ChangeType::add, box("n1", 2, {{"a", 5}})));
  EXPECT_EQ(crdt::node_view(server, "n1"), box("n1", 2, {{"a", 5}, {"b", 1}}));
}

TEST(EventChanges, ADeleteRemovesTheNodeWithItsEdges) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("a", 0, Json::object())));
  applied(server, node_event(ChangeType::add, box("b", 0, Json::object())));
  applied(server, EdgeChange{ChangeType::add, Json{{"id", "e1"}, {"source", "a"}, {"target", "b"}},
                             kWorkspace});
  applied(server, node_event(ChangeType::remove, Json{{"id", "b"}}));
  EXPECT_FALSE(server.has_node("b"));
  EXPECT_FALSE(server.has_edge("e1"));
}

TEST(EventChanges, AnEdgeToANodeRemovedMeanwhileIsDropped) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("a", 0, Json::object())));
  EXPECT_TRUE(applied(server, EdgeChange{ChangeType::add,
                                         Json{{"id", "e1"}, {"source", "a"}, {"target", "gone"}},
                                         kWorkspace})
                  .empty());
  EXPECT_FALSE(server.has_edge("e1"));
}

TEST(EventChanges, TouchedByListsWhatADeltaWritesRemovesAndTheEdgesItShowsOrHides) {
  GraphDoc server(crdt::ReplicaId{1});
  applied(server, node_event(ChangeType::add, box("a", 0, Json::object())));
  applied(server, node_event(ChangeType::add, box("b", 0, Json::object())));
  applied(server, EdgeChange{ChangeType::add, Json{{"id", "e1"}, {"source", "a"}, {"target", "b"}},
                             kWorkspace});
  GraphDoc native(crdt::ReplicaId{2});
  native.join(server);

  auto update = native.update_node_fields("a", Json{{"position", {{"x", 9}, {"y", 9}}}});
  const Touched moved = touched_by(server, *update);
  EXPECT_EQ(moved.nodes, std::vector<std::string>{"a"});
  EXPECT_TRUE(moved.edges.empty());

  auto removal = native.remove_node("b");
  const Touched removed = touched_by(server, *removal);
  EXPECT_EQ(removed.nodes, std::vector<std::string>{"b"});
  EXPECT_EQ(removed.edges, std::vector<std::string>{"e1"});
}

// The same rules through the shadows of two simulated seed clients.

SimWorkspace synced_pair() {
  SimWorkspace workspace(SimOptions{2, false, false});
  for (std::size_t c = 0; c < 2; ++c) {
    workspace.join(c);
    workspace.deliver_all(c);
  }
  workspace.add_node(0, box("n1", 0, {{"a", 1}, {"b", 1}}));
  workspace.process_all(0);
  workspace.deliver_all(1);
  return workspace;
}

void move_to(Json& node, int x) {
  node["position"] = {{"x", x}, {"y", 0}};
}

// Alice's edit reaches the server, then Bob, who has not received it, moves
// the node and sends it whole.
Json after_stale_move(SimWorkspace& workspace, int x) {
  workspace.process_all(0);
  workspace.update_node(1, "n1", [x](Json& node) { move_to(node, x); });
  workspace.process_all(1);
  Json result = crdt::node_view(workspace.server, "n1");
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
  return result;
}

TEST(EventChanges, TwoClientsEditingDifferentFieldsOfOneNodeWithWholeNodesKeepBoth) {
  SimWorkspace workspace = synced_pair();
  // Concurrently: Alice moves the node, Bob edits parameter b; both send
  // their whole node, each stale in the other's field.
  workspace.update_node(0, "n1", [](Json& node) { move_to(node, 40); });
  workspace.update_node(1, "n1", [](Json& node) { node["data"]["b"] = 7; });
  workspace.process_all(0);
  workspace.process_all(1);
  EXPECT_EQ(crdt::node_view(workspace.server, "n1"), box("n1", 40, {{"a", 1}, {"b", 7}}));
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventChanges, AStaleWholeNodeDoesNotRevertAParameterEditedMeanwhile) {
  SimWorkspace workspace = synced_pair();
  workspace.update_data(0, "n1", Json{{"a", 5}});
  // Bob's whole node still says a=1.
  EXPECT_EQ(after_stale_move(workspace, 12), box("n1", 12, {{"a", 5}, {"b", 1}}));
}

TEST(EventChanges, AKeyAnotherUserJustAddedSurvivesAWholeNodeThatLacksIt) {
  SimWorkspace workspace = synced_pair();
  workspace.update_data(0, "n1", Json{{"c", 1}});
  EXPECT_EQ(after_stale_move(workspace, 3), box("n1", 3, {{"a", 1}, {"b", 1}, {"c", 1}}));
}

TEST(EventChanges, AKeyTheSenderCertainlyHadAndDroppedIsRemoved) {
  SimWorkspace workspace = synced_pair();
  workspace.ping(1);
  workspace.deliver_all(1);
  workspace.process_all(1);  // the pong: the server knows Bob's store exactly
  workspace.update_node(1, "n1", [](Json& node) { node["data"].erase("b"); });
  workspace.process_all(1);
  EXPECT_EQ(crdt::node_view(workspace.server, "n1")["data"], (Json{{"a", 1}}));
  EXPECT_TRUE(workspace.pending(1).empty());
  workspace.deliver_all(0);
  EXPECT_EQ(workspace.divergence(), "");
}

}  // namespace
}  // namespace trellis::adapters
