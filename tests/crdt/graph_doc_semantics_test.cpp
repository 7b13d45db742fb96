// The semantics table of docs/crdt.md, one test per row: what every replica
// ends with after a pair of concurrent operations.
//
// Three replicas start from a common state (edits made on Alice and shared
// with everyone). Alice and Bob then edit concurrently; every replica
// receives the other replicas' deltas (Carol edits only where a row says so).
// Three late observers that saw only the common state receive every delta:
// Alice's first, Bob's first, and all of them in reverse order of creation
// (so a removal or an update may arrive before the add it refers to). Each
// test asserts the exact view every replica renders and that all replicas
// and observers hold equal states.
//
// Counters: each shared setup edit is one transaction, so after N setup
// edits every replica's Lamport counter is N and the first concurrent edit
// of each replica is stamped N + 1. Equal counters are decided by replica id:
// Alice (1) < Bob (2) < Carol (3).

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;

const Json kNoEdges = Json::array();

Json box_node() {
  return {{"id", "box"},
          {"type", "box"},
          {"position", {{"x", 0}, {"y", 0}}},
          {"data", {{"label", "Box"}}}};
}

Json plain_node(const std::string& id) {
  return {{"id", id}, {"type", id}};
}

// A node or an edge as the view shows it (nodes always carry `data`).
Json shown_node(Json node) {
  if (!node.contains("data")) node["data"] = Json::object();
  return node;
}

class GraphDocSemantics : public ::testing::Test {
 protected:
  // A setup edit: made on Alice and delivered to everyone before the
  // concurrent edits begin.
  void shared(Result<GraphDoc> made_on_alice) {
    GraphDoc delta = applied(std::move(made_on_alice));
    bob.join(delta);
    carol.join(delta);
    common_ = alice;
  }

  void by_alice(Result<GraphDoc> made) { from_alice_.push_back(applied(std::move(made))); }
  void by_bob(Result<GraphDoc> made) { from_bob_.push_back(applied(std::move(made))); }
  void by_carol(Result<GraphDoc> made) { from_carol_.push_back(applied(std::move(made))); }

  // Delivers every concurrent delta to every replica that did not make it,
  // and to the three observers.
  void exchange() {
    alice_first_ = observer();
    bob_first_ = observer();
    reversed_ = observer();
    for (const auto* deltas : {&from_alice_, &from_bob_, &from_carol_}) {
      for (const GraphDoc& delta : *deltas)
        alice_first_.join(delta);
    }
    for (const auto* deltas : {&from_bob_, &from_carol_, &from_alice_}) {
      for (const GraphDoc& delta : *deltas)
        bob_first_.join(delta);
    }
    for (const auto* deltas : {&from_carol_, &from_bob_, &from_alice_}) {
      for (auto delta = deltas->rbegin(); delta != deltas->rend(); ++delta)
        reversed_.join(*delta);
    }
    for (const GraphDoc& delta : from_bob_)
      alice.join(delta);
    for (const GraphDoc& delta : from_carol_)
      alice.join(delta);
    for (const GraphDoc& delta : from_carol_)
      bob.join(delta);
    for (const GraphDoc& delta : from_alice_)
      bob.join(delta);
    for (const GraphDoc& delta : from_alice_)
      carol.join(delta);
    for (const GraphDoc& delta : from_bob_)
      carol.join(delta);
    from_alice_.clear();
    from_bob_.clear();
    from_carol_.clear();
    common_ = alice;
  }

  // Every replica renders exactly `nodes` and `edges`, and every replica and
  // observer holds the same state.
  void expect_converged(const Json& nodes, const Json& edges) {
    const Json expected{{"nodes", nodes}, {"edges", edges}};
    EXPECT_EQ(graph_view(alice), expected) << "Alice";
    EXPECT_EQ(graph_view(bob), expected) << "Bob";
    EXPECT_EQ(graph_view(carol), expected) << "Carol";
    EXPECT_EQ(alice, bob);
    EXPECT_EQ(alice, carol);
    EXPECT_EQ(alice_first_, alice) << "observer that received Alice's deltas first";
    EXPECT_EQ(bob_first_, alice) << "observer that received Bob's deltas first";
    EXPECT_EQ(reversed_, alice) << "observer that received every delta in reverse order";
  }

