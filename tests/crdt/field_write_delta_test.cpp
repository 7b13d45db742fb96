// Unit tests of the lean field-write delta (field_write_delta.hpp): what the
// lean mutators return, the empty delta, errors, and joining an edge's lean
// delta (the endpoint index must follow). That the lean form means exactly
// the GraphDoc form on random states is properties_field_write_delta.cpp.

#include "trellis/crdt/field_write_delta.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;
using testing::expect_unchanged;

GraphDoc doc_with_box() {
  GraphDoc doc(kAlice);
  applied(doc.add_node({{"id", "box"}, {"type", "box"}, {"data", {{"label", "Box"}}}}));
  return doc;
}

TEST(FieldWriteDelta, ParameterEditHoldsTheWriteAndTheTransactionsStamp) {
  GraphDoc doc = doc_with_box();
  auto delta = doc.write_node_data_value("box", "width", Json(2.5));
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  EXPECT_EQ(delta->kind, EntityKind::node);
  EXPECT_EQ(delta->id, "box");
  ASSERT_EQ(delta->fields.size(), 1u);
  EXPECT_EQ(delta->fields[0].key, FieldKey::data("width"));
  EXPECT_EQ(delta->fields[0].value, Json(2.5));
  EXPECT_EQ(delta->stamp, (Stamp{2, kAlice, 2}));
  EXPECT_EQ(doc.clock().counter(), 2u);
  EXPECT_TRUE(doc.context().contains(Dot{kAlice, 2}));
  EXPECT_EQ(graph_view(doc)["nodes"][0]["data"]["width"], 2.5);
}

TEST(FieldWriteDelta, PatchFieldsAreSortedByKey) {
  GraphDoc doc = doc_with_box();
  auto delta = doc.write_node_fields(
      "box", {{"width", 3}, {"data", {{"b", 1}, {"a", 2}}}, {"position", {{"x", 1}, {"y", 2}}}});
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  ASSERT_EQ(delta->fields.size(), 4u);
  EXPECT_EQ(delta->fields[0].key, FieldKey::top("position"));
  EXPECT_EQ(delta->fields[1].key, FieldKey::top("width"));
  EXPECT_EQ(delta->fields[2].key, FieldKey::data("a"));
  EXPECT_EQ(delta->fields[3].key, FieldKey::data("b"));
}

TEST(FieldWriteDelta, EmptyPatchTakesNoDotAndMeansTheEmptyState) {
  GraphDoc doc = doc_with_box();
  const GraphDoc before = doc;
  auto delta = doc.write_node_fields("box", Json::object());
  ASSERT_TRUE(delta.ok()) << delta.error().message;
  EXPECT_TRUE(delta->empty());
  expect_unchanged(doc, before);
  EXPECT_EQ(GraphDoc(*delta), GraphDoc{});
  Bytes bytes;
  encode_to(*delta, bytes);
  EXPECT_EQ(bytes, encode(GraphDoc{}));
  GraphDoc other = before;
  other.join(*delta);
  EXPECT_EQ(other, before);
}

TEST(FieldWriteDelta, ErrorsAreThoseOfTheGraphDocForm) {
  GraphDoc doc = doc_with_box();
  const GraphDoc before = doc;
  auto absent = doc.write_node_data_value("nothing", "width", Json(1));
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, ErrorCode::not_found);
  auto infinite = doc.write_node_data_value("box", "width", Json(HUGE_VAL));
  ASSERT_FALSE(infinite.ok());
  EXPECT_EQ(infinite.error().code, ErrorCode::invalid_argument);
  auto new_id = doc.write_node_fields("box", {{"id", "other"}});
  ASSERT_FALSE(new_id.ok());
  EXPECT_EQ(new_id.error().code, ErrorCode::invalid_argument);
  expect_unchanged(doc, before);
  GraphDoc no_replica;  // replica 0: a received state
  no_replica.join(before);
  auto unstamped = no_replica.write_node_data_value("box", "width", Json(1));
  ASSERT_FALSE(unstamped.ok());
  EXPECT_EQ(unstamped.error().code, ErrorCode::invalid_argument);
}

// An edge's lean delta (as a peer could build one for update_edge_fields)
// moves the edge in the endpoint index: removing its new target removes it.
TEST(FieldWriteDelta, JoiningAnEdgeWriteKeepsTheEndpointIndexInStep) {
  GraphDoc alice(kAlice);
  for (const char* id : {"a", "b", "c"})
    applied(alice.add_node({{"id", id}}));
  applied(alice.add_edge({{"id", "e"}, {"source", "a"}, {"target", "b"}}));
  GraphDoc bob(kBob);
  bob.join(alice);

  FieldWriteDelta retarget;
  retarget.kind = EntityKind::edge;
  retarget.id = "e";
  retarget.stamp = Stamp{alice.clock().counter() + 1, kAlice, 5};
  retarget.fields.push_back({FieldKey::top("target"), Json("c")});
  bob.join(retarget);
  GraphDoc expected = alice;
  expected.join(GraphDoc(retarget));
  EXPECT_EQ(bob, expected);

  applied(bob.remove_node("c"));
  EXPECT_FALSE(bob.has_edge("e"));
}

TEST(FieldWriteDelta, AReusedDeltaHoldsEachEditAndIsEmptyAfterARefusal) {
  GraphDoc doc = doc_with_box();
  FieldWriteDelta delta;
  ASSERT_FALSE(doc.write_node_data_value("box", "label", Json("first"), delta));
  ASSERT_FALSE(doc.write_node_data_value("box", "width", Json(3), delta));
  ASSERT_EQ(delta.fields.size(), 1u);
  EXPECT_EQ(delta.fields[0].key, FieldKey::data("width"));
  EXPECT_EQ(delta.fields[0].value, Json(3));
  EXPECT_EQ(delta.stamp, (Stamp{3, kAlice, 3}));
  const GraphDoc before = doc;
  for (const char* id : {"box", "missing"}) {
    auto error = std::string(id) == "box"
                     ? doc.write_node_data_value(id, "nan", Json(std::nan("")), delta)
                     : doc.write_node_data_value(id, "width", Json(4), delta);
    ASSERT_TRUE(error);
    EXPECT_TRUE(delta.empty());
    EXPECT_EQ(delta, FieldWriteDelta{});
    EXPECT_EQ(doc, before);
  }
}

}  // namespace
}  // namespace trellis::crdt
