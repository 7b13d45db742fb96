// ClientShadow in the situations the seed's users meet: a drag is never
// echoed, parameter edits travel as node_data_update, corrections reach a
// client only when its store may differ from the view, edges hidden with
// their endpoint come back with it, and a refused change is undone at its
// sender.

#include <gtest/gtest.h>

#include <string>

#include "adapters/event_simulation.hpp"
#include "trellis/adapters/event_shadow.hpp"
#include "trellis/adapters/socketio.hpp"
#include "trellis/adapters/sync_snapshot.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters {
namespace {

using testkit::SimOptions;
using testkit::SimWorkspace;

// Clients joined, synced and pinged: the server knows every store exactly.
SimWorkspace settled_workspace(std::size_t clients) {
  SimWorkspace workspace(SimOptions{clients, false, false});
  for (std::size_t c = 0; c < clients; ++c) {
    workspace.join(c);
    workspace.ping(c);
    workspace.deliver_all(c);
    workspace.process_all(c);
  }
  return workspace;
}

void add_node(SimWorkspace& workspace, std::size_t c, const Json& node) {
  workspace.add_node(c, node);
  workspace.process_all(c);
}

// Alice's nodes a and b, known to everyone.
SimWorkspace two_nodes(std::size_t clients) {
  SimWorkspace workspace = settled_workspace(clients);
  add_node(workspace, 0, testkit::box_node("a", 0, Json::object()));
  add_node(workspace, 0, testkit::box_node("b", 0, Json::object()));
  for (std::size_t c = 1; c < clients; ++c)
    workspace.deliver_all(c);
  return workspace;
}

const Json kLink{{"id", "e1"}, {"source", "a"}, {"target", "b"}};

TEST(EventShadow, AWorkspaceSyncCarriesTheViewInTheSeedsShape) {
  SimWorkspace workspace = settled_workspace(1);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}}));
  ClientShadow shadow("u9");
  const OutgoingEvent sync = shadow.sync(workspace.server, Json::array({Json{{"id", "u9"}}}),
                                         Json{{"id", "u9"}, {"username", "Zoe"}}, "w1");
  EXPECT_EQ(sync.name, "workspace_sync");
  EXPECT_EQ(sync.payload["nodes"], Json::array({testkit::box_node("n1", 0, {{"a", 1}})}));
  EXPECT_EQ(sync.payload["edges"], Json::array());
  EXPECT_EQ(sync.payload["currentUser"]["username"], "Zoe");
  EXPECT_EQ(sync.payload["workspaceId"], "w1");
  EXPECT_EQ(shadow.events_sent(), 1u);
}

void mutate(crdt::GraphDoc& doc, Mutation::Op op, const std::string& id, Json value = nullptr) {
  auto applied = apply_mutation(doc, Mutation{op, id, std::move(value), {}});
  EXPECT_TRUE(applied) << (applied ? "" : applied.error().message);
}

crdt::GraphDoc doc_with(const std::vector<Json>& nodes, const std::vector<Json>& edges) {
  crdt::GraphDoc doc{crdt::ReplicaId{7}};
  for (const Json& node : nodes)
    mutate(doc, Mutation::Op::add_node, node["id"], node);
  for (const Json& edge : edges)
    mutate(doc, Mutation::Op::add_edge, edge["id"], edge);
  return doc;
}

TEST(SyncSnapshot, ItsTextIsTheEncodingOfItsEventByteForByte) {
  Json odd = testkit::box_node("n\"2", 1, {{"label", "caf\u00e9 \"q\" \n\t<>"}, {"k", nullptr}});
  odd["parentId"] = "p";
  const crdt::GraphDoc doc = doc_with(
      {testkit::box_node("n1", 0, {{"a", 1}}), odd, testkit::box_node("p", 0, Json::object())},
      {Json{{"id", "e1"}, {"source", "n1"}, {"target", "n\"2"}},
       Json{{"id", "e2"}, {"source", "n1"}, {"target", "p"}, {"label", "x"}}});
  const SyncSnapshot snapshot(doc);
  const Json users = Json::array({Json{{"id", "u1"}, {"color", "#f00"}}});
  const Json user{{"id", "u1"}, {"username", "Zo\u00eb"}};
  const OutgoingEvent event = snapshot.event(users, "w\"1", user);
  EXPECT_EQ(event.payload["nodes"], crdt::nodes_view(doc));
  EXPECT_EQ(event.payload["edges"], crdt::edges_view(doc));
  EXPECT_EQ(snapshot.event_text(users, "w\"1", user),
            encode_event_text("workspace_sync", event.payload));
  {
    // A byte to spare for the Engine.IO type, so that nothing copies it.
    const std::string text = snapshot.event_text(Json::array(), "w1", Json{{"id", "u1"}});
    EXPECT_GT(text.capacity(), text.size());
  }
  const SyncSnapshot empty(crdt::GraphDoc{crdt::ReplicaId{8}});
  EXPECT_EQ(
      empty.event_text(Json::array(), "w", Json::object()),
      encode_event_text("workspace_sync", empty.event(Json::array(), "w", Json::object()).payload));
}