  // On every replica: `id` is present in the state (dots) or not.
  void expect_edge_present_everywhere(const std::string& id, bool present) {
    for (const GraphDoc* replica : {&alice, &bob, &carol}) {
      EXPECT_EQ(replica->has_edge(id), present) << "replica " << replica->replica().value;
    }
  }

  GraphDoc alice{ReplicaId{1}};
  GraphDoc bob{ReplicaId{2}};
  GraphDoc carol{ReplicaId{3}};

 private:
  GraphDoc observer() const {
    GraphDoc fresh;
    fresh.join(common_);
    return fresh;
  }

  GraphDoc common_;
  std::vector<GraphDoc> from_alice_;
  std::vector<GraphDoc> from_bob_;
  std::vector<GraphDoc> from_carol_;
  GraphDoc alice_first_;
  GraphDoc bob_first_;
  GraphDoc reversed_;
};

// --- Presence of nodes ---

TEST_F(GraphDocSemantics, RemoveNodeWinsOverAConcurrentUpdate) {
  shared(alice.add_node(box_node()));
  by_alice(alice.remove_node("box"));
  by_bob(bob.update_node_fields("box", {{"width", 50}}));
  exchange();
  expect_converged(Json::array(), kNoEdges);
  // The update is kept in the state (not shown) for a concurrent re-add.
  const EntityState* box = alice.find(EntityKind::node, "box");
  ASSERT_NE(box, nullptr);
  EXPECT_FALSE(box->present());
  EXPECT_EQ(box->fields.get(FieldKey::top("width"))->to_json(), 50);
}

TEST_F(GraphDocSemantics, ReAddWinsOverAConcurrentRemoveAndShowsTheWholeNewObject) {
  shared(alice.add_node(box_node()));
  // Alice's clock runs ahead of Bob's: her removal is "later" than Bob's
  // re-add, yet it stamps no field, so it cannot hide any of them.
  by_alice(alice.add_node(plain_node("note")));
  by_alice(alice.remove_node("note"));
  by_alice(alice.remove_node("box"));
  by_bob(bob.remove_node("box"));
  const Json sphere{{"id", "box"}, {"type", "sphere"}, {"data", {{"radius", 2}}}};
  by_bob(bob.add_node(sphere));
  exchange();
  expect_converged(Json::array({sphere}), kNoEdges);
}

TEST_F(GraphDocSemantics,
       AnAddConcurrentWithTheRemovalOfThatIdAlsoShowsTheRemovedNodesOtherFields) {
  shared(alice.add_node(box_node()));
  // Alice adds and removes a lamp Bob never saw; Bob adds his own lamp.
  by_alice(alice.add_node(
      {{"id", "lamp"}, {"type", "lamp"}, {"data", {{"label", "Alice's"}, {"watts", 60}}}}));
  by_alice(alice.remove_node("lamp"));
  by_bob(bob.add_node({{"id", "lamp"}, {"type", "light"}, {"data", {{"label", "Bob's"}}}}));
  exchange();
  // Bob's add survives (Alice never saw its dot). Fields written by both are
  // decided by stamp (2, Bob) > (2, Alice); `watts`, which only Alice's
  // removed lamp had, was never overwritten or tombstoned.
  expect_converged(
      Json::array(
          {shown_node(box_node()),
           Json{{"id", "lamp"}, {"type", "light"}, {"data", {{"label", "Bob's"}, {"watts", 60}}}}}),
      kNoEdges);
}

TEST_F(GraphDocSemantics, ConcurrentAddsOfOneNodeIdKeepTheNodeAndMergeFieldsByStamp) {
  by_alice(alice.add_node({{"id", "lamp"},
                           {"type", "lamp"},
                           {"position", {{"x", 1}, {"y", 1}}},
                           {"data", {{"label", "A"}, {"watts", 60}}}}));
  by_bob(bob.add_node(
      {{"id", "lamp"}, {"type", "light"}, {"data", {{"label", "B"}, {"color", "red"}}}}));
  exchange();
  expect_converged(Json::array({Json{{"id", "lamp"},
                                     {"type", "light"},
                                     {"position", {{"x", 1}, {"y", 1}}},
                                     {"data", {{"label", "B"}, {"watts", 60}, {"color", "red"}}}}}),
                   kNoEdges);
  // Both adds support the node: a later removal must have seen both.
  EXPECT_EQ(alice.find(EntityKind::node, "lamp")->dots,
            (DotSet{{ReplicaId{1}, 1}, {ReplicaId{2}, 1}}));
}

