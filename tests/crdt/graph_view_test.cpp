// Unit tests of the materialized view: what a React Flow canvas renders from
// a GraphDoc. Parents come before their children, `data` is always an object
// on nodes, and no edge with a missing endpoint is ever shown.

#include "trellis/crdt/graph_view.hpp"

#include <gtest/gtest.h>

#include <pthread.h>

#include <cstddef>
#include <cstdlib>
#include <string>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;

Json node(const std::string& id) {
  return {{"id", id}};
}

Json child(const std::string& id, const std::string& parent) {
  return {{"id", id}, {"parentId", parent}};
}

// The ids of a view's array, in order.
Json ids(const Json& entities) {
  Json out = Json::array();
  for (const Json& entity : entities)
    out.push_back(entity["id"]);
  return out;
}

TEST(GraphView, AnEmptyDocShowsNoNodesAndNoEdges) {
  GraphDoc doc(kAlice);
  EXPECT_EQ(graph_view(doc), (Json{{"nodes", Json::array()}, {"edges", Json::array()}}));
  EXPECT_EQ(nodes_view(doc), Json::array());
  EXPECT_EQ(edges_view(doc), Json::array());
}

TEST(GraphView, IsTheNodesViewAndTheEdgesView) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_node(node("b")));
  applied(doc.add_edge(edge("e", "a", "b")));
  EXPECT_EQ(graph_view(doc), (Json{{"nodes", nodes_view(doc)}, {"edges", edges_view(doc)}}));
}

TEST(NodesView, ShowsANodeAsItsIdTopLevelFieldsAndData) {
  GraphDoc doc(kAlice);
  const Json box{{"id", "box"},
                 {"type", "box"},
                 {"position", {{"x", 10}, {"y", -4.5}}},
                 {"width", 120},
                 {"data", {{"label", "Box"}, {"size", Json::array({1, 2, 3})}}}};
  applied(doc.add_node(box));
  EXPECT_EQ(nodes_view(doc), Json::array({box}));
}

TEST(NodesView, DataIsAlwaysAnObject) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "bare"}}));
  applied(doc.add_node(Json{{"id", "emptied"}, {"data", {{"k", 1}}}}));
  applied(doc.remove_node_fields("emptied", {FieldKey::data("k")}));
  EXPECT_EQ(nodes_view(doc), (Json::array({Json{{"id", "bare"}, {"data", Json::object()}},
                                           Json{{"id", "emptied"}, {"data", Json::object()}}})));
}

TEST(NodesView, OrdersNodesByIdBytewise) {
  GraphDoc doc(kAlice);
  for (const char* id : {"b", "a", "B", "aa", "\xc3\xa9"})
    applied(doc.add_node(node(id)));
  EXPECT_EQ(ids(nodes_view(doc)), (Json::array({"B", "a", "aa", "b", "\xc3\xa9"})));
}

TEST(NodesView, PlacesAParentBeforeItsChildren) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(child("a", "z")));
  applied(doc.add_node(node("b")));
  applied(doc.add_node(node("z")));
  EXPECT_EQ(ids(nodes_view(doc)), (Json::array({"z", "a", "b"})));
}

TEST(NodesView, PlacesEveryAncestorBeforeItsDescendants) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(child("a", "c")));
  applied(doc.add_node(child("c", "b")));
  applied(doc.add_node(node("b")));
  applied(doc.add_node(node("d")));
  EXPECT_EQ(ids(nodes_view(doc)), (Json::array({"b", "c", "a", "d"})));
}

TEST(NodesView, AParentIdNamingAnAbsentNodeKeepsIdOrderAndIsShownAsIs) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("parent")));
  applied(doc.add_node(child("a", "parent")));
  applied(doc.add_node(child("b", "never")));
  applied(doc.remove_node("parent"));
  EXPECT_EQ(nodes_view(doc),
            (Json::array({Json{{"id", "a"}, {"parentId", "parent"}, {"data", Json::object()}},
                          Json{{"id", "b"}, {"parentId", "never"}, {"data", Json::object()}}})));
}

TEST(NodesView, AParentIdCycleShowsEveryNodeOnce) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(child("a", "b")));
  applied(doc.add_node(child("b", "c")));
  applied(doc.add_node(child("c", "a")));
  applied(doc.add_node(child("self", "self")));
  EXPECT_EQ(ids(nodes_view(doc)), (Json::array({"c", "b", "a", "self"})));
}

TEST(NodesView, ANonStringParentIdIsIgnoredForOrdering) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "a"}, {"parentId", 7}}));
  applied(doc.add_node(Json{{"id", "b"}, {"parentId", nullptr}}));
  EXPECT_EQ(ids(nodes_view(doc)), (Json::array({"a", "b"})));
}

TEST(NodesView, OmitsRemovedNodesAndRemovedFields) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "a"}, {"type", "t"}, {"width", 3}}));
  applied(doc.add_node(node("gone")));
  applied(doc.remove_node("gone"));
  applied(doc.remove_node_fields("a", {FieldKey::top("width")}));
  EXPECT_EQ(nodes_view(doc),
            Json::array({Json{{"id", "a"}, {"type", "t"}, {"data", Json::object()}}}));
}