TEST(SyncSnapshot, ItsStoreFindsEntitiesByIdAndEdgesByEitherEnd) {
  const crdt::GraphDoc doc = doc_with(
      {testkit::box_node("b", 0, Json::object()), testkit::box_node("a", 0, Json::object()),
       testkit::box_node("c", 0, Json::object())},
      {Json{{"id", "e2"}, {"source", "b"}, {"target", "a"}}, kLink,
       Json{{"id", "loop"}, {"source", "c"}, {"target", "c"}}});
  const SyncSnapshot snapshot(doc);
  const SyncSnapshot::Store& store = *snapshot.store();
  for (const auto& node : snapshot.nodes())
    EXPECT_EQ(store.find(crdt::EntityKind::node, node.id), &node);
  for (const auto& edge : snapshot.edges())
    EXPECT_EQ(store.find(crdt::EntityKind::edge, edge.id), &edge);
  EXPECT_EQ(store.find(crdt::EntityKind::node, "e1"), nullptr);
  EXPECT_EQ(store.find(crdt::EntityKind::edge, "a"), nullptr);
  EXPECT_EQ(store.find(crdt::EntityKind::node, "zz"), nullptr);
  EXPECT_EQ(store.edges_attached("a"), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(store.edges_attached("b"), (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(store.edges_attached("c"), (std::vector<std::string>{"loop"}));
  EXPECT_TRUE(store.edges_attached("d").empty());
  // The shadows keep the store; it outlives the snapshot and its text.
  std::shared_ptr<const SyncSnapshot::Store> kept;
  {
    const SyncSnapshot temporary(doc);
    kept = temporary.store();
  }
  EXPECT_EQ(kept->nodes().size(), 3u);
}

TEST(SyncSnapshot, ABuildFromThePreviousSharesWhatDidNotChangeAndEncodesWhatDid) {
  crdt::GraphDoc doc = doc_with(
      {testkit::box_node("a", 0, Json::object()), testkit::box_node("b", 0, Json::object()),
       testkit::box_node("c", 0, Json::object())},
      {Json{{"id", "e1"}, {"source", "a"}, {"target", "b"}}});
  const SyncSnapshot first(doc);
  mutate(doc, Mutation::Op::set_node_data, "b", Json{{"w", 5}});
  mutate(doc, Mutation::Op::remove_node, "c");
  mutate(doc, Mutation::Op::add_node, "d", testkit::box_node("d", 2, Json::object()));
  const SyncSnapshot next(doc, &first);
  const SyncSnapshot fresh(doc);
  ASSERT_EQ(next.nodes().size(), 3u);
  EXPECT_EQ(next.nodes()[0].object.get(), first.nodes()[0].object.get()) << "a is unchanged";
  EXPECT_NE(next.nodes()[1].object.get(), first.nodes()[1].object.get()) << "b changed";
  EXPECT_EQ(next.edges()[0].object.get(), first.edges()[0].object.get());
  // The same view and the same text as a snapshot built from nothing.
  EXPECT_EQ(next.nodes_text(), fresh.nodes_text());
  EXPECT_EQ(next.edges_text(), fresh.edges_text());
  EXPECT_EQ(Json::parse(next.nodes_text()), crdt::nodes_view(doc));
  for (std::size_t i = 0; i < next.nodes().size(); ++i) {
    const auto& entity = next.nodes()[i];
    EXPECT_EQ(*entity.object, crdt::nodes_view(doc)[i]);
    EXPECT_EQ(Json::parse(next.nodes_text().substr(entity.text_offset, entity.text_size)),
              *entity.object);
  }
}

TEST(EventShadow, ASyncRecordedFromASnapshotRemovesWhatTheViewNoLongerHolds) {
  SimWorkspace workspace = settled_workspace(1);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}}));
  add_node(workspace, 0, testkit::box_node("n2", 0, {{"a", 1}}));
  ClientShadow shadow("u9");
  shadow.record_sync(SyncSnapshot(workspace.server));
  mutate(workspace.server, Mutation::Op::remove_node, "n2");
  shadow.record_sync(SyncSnapshot(workspace.server));
  EXPECT_EQ(shadow.events_sent(), 2u);
  shadow.acknowledge(2);
  EXPECT_EQ(shadow.uncertain_entities(), 0u);
  // The store lacks n2 since the second sync: its return is a plain add.
  mutate(workspace.server, Mutation::Op::add_node, "n2", testkit::box_node("n2", 3, {{"a", 2}}));
  Touched touched;
  touched.add(crdt::EntityKind::node, "n2");
  const auto events = shadow.events_for(workspace.server, touched, "someone");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "node_change");
  EXPECT_EQ(events[0].payload["type"], "add");
  EXPECT_EQ(events[0].payload["node"], testkit::box_node("n2", 3, {{"a", 2}}));
}