TEST_F(GraphDocSemantics, ConcurrentRemovesOfOneNodeAgreeAndTakeItsEdges) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.remove_node("box"));
  by_bob(bob.remove_node("box"));
  exchange();
  expect_converged(Json::array({shown_node(plain_node("lamp"))}), kNoEdges);
  expect_edge_present_everywhere("e", false);
}

TEST_F(GraphDocSemantics, ReAddAfterRemoveShowsExactlyTheNewObjectInAnyDeliveryOrder) {
  shared(alice.add_node(box_node()));
  shared(alice.set_node_data("box", {{"width", 3}}));
  by_alice(alice.remove_node("box"));
  const Json renamed{{"id", "box"}, {"type", "box2"}, {"data", {{"label", "New"}}}};
  by_alice(alice.add_node(renamed));
  exchange();
  // position and data.width are gone: the re-add tombstoned them.
  expect_converged(Json::array({renamed}), kNoEdges);
}

TEST_F(GraphDocSemantics, ReAddTombstonesAConcurrentUpdateOfTheOldNodeWithAnEarlierStamp) {
  shared(alice.add_node(box_node()));
  by_alice(alice.remove_node("box"));                           // counter 2
  by_alice(alice.add_node({{"id", "box"}, {"type", "box2"}}));  // counter 3: tombstones position
  by_bob(bob.update_node_fields("box", {{"position", {{"x", 7}, {"y", 7}}}}));  // (2, Bob)
  exchange();
  expect_converged(Json::array({Json{{"id", "box"}, {"type", "box2"}, {"data", Json::object()}}}),
                   kNoEdges);
}

TEST_F(GraphDocSemantics, AConcurrentUpdateWithALaterStampShowsOnTheReAddedNode) {
  shared(alice.add_node(box_node()));
  by_alice(alice.remove_node("box"));
  by_alice(alice.add_node({{"id", "box"}, {"type", "box2"}}));  // tombstones at (3, Alice)
  by_bob(bob.update_node_fields("box", {{"position", {{"x", 1}, {"y", 1}}}}));  // (2, Bob)
  by_bob(bob.update_node_fields("box", {{"position", {{"x", 2}, {"y", 2}}}}));  // (3, Bob)
  by_bob(bob.update_node_fields("box", {{"position", {{"x", 3}, {"y", 3}}}}));  // (4, Bob)
  exchange();
  expect_converged(Json::array({Json{{"id", "box"},
                                     {"type", "box2"},
                                     {"position", {{"x", 3}, {"y", 3}}},
                                     {"data", Json::object()}}}),
                   kNoEdges);
}

// --- Fields ---

TEST_F(GraphDocSemantics, ConcurrentWritesOfOneFieldTheHigherLamportCounterWins) {
  shared(alice.add_node(box_node()));
  by_alice(alice.set_node_data("box", {{"label", "A1"}}));  // (2, Alice)
  by_alice(alice.set_node_data("box", {{"label", "A2"}}));  // (3, Alice)
  by_bob(bob.set_node_data("box", {{"label", "B"}}));       // (2, Bob)
  exchange();
  Json box = box_node();
  box["data"]["label"] = "A2";
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, ConcurrentWritesOfOneFieldWithEqualCountersTheLargerReplicaIdWins) {
  shared(alice.add_node(box_node()));
  by_alice(alice.set_node_data("box", {{"label", "A"}}));  // (2, Alice)
  by_bob(bob.set_node_data("box", {{"label", "B"}}));      // (2, Bob)
  exchange();
  Json box = box_node();
  box["data"]["label"] = "B";
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, ThreeConcurrentWritesOfOneFieldTheLargestStampWinsEverywhere) {
  shared(alice.add_node(box_node()));
  by_alice(alice.update_node_fields("box", {{"type", "alice"}}));
  by_bob(bob.update_node_fields("box", {{"type", "bob"}}));
  by_carol(carol.update_node_fields("box", {{"type", "carol"}}));
  exchange();
  Json box = box_node();
  box["type"] = "carol";
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, ConcurrentWritesOfDifferentTopLevelFieldsBothSurvive) {
  shared(alice.add_node(box_node()));
  by_alice(alice.update_node_fields("box", {{"width", 200}}));
  by_bob(bob.update_node_fields("box", {{"type", "group"}}));
  exchange();
  Json box = box_node();
  box["width"] = 200;
  box["type"] = "group";
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, ConcurrentWritesOfDifferentDataKeysOfOneNodeBothSurvive) {
  shared(alice.add_node(box_node()));
  by_alice(alice.set_node_data("box", {{"label", "Renamed"}}));
  by_bob(bob.update_node_fields("box", {{"data", {{"color", "red"}}}}));
  exchange();
  Json box = box_node();
  box["data"] = {{"label", "Renamed"}, {"color", "red"}};
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, ConcurrentMovesNeverMixCoordinates) {
  shared(alice.add_node(box_node()));
  // Alice drags (two moves), Bob moves once: her last move has the higher
  // counter and wins as a whole {x, y}; no replica shows x of one and y of
  // the other.
  by_alice(alice.update_node_fields("box", {{"position", {{"x", 5}, {"y", 5}}}}));
  by_alice(alice.update_node_fields("box", {{"position", {{"x", 10}, {"y", 10}}}}));
  by_bob(bob.update_node_fields("box", {{"position", {{"x", 20}, {"y", -5}}}}));
  exchange();
  Json box = box_node();
  box["position"] = {{"x", 10}, {"y", 10}};
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, FieldRemovalConcurrentWithAWriteTheLaterTombstoneWins) {
  shared(alice.add_node(box_node()));
  by_alice(alice.set_node_data("box", {{"label", "A"}}));            // (2, Alice)
  by_bob(bob.remove_node_fields("box", {FieldKey::data("label")}));  // (2, Bob)
  exchange();
  Json box = box_node();
  box["data"] = Json::object();
  expect_converged(Json::array({box}), kNoEdges);
}