// Renders the nodes view on a thread with a 512 KiB stack (a common size for
// secondary threads) and returns how many nodes it showed.
std::size_t nodes_shown_on_small_stack(const GraphDoc& doc) {
  struct Job {
    const GraphDoc* doc;
    std::size_t shown;
  } job{&doc, 0};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 512 * 1024);
  pthread_t thread;
  auto render = [](void* argument) -> void* {
    auto* job = static_cast<Job*>(argument);
    job->shown = nodes_view(*job->doc).size();
    return nullptr;
  };
  if (pthread_create(&thread, &attributes, render, &job) != 0) std::abort();
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attributes);
  return job.shown;
}

TEST(NodesView, ADeepParentChainDoesNotExhaustTheStack) {
  // Nothing bounds how deeply nodes nest, so the view must not recurse once
  // per level. Run in a child process so that a stack overflow fails this
  // test only.
  constexpr std::size_t kDepth = 20000;
  GraphDoc doc(kAlice);
  for (std::size_t i = 0; i < kDepth; ++i) {
    // Each node's parent sorts after it, so every parent is placed first.
    Json node{{"id", "n" + std::to_string(100000 + i)}};
    if (i + 1 < kDepth) node["parentId"] = "n" + std::to_string(100000 + i + 1);
    applied(doc.add_node(node));
  }
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::exit(nodes_shown_on_small_stack(doc) == kDepth ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

TEST(NodeView, ShowsOnePresentNodeAsTheNodesViewDoes) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "a"}, {"type", "t"}, {"data", {{"k", 1}}}}));
  applied(doc.add_node(node("b")));
  EXPECT_EQ(node_view(doc, "a"), nodes_view(doc)[0]);
  EXPECT_EQ(node_view(doc, "b"), nodes_view(doc)[1]);
}

TEST(NodeView, IsNullForAnUnknownOrRemovedNode) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("gone")));
  applied(doc.remove_node("gone"));
  EXPECT_TRUE(node_view(doc, "gone").is_null());
  EXPECT_TRUE(node_view(doc, "never").is_null());
}

TEST(EdgesView, ShowsAnEdgeAsItsIdFieldsAndDataOnlyWhenItHasSome) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_node(node("b")));
  const Json plain = edge("plain", "a", "b");
  const Json rich{{"id", "rich"},   {"source", "b"},         {"target", "a"},
                  {"type", "step"}, {"sourceHandle", "out"}, {"data", {{"weight", 2}}}};
  applied(doc.add_edge(plain));
  applied(doc.add_edge(rich));
  EXPECT_EQ(edges_view(doc), Json::array({plain, rich}));
}

TEST(EdgesView, OrdersEdgesById) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_node(node("b")));
  for (const char* id : {"e3", "e1", "E2"})
    applied(doc.add_edge(edge(id, "a", "b")));
  EXPECT_EQ(ids(edges_view(doc)), (Json::array({"E2", "e1", "e3"})));
}

TEST(EdgesView, OmitsRemovedEdges) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_node(node("b")));
  applied(doc.add_edge(edge("e", "a", "b")));
  applied(doc.remove_edge("e"));
  EXPECT_EQ(edges_view(doc), Json::array());
}

TEST(EdgesView, NeverShowsAnEdgeWithAMissingEndpoint) {
  // Bob adds an edge to a node Alice removes concurrently: the edge is
  // present in the state but has no node to attach to.
  GraphDoc alice(kAlice);
  GraphDoc bob(ReplicaId{2});
  bob.join(applied(alice.add_node(node("a"))));
  bob.join(applied(alice.add_node(node("b"))));
  GraphDoc edge_added = applied(bob.add_edge(edge("e", "a", "b")));
  alice.join(applied(alice.remove_node("b")));
  alice.join(edge_added);
  ASSERT_TRUE(alice.has_edge("e"));
  EXPECT_EQ(edges_view(alice), Json::array());
  EXPECT_TRUE(edge_view(alice, "e").is_null());
}

TEST(EdgeView, ShowsOneShownEdgeAsTheEdgesViewDoes) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_node(node("b")));
  applied(doc.add_edge(Json{{"id", "e"}, {"source", "a"}, {"target", "b"}, {"label", "x"}}));
  EXPECT_EQ(edge_view(doc, "e"), edges_view(doc)[0]);
}

TEST(EdgeView, IsNullForAnUnknownOrRemovedEdge) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node("a")));
  applied(doc.add_edge(edge("gone", "a", "a")));
  applied(doc.remove_edge("gone"));
  EXPECT_TRUE(edge_view(doc, "gone").is_null());
  EXPECT_TRUE(edge_view(doc, "never").is_null());
  EXPECT_TRUE(edge_view(doc, "a").is_null());
}

TEST(GraphView, EqualStatesGiveEqualViews) {
  GraphDoc alice(kAlice);
  applied(alice.add_node(child("b", "a")));
  applied(alice.add_node(node("a")));
  applied(alice.add_edge(edge("e", "a", "b")));
  GraphDoc received;
  received.join(alice);
  ASSERT_EQ(received, alice);
  EXPECT_EQ(graph_view(received), graph_view(alice));
  EXPECT_EQ(graph_view(received).dump(), graph_view(alice).dump());
}

}  // namespace
}  // namespace trellis::crdt