// A workspace of nodes a and b linked by e1, and a shadow synced to it whose
// client has answered the ping after the sync.
struct JoinedShadow {
  crdt::GraphDoc doc = doc_with(
      {testkit::box_node("a", 0, {{"k", 1}}), testkit::box_node("b", 0, Json::object())}, {kLink});
  ClientShadow shadow{"u9"};
  JoinedShadow() {
    shadow.record_sync(SyncSnapshot(doc));
    shadow.acknowledge(shadow.events_sent());
  }
};

TEST(EventShadow, AJoinKeepsNoRecordPerEntityAndAnEditKeepsOneForWhatItChanged) {
  JoinedShadow joined;
  EXPECT_EQ(joined.shadow.records_held(), 0u);
  EXPECT_EQ(joined.shadow.uncertain_entities(), 0u);
  // The store holds a as the sync showed it: a parameter edit travels as a
  // patch of the changed key, not as the whole node.
  mutate(joined.doc, Mutation::Op::set_node_data, "a", Json{{"k", 2}});
  Touched touched;
  touched.add(crdt::EntityKind::node, "a");
  EXPECT_EQ(joined.shadow.events_for(joined.doc, touched, "someone"),
            (std::vector<OutgoingEvent>{node_data_update_event("a", Json{{"k", 2}}, "someone")}));
  joined.shadow.acknowledge(joined.shadow.events_sent());
  EXPECT_EQ(joined.shadow.records_held(), 1u);
  // A sync of the document as it now is says what the record says: after its
  // pong the record goes.
  joined.shadow.record_sync(SyncSnapshot(joined.doc));
  joined.shadow.acknowledge(joined.shadow.events_sent());
  EXPECT_EQ(joined.shadow.records_held(), 0u);
  EXPECT_TRUE(joined.shadow.events_for(joined.doc, touched, "someone").empty());
}

TEST(EventShadow, ANodeDeleteDropsTheEdgesTheSyncShowedWithoutAnEventOfTheirOwn) {
  JoinedShadow joined;
  mutate(joined.doc, Mutation::Op::remove_node, "a");
  ASSERT_TRUE(crdt::edge_view(joined.doc, "e1").is_null());
  Touched touched;
  touched.add(crdt::EntityKind::node, "a");
  touched.add(crdt::EntityKind::edge, "e1");
  // The seed store drops e1 with a: no edge delete follows the node's.
  const auto events = joined.shadow.events_for(joined.doc, touched, "someone");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "node_change");
  EXPECT_EQ(events[0].payload["type"], "delete");
}

TEST(EventShadow, AClientsOwnNodeDeleteTakesTheSyncedEdgesWithItUncorrected) {
  JoinedShadow joined;
  const ChangeOutcome outcome = joined.shadow.receive_change(
      joined.doc, ClientEvent{NodeChange{ChangeType::remove, Json{{"id", "a"}}}});
  EXPECT_FALSE(outcome.error);
  EXPECT_TRUE(outcome.to_sender.empty());
  EXPECT_TRUE(crdt::edge_view(joined.doc, "e1").is_null());
  // The server knows the store holds neither: their return is a plain add
  // each, no delete first.
  mutate(joined.doc, Mutation::Op::add_node, "a", testkit::box_node("a", 4, Json::object()));
  if (!joined.doc.has_edge("e1")) mutate(joined.doc, Mutation::Op::add_edge, "e1", kLink);
  ASSERT_EQ(crdt::edge_view(joined.doc, "e1"), kLink);
  Touched touched;
  touched.add(crdt::EntityKind::node, "a");
  touched.add(crdt::EntityKind::edge, "e1");
  joined.shadow.acknowledge(joined.shadow.events_sent());
  EXPECT_EQ(
      joined.shadow.events_for(joined.doc, touched, "someone"),
      (std::vector<OutgoingEvent>{
          node_change_event(ChangeType::add, testkit::box_node("a", 4, Json::object()), "someone"),
          edge_change_event(ChangeType::add, kLink, "someone")}));
}