TEST_F(GraphDocSemantics, FieldRemovalConcurrentWithAWriteTheLaterWriteWins) {
  shared(alice.add_node(box_node()));
  by_alice(alice.remove_node_fields("box", {FieldKey::data("label")}));  // (2, Alice)
  by_bob(bob.set_node_data("box", {{"label", "B"}}));                    // (2, Bob)
  exchange();
  Json box = box_node();
  box["data"]["label"] = "B";
  expect_converged(Json::array({box}), kNoEdges);
}

// --- Edges ---

TEST_F(GraphDocSemantics, AddEdgeConcurrentWithRemovingItsEndpointHidesTheEdge) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  by_alice(alice.remove_node("lamp"));
  by_bob(bob.add_edge(edge("e", "box", "lamp")));
  exchange();
  // The edge survives in the state (Alice never saw it) but no view shows
  // an edge whose endpoint is absent.
  expect_converged(Json::array({shown_node(box_node())}), kNoEdges);
  expect_edge_present_everywhere("e", true);
}

TEST_F(GraphDocSemantics, ReAddingTheRemovedEndpointShowsTheHiddenEdgeAgain) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  by_alice(alice.remove_node("lamp"));
  by_bob(bob.add_edge(edge("e", "box", "lamp")));
  exchange();
  const Json light{{"id", "lamp"}, {"type", "light"}};
  shared(alice.add_node(light));
  exchange();
  expect_converged(Json::array({shown_node(box_node()), shown_node(light)}),
                   Json::array({edge("e", "box", "lamp")}));
}

TEST_F(GraphDocSemantics, RemoveNodeWinsOverAConcurrentUpdateOfAnAttachedEdge) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.remove_node("lamp"));
  by_bob(bob.update_edge_fields("e", {{"label", "power"}}));
  exchange();
  expect_converged(Json::array({shown_node(box_node())}), kNoEdges);
  expect_edge_present_everywhere("e", false);
  // Alice saw the edge when she removed its node, so it is gone for good:
  // re-adding the node does not bring it back.
  shared(alice.add_node(plain_node("lamp")));
  exchange();
  expect_converged(Json::array({shown_node(box_node()), shown_node(plain_node("lamp"))}), kNoEdges);
}

TEST_F(GraphDocSemantics, RemoveEdgeWinsOverAConcurrentUpdateOfTheEdge) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.remove_edge("e"));
  by_bob(bob.update_edge_fields("e", {{"label", "power"}, {"data", {{"weight", 2}}}}));
  exchange();
  expect_converged(Json::array({shown_node(box_node()), shown_node(plain_node("lamp"))}), kNoEdges);
  expect_edge_present_everywhere("e", false);
}