TEST(EventShadow, ADragOfANodeSomeoneElseCreatedIsNeverEchoed) {
  SimWorkspace workspace = settled_workspace(2);
  add_node(workspace, 1, testkit::box_node("n1", 0, {{"a", 1}}));
  workspace.deliver_all(0);
  const std::size_t before = workspace.clients[0].model_events;
  for (int x = 1; x <= 20; ++x) {
    workspace.update_node(0, "n1", [x](Json& node) { node["position"] = {{"x", x}, {"y", 0}}; });
    if (x % 3 == 0) workspace.process_all(0);  // the server lags behind the drag
  }
  workspace.process_all(0);
  EXPECT_TRUE(workspace.pending(0).empty());
  EXPECT_EQ(workspace.clients[0].model_events, before);
  EXPECT_EQ(workspace.clients[0].shadow.uncertain_entities(), 0u);
  workspace.deliver_all(1);
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, ParameterEditsReachOthersAsNodeDataUpdatesOfTheChangedKeys) {
  SimWorkspace workspace = settled_workspace(2);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}, {"b", 1}}));
  workspace.deliver_all(1);
  workspace.update_data(0, "n1", Json{{"a", 2}});
  // The same kind of edit, sent as a whole node.
  workspace.update_node(0, "n1", [](Json& node) { node["data"]["b"] = 3; });
  workspace.process_all(0);
  EXPECT_EQ(workspace.pending(1),
            (std::vector<OutgoingEvent>{node_data_update_event("n1", Json{{"a", 2}}, "user0"),
                                        node_data_update_event("n1", Json{{"b", 3}}, "user0")}));
  EXPECT_TRUE(workspace.pending(0).empty());
}

TEST(EventShadow, AMoveByAnotherUserReachesOthersAsAnUpdateOfTheWholeNode) {
  SimWorkspace workspace = settled_workspace(2);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}}));
  workspace.deliver_all(1);
  workspace.update_node(0, "n1", [](Json& node) { node["position"] = {{"x", 8}, {"y", 0}}; });
  workspace.process_all(0);
  EXPECT_EQ(workspace.pending(1),
            (std::vector<OutgoingEvent>{node_change_event(
                ChangeType::update, testkit::box_node("n1", 8, {{"a", 1}}), "user0")}));
}