TEST_F(GraphDocSemantics, RemoveEdgeConcurrentWithRemovingItsEndpointAgree) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.remove_edge("e"));
  by_bob(bob.remove_node("lamp"));
  exchange();
  expect_converged(Json::array({shown_node(box_node())}), kNoEdges);
  expect_edge_present_everywhere("e", false);
}

TEST_F(GraphDocSemantics, ReAddOfAnEdgeWinsOverAConcurrentRemove) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.remove_edge("e"));
  by_bob(bob.remove_edge("e"));
  by_bob(bob.add_edge(edge("e", "lamp", "box")));
  exchange();
  expect_converged(Json::array({shown_node(box_node()), shown_node(plain_node("lamp"))}),
                   Json::array({edge("e", "lamp", "box")}));
}

TEST_F(GraphDocSemantics, ConcurrentAddsOfOneEdgeIdNeverMixEndpoints) {
  for (const char* id : {"a", "b", "c", "d"})
    shared(alice.add_node(plain_node(id)));
  by_alice(alice.add_edge(edge("e", "a", "b")));  // (5, Alice)
  by_bob(bob.add_edge(edge("e", "c", "d")));      // (5, Bob): one stamp for both endpoints
  exchange();
  expect_converged(Json::array({shown_node(plain_node("a")), shown_node(plain_node("b")),
                                shown_node(plain_node("c")), shown_node(plain_node("d"))}),
                   Json::array({edge("e", "c", "d")}));
}

TEST_F(GraphDocSemantics, MovingAnEdgeEndpointConcurrentWithRemovingTheNewEndpointHidesTheEdge) {
  shared(alice.add_node(box_node()));
  shared(alice.add_node(plain_node("lamp")));
  shared(alice.add_node(plain_node("fan")));
  shared(alice.add_edge(edge("e", "box", "lamp")));
  by_alice(alice.update_edge_fields("e", {{"target", "fan"}}));
  by_bob(bob.remove_node("fan"));  // Bob sees e attached to lamp, not fan: e is not removed
  exchange();
  expect_converged(Json::array({shown_node(box_node()), shown_node(plain_node("lamp"))}), kNoEdges);
  expect_edge_present_everywhere("e", true);
}

TEST_F(GraphDocSemantics, ConcurrentMovesOfTheTwoEndpointsOfAnEdgeBothApply) {
  for (const char* id : {"a", "b", "c", "d"})
    shared(alice.add_node(plain_node(id)));
  shared(alice.add_edge(edge("e", "a", "b")));
  by_alice(alice.update_edge_fields("e", {{"source", "c"}}));
  by_bob(bob.update_edge_fields("e", {{"target", "d"}}));
  exchange();
  // source and target are separate fields: the edge joins the new source
  // of one edit to the new target of the other.
  expect_converged(Json::array({shown_node(plain_node("a")), shown_node(plain_node("b")),
                                shown_node(plain_node("c")), shown_node(plain_node("d"))}),
                   Json::array({edge("e", "c", "d")}));
}

// --- Parents (React Flow sub-flows) ---

TEST_F(GraphDocSemantics, ConcurrentReparentingIntoACycleShowsEveryNodeOnce) {
  shared(alice.add_node(plain_node("g1")));
  shared(alice.add_node(plain_node("g2")));
  by_alice(alice.update_node_fields("g1", {{"parentId", "g2"}}));
  by_bob(bob.update_node_fields("g2", {{"parentId", "g1"}}));
  exchange();
  // Both writes survive (different nodes); the CRDT does not prevent the
  // cycle, and the view breaks it where it finds it.
  expect_converged(
      Json::array(
          {Json{{"id", "g2"}, {"type", "g2"}, {"parentId", "g1"}, {"data", Json::object()}},
           Json{{"id", "g1"}, {"type", "g1"}, {"parentId", "g2"}, {"data", Json::object()}}}),
      kNoEdges);
}

TEST_F(GraphDocSemantics, RemovingAParentConcurrentWithAddingAChildLeavesTheChildWithItsParentId) {
  shared(alice.add_node(plain_node("group")));
  by_alice(alice.remove_node("group"));
  const Json child{{"id", "child"}, {"parentId", "group"}};
  by_bob(bob.add_node(child));
  exchange();
  expect_converged(Json::array({shown_node(child)}), kNoEdges);
}

}  // namespace
}  // namespace trellis::crdt