TEST(EventShadow, ConcurrentParameterEditsOfOneKeyEndWithTheLaterEverywhere) {
  SimWorkspace workspace = settled_workspace(2);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}}));
  workspace.deliver_all(1);
  workspace.update_data(0, "n1", Json{{"a", 2}});
  workspace.update_data(1, "n1", Json{{"a", 3}});
  workspace.process_all(0);
  workspace.process_all(1);
  EXPECT_EQ(crdt::node_view(workspace.server, "n1")["data"]["a"], 3);
  // Alice's a=2 reaches Bob after his own a=3: the server sends a=3 again.
  EXPECT_EQ(workspace.pending(1).back(),
            node_data_update_event("n1", Json{{"a", 3}}, kServerUserId));
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, AnEdgeHiddenWithItsEndpointIsSentAgainWhenTheEndpointReturns) {
  SimWorkspace workspace = two_nodes(2);
  while (workspace.native_receive()) {
  }
  // Alice deletes b while the native replica, not knowing, links a to b.
  workspace.remove_node(0, "b");
  workspace.process_all(0);
  auto link = workspace.native.add_edge(kLink);
  ASSERT_TRUE(link.ok());
  workspace.from_native.push_back(*link);
  workspace.process_native();
  EXPECT_TRUE(workspace.server.has_edge("e1"));
  EXPECT_TRUE(crdt::edge_view(workspace.server, "e1").is_null());
  // Someone brings b back: the edge shows again, and the stores get it.
  while (workspace.native_receive()) {
  }
  auto back = workspace.native.add_node(testkit::box_node("b", 5, Json::object()));
  ASSERT_TRUE(back.ok());
  workspace.from_native.push_back(*back);
  workspace.process_native();
  for (std::size_t c = 0; c < 2; ++c) {
    const auto events = workspace.pending(c);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back(), edge_change_event(ChangeType::add, kLink, "native"));
  }
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, AnEdgeDrawnToANodeDeletedMeanwhileDisappearsWithoutACorrection) {
  SimWorkspace workspace = two_nodes(2);
  workspace.remove_node(0, "b");
  workspace.process_all(0);
  // Bob links a to b before the delete reaches him; his store drops the
  // edge when it does, so the server has nothing to correct.
  workspace.add_edge(1, kLink);
  workspace.process_all(1);
  EXPECT_FALSE(workspace.server.has_edge("e1"));
  EXPECT_EQ(workspace.pending(1), (std::vector<OutgoingEvent>{node_change_event(
                                      ChangeType::remove, Json{{"id", "b"}}, "user0")}));
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, ARefusedChangeIsUndoneAtItsSenderAndChangesNothingElse) {
  SimWorkspace workspace = two_nodes(2);
  const crdt::GraphDoc before = workspace.server;
  Json oversized = testkit::box_node("n1", 0, Json::object());
  oversized["label"] = std::string(event_limits::kMaxEntityBytes, 'x');
  workspace.add_node(0, oversized);
  workspace.process_all(0);
  EXPECT_EQ(workspace.server, before);
  EXPECT_EQ(workspace.refusals, 1u);
  EXPECT_EQ(workspace.pending(0), (std::vector<OutgoingEvent>{node_change_event(
                                      ChangeType::remove, Json{{"id", "n1"}}, kServerUserId)}));
  EXPECT_TRUE(workspace.pending(1).empty());
  workspace.deliver_all(0);
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, EventsInFlightLeaveTheShadowUncertainUntilAPongArrives) {
  SimWorkspace workspace = settled_workspace(2);
  add_node(workspace, 1, testkit::box_node("n1", 0, {{"a", 1}}));
  auto& alice = workspace.clients[0];
  // Alice may or may not have applied the add of n1 yet.
  EXPECT_EQ(alice.shadow.uncertain_entities(), 1u);
  workspace.ping(0);
  workspace.deliver_all(0);
  workspace.process_all(0);
  EXPECT_EQ(alice.shadow.uncertain_entities(), 0u);
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(EventShadow, AClientFarBehindOnOneNodeStillConverges) {
  SimWorkspace workspace = two_nodes(2);
  // Bob edits node a far more often than a record keeps frontiers for, and
  // removes and re-adds b, while Alice reads nothing and edits both.
  for (int i = 0; i < 3 * static_cast<int>(ClientShadow::kMaxSegments); ++i) {
    workspace.update_data(1, "a", Json{{"k", i}});
    workspace.process_all(1);
  }
  workspace.remove_node(1, "b");
  add_node(workspace, 1, testkit::box_node("b", 9, Json::object()));
  workspace.update_node(0, "a", [](Json& node) { node["position"] = {{"x", 5}, {"y", 5}}; });
  workspace.add_edge(0, kLink);
  workspace.process_all(0);
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
  EXPECT_EQ(crdt::node_view(workspace.server, "a")["position"]["x"], 5);
}

TEST(EventShadow, ADeleteConcurrentWithADragAndAParameterEditConvergesForEveryone) {
  SimWorkspace workspace = settled_workspace(3);
  add_node(workspace, 0, testkit::box_node("n1", 0, {{"a", 1}}));
  workspace.deliver_everywhere();
  // Bob deletes n1 while Alice drags it and Carol edits a parameter of it.
  workspace.remove_node(1, "n1");
  workspace.update_node(0, "n1", [](Json& node) { node["position"] = {{"x", 4}, {"y", 4}}; });
  workspace.update_data(2, "n1", Json{{"a", 7}});
  for (std::size_t c : {1, 0, 2})
    workspace.process_all(c);
  EXPECT_FALSE(workspace.server.has_node("n1"));  // remove wins over concurrent edits
  workspace.deliver_everywhere();
  EXPECT_EQ(workspace.divergence(), "");
}

TEST(SharedPatches, EqualPatchesAreOneObjectAndOthersTheirOwn) {
  SharedPatches patches;
  const SharedJson first = patches.share_equal(Json{{"width", 120}});
  EXPECT_EQ(patches.share_equal(Json{{"width", 120}}), first);
  const SharedJson other = patches.share_equal(Json{{"width", 121}});
  EXPECT_NE(other, first);
  EXPECT_EQ(*other, (Json{{"width", 121}}));
  EXPECT_EQ(patches.share_equal(Json{{"width", 121}}), other);
  // Past kMaxKept distinct patches, a new one is shared with nobody.
  for (int i = 0; i < static_cast<int>(SharedPatches::kMaxKept); ++i)
    patches.share_equal(Json{{"height", i}});
  const SharedJson late = patches.share_equal(Json{{"late", true}});
  EXPECT_EQ(*late, (Json{{"late", true}}));
  EXPECT_NE(patches.share_equal(Json{{"late", true}}), late);
  EXPECT_EQ(patches.share_equal(Json{{"width", 120}}), first);
}

}  // namespace
}  // namespace trellis::adapters
