// Unit tests of GraphDoc on one replica: every mutator's effect and delta,
// every error it returns (a failed mutator changes nothing, clock included),
// join, copies, equality and from_parts. What concurrent edits converge to
// is in graph_doc_semantics_test.cpp.

#include "trellis/crdt/graph_doc.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/limits.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;
using testing::expect_unchanged;
using testing::fails_with;

Json sized_box_node() {
  return {{"id", "box"},
          {"type", "box"},
          {"position", {{"x", 0}, {"y", 0}}},
          {"data", {{"label", "Box"}, {"width", 1.5}}}};
}

Json default_node(const std::string& id) {
  return {{"id", id}, {"type", "default"}};
}

std::vector<FieldKey> field_keys(const EntityState& entity) {
  std::vector<FieldKey> keys;
  for (const auto& entry : entity.fields.entries())
    keys.push_back(entry.key);
  return keys;
}

// `levels` arrays nested inside each other, the innermost empty.
Json nested_arrays(std::size_t levels) {
  Json value = Json::array();
  for (std::size_t level = 1; level < levels; ++level)
    value = Json::array({value});
  return value;
}

// A node carrying `count` data keys.
Json node_with_data_keys(const std::string& id, std::size_t count) {
  Json data = Json::object();
  for (std::size_t i = 0; i < count; ++i)
    data["k" + std::to_string(i)] = static_cast<int>(i);
  return {{"id", id}, {"data", data}};
}

// A doc of Alice's with two nodes and an edge between them.
GraphDoc two_nodes_and_an_edge() {
  GraphDoc doc(kAlice);
  applied(doc.add_node(default_node("a")));
  applied(doc.add_node(default_node("b")));
  applied(doc.add_edge(edge("a-b", "a", "b")));
  return doc;
}

// --- Construction and accessors ---

TEST(GraphDoc, DefaultDocIsEmptyAndHasNoReplica) {
  GraphDoc doc;
  EXPECT_TRUE(doc.empty());
  EXPECT_TRUE(doc.replica().is_null());
  EXPECT_TRUE(doc.nodes().empty());
  EXPECT_TRUE(doc.edges().empty());
  EXPECT_TRUE(doc.context().empty());
}

TEST(GraphDoc, DocOfAReplicaStartsEmptyWithItsClockAtZero) {
  GraphDoc doc(kAlice);
  EXPECT_TRUE(doc.empty());
  EXPECT_EQ(doc.replica(), kAlice);
  EXPECT_EQ(doc.clock().replica(), kAlice);
  EXPECT_EQ(doc.clock().counter(), 0u);
}

TEST(GraphDoc, UnknownIdsAreNeitherPresentNorFound) {
  GraphDoc doc(kAlice);
  EXPECT_FALSE(doc.has_node("x"));
  EXPECT_FALSE(doc.has_edge("x"));
  EXPECT_EQ(doc.find(EntityKind::node, "x"), nullptr);
  EXPECT_EQ(doc.find(EntityKind::edge, "x"), nullptr);
}

TEST(GraphDoc, EntitiesOfAKindAreTheNodesOrTheEdges) {
  GraphDoc doc = two_nodes_and_an_edge();
  EXPECT_EQ(&doc.entities(EntityKind::node), &doc.nodes());
  EXPECT_EQ(&doc.entities(EntityKind::edge), &doc.edges());
  EXPECT_EQ(doc.nodes().size(), 2u);
  EXPECT_EQ(doc.edges().size(), 1u);
}

TEST(GraphDoc, NodesAndEdgesHaveSeparateIdSpaces) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(default_node("x")));
  applied(doc.add_node(default_node("y")));
  applied(doc.add_edge(edge("x", "x", "y")));
  EXPECT_TRUE(doc.has_node("x"));
  EXPECT_TRUE(doc.has_edge("x"));
  EXPECT_FALSE(doc.has_edge("y"));
}

// --- add_node ---

TEST(GraphDocAddNode, MakesTheNodePresentWithOneFieldPerTopLevelMemberAndDataKey) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  EXPECT_TRUE(doc.has_node("box"));
  const EntityState* node = doc.find(EntityKind::node, "box");
  ASSERT_NE(node, nullptr);
  EXPECT_TRUE(node->present());
  EXPECT_EQ(field_keys(*node),
            (std::vector<FieldKey>{FieldKey::top("position"), FieldKey::top("type"),
                                   FieldKey::data("label"), FieldKey::data("width")}));
  EXPECT_EQ(node->fields.get(FieldKey::top("position"))->to_json(), (Json{{"x", 0}, {"y", 0}}));
  EXPECT_EQ(node->fields.get(FieldKey::data("label"))->to_json(), "Box");
}

TEST(GraphDocAddNode, StampsEveryFieldWithTheTransactionsOneStampAndDot) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  const EntityState* node = doc.find(EntityKind::node, "box");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->dots, (DotSet{{kAlice, 1}}));
  for (const auto& entry : node->fields.entries()) {
    EXPECT_EQ(entry.reg.stamp, (Stamp{1, kAlice, 1})) << to_string(entry.key);
  }
  EXPECT_TRUE(doc.context().contains(Dot{kAlice, 1}));
  EXPECT_EQ(doc.clock().counter(), 1u);
}

TEST(GraphDocAddNode, ReturnsADeltaHoldingJustTheNodeAndItsDot) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(default_node("first")));
  GraphDoc delta = applied(doc.add_node(sized_box_node()));
  EXPECT_TRUE(delta.replica().is_null());
  EXPECT_EQ(delta.nodes().size(), 1u);
  EXPECT_TRUE(delta.edges().empty());
  EXPECT_TRUE(delta.has_node("box"));
  EXPECT_EQ(delta.context().dot_count(), 1u);
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 2}));
  EXPECT_EQ(*delta.find(EntityKind::node, "box"), *doc.find(EntityKind::node, "box"));
}

TEST(GraphDocAddNode, OnAnEmptyDocTheDeltaIsTheWholeState) {
  GraphDoc doc(kAlice);
  GraphDoc delta = applied(doc.add_node(sized_box_node()));
  EXPECT_EQ(delta, doc);
}

TEST(GraphDocAddNode, EachTransactionTakesTheNextDotAndALargerStamp) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(default_node("a")));
  applied(doc.add_node(default_node("b")));
  const EntityState* b = doc.find(EntityKind::node, "b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dots, (DotSet{{kAlice, 2}}));
  EXPECT_EQ(b->fields.find(FieldKey::top("type"))->reg.stamp, (Stamp{2, kAlice, 2}));
}

TEST(GraphDocAddNode, ANodeWithOnlyAnIdIsPresentWithNoFields) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "bare"}}));
  EXPECT_TRUE(doc.has_node("bare"));
  EXPECT_TRUE(doc.find(EntityKind::node, "bare")->fields.empty());
}

TEST(GraphDocAddNode, NullIsAFieldValueNotARemoval) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "n"}, {"parentId", nullptr}, {"data", {{"note", nullptr}}}}));
  const EntityState* node = doc.find(EntityKind::node, "n");
  ASSERT_NE(node->fields.get(FieldKey::top("parentId")), nullptr);
  EXPECT_EQ(node->fields.get(FieldKey::top("parentId"))->kind(), crdt::FieldValue::Kind::null);
  ASSERT_NE(node->fields.get(FieldKey::data("note")), nullptr);
}

TEST(GraphDocAddNode, AnIdOfExactlyTheLimitIsAccepted) {
  GraphDoc doc(kAlice);
  const std::string id(limits::kMaxIdBytes, 'n');
  applied(doc.add_node(Json{{"id", id}}));
  EXPECT_TRUE(doc.has_node(id));
}

TEST(GraphDocAddNode, ExactlyTheFieldLimitIsAccepted) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity)));
  EXPECT_EQ(doc.find(EntityKind::node, "n")->fields.size(), limits::kMaxFieldsPerEntity);
}

TEST(GraphDocAddNode, RejectsANonObjectAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  for (const Json& not_an_object : {Json::array({"id", "x"}), Json("x"), Json(nullptr), Json(3)}) {
    EXPECT_TRUE(fails_with(doc.add_node(not_an_object), ErrorCode::invalid_argument))
        << not_an_object.dump();
  }
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsAMissingOrNonStringIdAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"type", "box"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", 7}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", nullptr}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsAnEmptyIdAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", ""}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsAnIdPastTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  const std::string id(limits::kMaxIdBytes + 1, 'n');
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", id}}), ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsNonObjectDataAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {"data", Json::array({1})}}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(doc.add_node(Json{{"id", "n"}, {"data", "label"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(doc.add_node(Json{{"id", "n"}, {"data", nullptr}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsAPresentIdAsAlreadyExists) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(default_node("a")), ErrorCode::already_exists));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsAFieldNamePastTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  const std::string name(limits::kMaxFieldNameBytes + 1, 'f');
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {name, 1}}), ErrorCode::limit_exceeded));
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {"data", {{name, 1}}}}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, AcceptsAFieldNameOfExactlyTheLimit) {
  GraphDoc doc(kAlice);
  const std::string name(limits::kMaxFieldNameBytes, 'f');
  applied(doc.add_node(Json{{"id", "n"}, {name, 1}, {"data", {{name, 2}}}}));
  EXPECT_EQ(doc.find(EntityKind::node, "n")->fields.size(), 2u);
}

TEST(GraphDocAddNode, RejectsMoreFieldsThanTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity + 1)),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, CountsEveryValueTowardsTheDepthLimit) {
  // A field value is depth 1; each enclosing array or object adds one.
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "deepest"}, {"value", nested_arrays(limits::kMaxValueDepth)}}));
  Json scalar_inside = 1;
  for (std::size_t level = 1; level < limits::kMaxValueDepth; ++level) {
    scalar_inside = Json::array({scalar_inside});
  }
  applied(doc.add_node(Json{{"id", "scalar"}, {"value", scalar_inside}}));
  EXPECT_TRUE(doc.has_node("deepest"));
  EXPECT_TRUE(doc.has_node("scalar"));
}

TEST(GraphDocAddNode, RejectsAValueNestedPastTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  const Json too_deep = nested_arrays(limits::kMaxValueDepth + 1);
  EXPECT_TRUE(
      fails_with(doc.add_node(Json{{"id", "n"}, {"value", too_deep}}), ErrorCode::limit_exceeded));
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {"data", {{"value", too_deep}}}}),
                         ErrorCode::limit_exceeded));
  Json scalar_too_deep = 1;
  for (std::size_t level = 1; level <= limits::kMaxValueDepth; ++level) {
    scalar_too_deep = Json::array({scalar_too_deep});
  }
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {"value", scalar_too_deep}}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, AcceptsAStringOfExactlyTheLimitAndRejectsALongerOne) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(
      Json{{"id", "n"}, {"data", {{"text", std::string(limits::kMaxStringBytes, 'x')}}}}));
  const GraphDoc before = doc;
  const Json too_long = std::string(limits::kMaxStringBytes + 1, 'x');
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "m"}, {"data", {{"text", too_long}}}}),
                         ErrorCode::limit_exceeded));
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "m"}, {"list", Json::array({too_long})}}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, AcceptsAContainerOfExactlyTheLimitAndRejectsALargerOne) {
  GraphDoc doc(kAlice);
  Json full = Json::array();
  for (std::size_t i = 0; i < limits::kMaxContainerElements; ++i)
    full.push_back(0);
  applied(doc.add_node(Json{{"id", "n"}, {"points", full}}));
  const GraphDoc before = doc;
  full.push_back(0);
  EXPECT_TRUE(
      fails_with(doc.add_node(Json{{"id", "m"}, {"points", full}}), ErrorCode::limit_exceeded));
  Json wide = Json::object();
  for (std::size_t i = 0; i <= limits::kMaxContainerElements; ++i)
    wide[std::to_string(i)] = 0;
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "m"}, {"data", {{"table", wide}}}}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsNonFiniteNumbersAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(
      doc.add_node(Json{{"id", "n"}, {"width", std::numeric_limits<double>::quiet_NaN()}}),
      ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(
      doc.add_node(Json{{"id", "n"}, {"data", {{"x", std::numeric_limits<double>::infinity()}}}}),
      ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, RejectsBinaryValuesAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_node(Json{{"id", "n"}, {"blob", Json::binary({1, 2, 3})}}),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddNode, ADocWithoutAReplicaCannotMutate) {
  GraphDoc received;
  received.join(two_nodes_and_an_edge());
  const GraphDoc before = received;
  EXPECT_TRUE(fails_with(received.add_node(default_node("n")), ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(received.update_node_fields("a", {{"width", 1}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.set_node_data("a", {{"k", 1}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.remove_node_fields("a", {FieldKey::top("type")}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.remove_node("a"), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.add_edge(edge("b-a", "b", "a")), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.update_edge_fields("a-b", {{"label", "x"}}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.remove_edge_fields("a-b", {FieldKey::top("type")}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(received.remove_edge("a-b"), ErrorCode::invalid_argument));
  expect_unchanged(received, before);
}

// --- Re-adding a removed node ---

TEST(GraphDocAddNode, ARemovedIdCanBeAddedAgain) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.remove_node("box"));
  applied(doc.add_node(sized_box_node()));
  EXPECT_TRUE(doc.has_node("box"));
  EXPECT_EQ(doc.find(EntityKind::node, "box")->dots, (DotSet{{kAlice, 3}}));
}

TEST(GraphDocAddNode, AReAddedNodeIsExactlyTheNewObject) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.remove_node("box"));
  GraphDoc delta =
      applied(doc.add_node(Json{{"id", "box"}, {"type", "sphere"}, {"data", {{"radius", 2}}}}));
  EXPECT_EQ(node_view(doc, "box"),
            (Json{{"id", "box"}, {"type", "sphere"}, {"data", {{"radius", 2}}}}));
  // The old fields the new object lacks are tombstoned by the re-add itself,
  // so the delta alone carries the removal to every replica.
  const EntityState* in_delta = delta.find(EntityKind::node, "box");
  ASSERT_NE(in_delta, nullptr);
  for (FieldKey key :
       {FieldKey::top("position"), FieldKey::data("label"), FieldKey::data("width")}) {
    ASSERT_NE(in_delta->fields.find(key), nullptr) << to_string(key);
    EXPECT_TRUE(in_delta->fields.find(key)->is_tombstone()) << to_string(key);
  }
}

// --- update_node_fields ---

TEST(GraphDocUpdateNodeFields, WritesTheGivenFieldsAndLeavesTheOthersAlone) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.update_node_fields("box", {{"width", 120}, {"type", "group"}}));
  EXPECT_EQ(node_view(doc, "box"), (Json{{"id", "box"},
                                         {"type", "group"},
                                         {"width", 120},
                                         {"position", {{"x", 0}, {"y", 0}}},
                                         {"data", {{"label", "Box"}, {"width", 1.5}}}}));
}

TEST(GraphDocUpdateNodeFields, TakesDataKeyByKey) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.update_node_fields("box", {{"data", {{"label", "Renamed"}}}}));
  EXPECT_EQ(node_view(doc, "box")["data"], (Json{{"label", "Renamed"}, {"width", 1.5}}));
}

TEST(GraphDocUpdateNodeFields, ReplacesThePositionAsOneValue) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.update_node_fields("box", {{"position", {{"x", 5}}}}));
  EXPECT_EQ(node_view(doc, "box")["position"], (Json{{"x", 5}}));
}

TEST(GraphDocUpdateNodeFields, ReturnsADeltaOfTheWrittenFieldsUnderOneNewStamp) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  GraphDoc delta = applied(doc.update_node_fields("box", {{"width", 3}, {"data", {{"k", 1}}}}));
  const EntityState* node = delta.find(EntityKind::node, "box");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(field_keys(*node),
            (std::vector<FieldKey>{FieldKey::top("width"), FieldKey::data("k")}));
  for (const auto& entry : node->fields.entries()) {
    EXPECT_EQ(entry.reg.stamp, (Stamp{2, kAlice, 2})) << to_string(entry.key);
  }
  EXPECT_EQ(delta.context().dot_count(), 1u);
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 2}));
  EXPECT_TRUE(delta.nodes().size() == 1 && delta.edges().empty());
}

TEST(GraphDocUpdateNodeFields, MayRepeatTheNodesOwnId) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.update_node_fields("box", {{"id", "box"}, {"width", 3}}));
  EXPECT_EQ(node_view(doc, "box")["width"], 3);
}

TEST(GraphDocUpdateNodeFields, AnEmptyPatchIsAnEmptyDeltaAndTakesNoDot) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  const GraphDoc before = doc;
  for (const Json& patch : {Json::object(), Json{{"id", "box"}}, Json{{"data", Json::object()}}}) {
    GraphDoc delta = applied(doc.update_node_fields("box", patch));
    EXPECT_TRUE(delta.empty()) << patch.dump();
  }
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateNodeFields, RejectsAnUnknownOrRemovedNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_node(default_node("gone")));
  applied(doc.remove_node("gone"));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.update_node_fields("never", {{"width", 1}}), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.update_node_fields("gone", {{"width", 1}}), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.update_node_fields("a-b", {{"width", 1}}), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateNodeFields, RejectsAnotherIdAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", {{"id", "b"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", {{"id", 1}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateNodeFields, RejectsANonObjectPatchOrDataAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", Json::array()), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", Json(nullptr)), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", {{"data", 5}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateNodeFields, RejectsInvalidValuesAndNamesLikeAdd) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  const std::string long_name(limits::kMaxFieldNameBytes + 1, 'f');
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", {{long_name, 1}}), ErrorCode::limit_exceeded));
  EXPECT_TRUE(
      fails_with(doc.update_node_fields("a", {{"deep", nested_arrays(limits::kMaxValueDepth + 1)}}),
                 ErrorCode::limit_exceeded));
  EXPECT_TRUE(
      fails_with(doc.update_node_fields("a", {{"width", std::numeric_limits<double>::quiet_NaN()}}),
                 ErrorCode::invalid_argument));
  // One bad member fails the whole patch: the good one is not written either.
  EXPECT_TRUE(fails_with(doc.update_node_fields("a", {{"width", 10}, {long_name, 1}}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateNodeFields, RejectsANewFieldPastTheFieldLimitButOverwritesExistingOnes) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity)));
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.update_node_fields("n", {{"type", "full"}}), ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
  applied(doc.update_node_fields("n", {{"data", {{"k0", "overwritten"}}}}));
  EXPECT_EQ(doc.find(EntityKind::node, "n")->fields.get(FieldKey::data("k0"))->to_json(),
            "overwritten");
}

TEST(GraphDocUpdateNodeFields, TombstonesCountTowardsTheFieldLimit) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity)));
  applied(doc.remove_node_fields("n", {FieldKey::data("k0")}));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.set_node_data("n", {{"fresh", 1}}), ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

// --- set_node_data ---

TEST(GraphDocSetNodeData, WritesTheGivenDataKeysAndLeavesTheOthersAlone) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.set_node_data("box", {{"width", 2.5}, {"depth", 4}}));
  EXPECT_EQ(node_view(doc, "box")["data"], (Json{{"label", "Box"}, {"width", 2.5}, {"depth", 4}}));
  EXPECT_EQ(node_view(doc, "box")["type"], "box");
}

TEST(GraphDocSetNodeData, KeysNamedLikeTopLevelFieldsStayInData) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.set_node_data("box", {{"id", "inner"}, {"type", "inner"}}));
  Json view = node_view(doc, "box");
  EXPECT_EQ(view["id"], "box");
  EXPECT_EQ(view["type"], "box");
  EXPECT_EQ(view["data"]["id"], "inner");
  EXPECT_EQ(view["data"]["type"], "inner");
}

TEST(GraphDocSetNodeData, ReturnsADeltaOfDataFieldsOnly) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  GraphDoc delta = applied(doc.set_node_data("box", {{"label", "New"}}));
  const EntityState* node = delta.find(EntityKind::node, "box");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(field_keys(*node), (std::vector<FieldKey>{FieldKey::data("label")}));
}

TEST(GraphDocSetNodeData, AnEmptyObjectIsAnEmptyDelta) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  const GraphDoc before = doc;
  EXPECT_TRUE(applied(doc.set_node_data("box", Json::object())).empty());
  expect_unchanged(doc, before);
}

TEST(GraphDocSetNodeData, RejectsNonObjectDataAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.set_node_data("a", Json::array()), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.set_node_data("a", Json("label")), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocSetNodeData, RejectsAnAbsentNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.set_node_data("never", {{"k", 1}}), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocSetNodeData, RejectsKeysAndValuesPastTheLimitsAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.set_node_data("a", {{std::string(limits::kMaxFieldNameBytes + 1, 'k'), 1}}),
                 ErrorCode::limit_exceeded));
  EXPECT_TRUE(
      fails_with(doc.set_node_data("a", {{"text", std::string(limits::kMaxStringBytes + 1, 'x')}}),
                 ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

// --- set_node_data_value ---

TEST(GraphDocSetNodeDataValue, WritesOneDataKeyAndLeavesTheOthersAlone) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  GraphDoc delta = applied(doc.set_node_data_value("box", "width", Json(2.5)));
  EXPECT_EQ(node_view(doc, "box")["data"], (Json{{"label", "Box"}, {"width", 2.5}}));
  const EntityState* in_delta = delta.find(EntityKind::node, "box");
  ASSERT_NE(in_delta, nullptr);
  EXPECT_EQ(field_keys(*in_delta), (std::vector<FieldKey>{FieldKey::data("width")}));
  EXPECT_EQ(in_delta->fields.find(FieldKey::data("width"))->reg.stamp, (Stamp{2, kAlice, 2}));
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 2}));
}

TEST(GraphDocSetNodeDataValue, EqualsSetNodeDataOfOneKey) {
  GraphDoc by_value(kAlice);
  applied(by_value.add_node(sized_box_node()));
  GraphDoc by_object = by_value;
  GraphDoc value_delta = applied(by_value.set_node_data_value("box", "note", Json::array({1, 2})));
  GraphDoc object_delta = applied(by_object.set_node_data("box", {{"note", Json::array({1, 2})}}));
  EXPECT_EQ(value_delta, object_delta);
  EXPECT_EQ(by_value, by_object);
}

TEST(GraphDocSetNodeDataValue, ANullValueIsStoredNotRemoved) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.set_node_data_value("box", "label", Json(nullptr)));
  EXPECT_TRUE(node_view(doc, "box")["data"].contains("label"));
  EXPECT_TRUE(node_view(doc, "box")["data"]["label"].is_null());
}

TEST(GraphDocSetNodeDataValue, RejectsAnAbsentNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.set_node_data_value("never", "k", 1), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.set_node_data_value("a-b", "k", 1), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocSetNodeDataValue, RejectsBadKeysAndValues) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.set_node_data_value("a", std::string(limits::kMaxFieldNameBytes + 1, 'k'), 1),
                 ErrorCode::limit_exceeded));
  EXPECT_TRUE(
      fails_with(doc.set_node_data_value("a", "k", nested_arrays(limits::kMaxValueDepth + 1)),
                 ErrorCode::limit_exceeded));
  EXPECT_TRUE(
      fails_with(doc.set_node_data_value("a", "k", std::numeric_limits<double>::quiet_NaN()),
                 ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.set_node_data_value("a", "k", Json::binary({1})),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocSetNodeDataValue, RejectsANewKeyPastTheFieldLimit) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity)));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.set_node_data_value("n", "fresh", 1), ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
  applied(doc.set_node_data_value("n", "k0", 1));
}

TEST(GraphDocSetNodeDataValue, ADocWithoutAReplicaCannotMutate) {
  GraphDoc received;
  received.join(two_nodes_and_an_edge());
  const GraphDoc before = received;
  EXPECT_TRUE(fails_with(received.set_node_data_value("a", "k", 1), ErrorCode::invalid_argument));
  expect_unchanged(received, before);
}

// --- remove_node_fields ---

TEST(GraphDocRemoveNodeFields, RemovesTopLevelFieldsAndDataKeysFromTheView) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.remove_node_fields("box", {FieldKey::top("position"), FieldKey::data("width")}));
  EXPECT_EQ(node_view(doc, "box"),
            (Json{{"id", "box"}, {"type", "box"}, {"data", {{"label", "Box"}}}}));
}

TEST(GraphDocRemoveNodeFields, LeavesStampedTombstones) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  GraphDoc delta = applied(doc.remove_node_fields("box", {FieldKey::data("label")}));
  const auto* entry = doc.find(EntityKind::node, "box")->fields.find(FieldKey::data("label"));
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->is_tombstone());
  EXPECT_EQ(entry->reg.stamp, (Stamp{2, kAlice, 2}));
  const EntityState* in_delta = delta.find(EntityKind::node, "box");
  ASSERT_NE(in_delta, nullptr);
  ASSERT_EQ(in_delta->fields.size(), 1u);
  EXPECT_TRUE(in_delta->fields.entries()[0].is_tombstone());
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 2}));
}

TEST(GraphDocRemoveNodeFields, RemovingAFieldNeverWrittenStillTombstonesIt) {
  // A concurrent write of that field with a smaller stamp must lose.
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  GraphDoc delta = applied(doc.remove_node_fields("box", {FieldKey::top("hidden")}));
  ASSERT_NE(delta.find(EntityKind::node, "box"), nullptr);
  EXPECT_TRUE(
      delta.find(EntityKind::node, "box")->fields.find(FieldKey::top("hidden"))->is_tombstone());
  EXPECT_FALSE(node_view(doc, "box").contains("hidden"));
}

TEST(GraphDocRemoveNodeFields, NoKeysIsAnEmptyDelta) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  const GraphDoc before = doc;
  EXPECT_TRUE(applied(doc.remove_node_fields("box", {})).empty());
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveNodeFields, RejectsAnAbsentNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.remove_node_fields("never", {FieldKey::top("type")}), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveNodeFields, RejectsIdAndDataAsTopLevelFieldsAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.remove_node_fields("a", {FieldKey::top("id")}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.remove_node_fields("a", {FieldKey::top("data")}),
                         ErrorCode::invalid_argument));
  // One bad key fails the whole removal.
  EXPECT_TRUE(fails_with(doc.remove_node_fields("a", {FieldKey::top("type"), FieldKey::top("id")}),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveNodeFields, DataKeysNamedIdOrDataAreOrdinaryFields) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "n"}, {"data", {{"id", 1}, {"data", 2}}}}));
  applied(doc.remove_node_fields("n", {FieldKey::data("id"), FieldKey::data("data")}));
  EXPECT_EQ(node_view(doc, "n"), (Json{{"id", "n"}, {"data", Json::object()}}));
}

TEST(GraphDocRemoveNodeFields, RejectsANamePastTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_node_fields("a", {FieldKey::data(std::string(
                                                         limits::kMaxFieldNameBytes + 1, 'k'))}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveNodeFields, RejectsANewTombstonePastTheFieldLimit) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity)));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_node_fields("n", {FieldKey::data("not-there")}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
  applied(doc.remove_node_fields("n", {FieldKey::data("k1")}));
}

// --- remove_node ---

TEST(GraphDocRemoveNode, MakesTheNodeAbsentAndKeepsItsFields) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(sized_box_node()));
  applied(doc.remove_node("box"));
  EXPECT_FALSE(doc.has_node("box"));
  EXPECT_TRUE(node_view(doc, "box").is_null());
  const EntityState* node = doc.find(EntityKind::node, "box");
  ASSERT_NE(node, nullptr);
  EXPECT_FALSE(node->present());
  EXPECT_EQ(node->fields.size(), 4u);
  EXPECT_TRUE(doc.context().contains(Dot{kAlice, 1}));
}

TEST(GraphDocRemoveNode, ANodeWithoutFieldsLeavesNoEntityBehind) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "bare"}}));
  applied(doc.remove_node("bare"));
  EXPECT_EQ(doc.find(EntityKind::node, "bare"), nullptr);
  EXPECT_FALSE(doc.empty());
}

TEST(GraphDocRemoveNode, ReturnsADeltaWhoseContextHoldsTheRemovedDots) {
  GraphDoc doc = two_nodes_and_an_edge();
  GraphDoc delta = applied(doc.remove_node("a"));
  EXPECT_TRUE(delta.nodes().empty());
  EXPECT_TRUE(delta.edges().empty());
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 1}));   // node a
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 3}));   // edge a-b
  EXPECT_FALSE(delta.context().contains(Dot{kAlice, 2}));  // node b stays
}

TEST(GraphDocRemoveNode, RemovesTheEdgesAttachedToTheNode) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_node(default_node("c")));
  applied(doc.add_edge(edge("c-a", "c", "a")));
  applied(doc.add_edge(edge("b-c", "b", "c")));
  applied(doc.remove_node("a"));
  EXPECT_FALSE(doc.has_edge("a-b"));
  EXPECT_FALSE(doc.has_edge("c-a"));
  EXPECT_TRUE(doc.has_edge("b-c"));
}

TEST(GraphDocRemoveNode, AlsoRemovesAttachedEdgesThatAreHidden) {
  // e joins a and b; b is removed by Bob while Alice adds e, so e is present
  // but hidden. Removing a must still take e.
  GraphDoc alice(kAlice);
  GraphDoc bob(kBob);
  bob.join(applied(alice.add_node(default_node("a"))));
  bob.join(applied(alice.add_node(default_node("b"))));
  GraphDoc edge_added = applied(alice.add_edge(edge("e", "a", "b")));
  alice.join(applied(bob.remove_node("b")));
  ASSERT_TRUE(alice.has_edge("e"));
  applied(alice.remove_node("a"));
  EXPECT_FALSE(alice.has_edge("e"));
}

TEST(GraphDocRemoveNode, FollowsEdgesToTheirCurrentEndpoints) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_node(default_node("c")));
  applied(doc.update_edge_fields("a-b", {{"target", "c"}}));
  applied(doc.remove_node("b"));
  EXPECT_TRUE(doc.has_edge("a-b"));
  applied(doc.remove_node("c"));
  EXPECT_FALSE(doc.has_edge("a-b"));
}

TEST(GraphDocRemoveNode, FollowsEndpointsChangedByAJoinedDelta) {
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc bob(kBob);
  bob.join(alice);
  bob.join(applied(alice.add_node(default_node("c"))));
  bob.join(applied(alice.update_edge_fields("a-b", {{"source", "c"}})));
  GraphDoc copy = bob;
  applied(bob.remove_node("a"));
  EXPECT_TRUE(bob.has_edge("a-b"));
  applied(bob.remove_node("c"));
  EXPECT_FALSE(bob.has_edge("a-b"));
  // A copy rebuilds its index from the state.
  applied(copy.remove_node("c"));
  EXPECT_FALSE(copy.has_edge("a-b"));
}

// Two node ids with one EntityMap::hash_of, the key of the endpoint index.
std::pair<std::string, std::string> ids_sharing_a_hash() {
  std::unordered_map<std::uint32_t, std::string> seen;
  for (std::uint32_t i = 0;; ++i) {
    std::string id = "n" + std::to_string(i);
    auto [it, fresh] = seen.try_emplace(EntityMap::hash_of(id), id);
    if (!fresh) return {it->second, id};
  }
}

TEST(GraphDocRemoveNode, TakesOnlyItsOwnEdgesWhenAnotherNodeIdSharesItsHash) {
  const auto [p, q] = ids_sharing_a_hash();
  ASSERT_NE(p, q);
  ASSERT_EQ(EntityMap::hash_of(p), EntityMap::hash_of(q));
  GraphDoc doc(kAlice);
  for (const std::string& id : {p, q, std::string("r")})
    applied(doc.add_node(default_node(id)));
  applied(doc.add_edge(edge("p-r", p, "r")));
  applied(doc.add_edge(edge("q-r", q, "r")));
  applied(doc.add_edge(edge("p-q", p, q)));  // one index entry for both ends
  GraphDoc copy = doc;                       // rebuilt index
  for (GraphDoc* replica : {&doc, &copy}) {
    applied(replica->remove_node(q));
    EXPECT_TRUE(replica->has_edge("p-r"));
    EXPECT_FALSE(replica->has_edge("q-r"));
    EXPECT_FALSE(replica->has_edge("p-q"));
  }
  // Re-pointing p-r's source from p to q and back keeps it listed under the
  // shared hash exactly once: removing p still takes it.
  applied(doc.add_node(default_node(q)));
  applied(doc.update_edge_fields("p-r", {{"source", q}}));
  applied(doc.update_edge_fields("p-r", {{"source", p}, {"target", q}}));
  applied(doc.update_edge_fields("p-r", {{"target", "r"}}));
  applied(doc.remove_node(q));
  EXPECT_TRUE(doc.has_edge("p-r"));
  applied(doc.remove_node(p));
  EXPECT_FALSE(doc.has_edge("p-r"));
}

TEST(GraphDocRemoveNode, RejectsAnUnknownOrAlreadyRemovedNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.remove_node("a"));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_node("a"), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.remove_node("never"), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.remove_node("a-b"), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

// --- add_edge ---

TEST(GraphDocAddEdge, MakesTheEdgePresentWithItsFieldsAndDataKeys) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_edge(Json{{"id", "b-a"},
                            {"source", "b"},
                            {"target", "a"},
                            {"sourceHandle", "out"},
                            {"type", "smoothstep"},
                            {"data", {{"weight", 2}}}}));
  EXPECT_TRUE(doc.has_edge("b-a"));
  EXPECT_EQ(field_keys(*doc.find(EntityKind::edge, "b-a")),
            (std::vector<FieldKey>{FieldKey::top("source"), FieldKey::top("sourceHandle"),
                                   FieldKey::top("target"), FieldKey::top("type"),
                                   FieldKey::data("weight")}));
}

TEST(GraphDocAddEdge, ReturnsADeltaHoldingJustTheEdgeAndItsDot) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(default_node("a")));
  applied(doc.add_node(default_node("b")));
  GraphDoc delta = applied(doc.add_edge(edge("a-b", "a", "b")));
  EXPECT_TRUE(delta.nodes().empty());
  EXPECT_EQ(delta.edges().size(), 1u);
  EXPECT_EQ(delta.find(EntityKind::edge, "a-b")->dots, (DotSet{{kAlice, 3}}));
  EXPECT_EQ(delta.context().dot_count(), 1u);
}

TEST(GraphDocAddEdge, ASelfLoopIsAnEdge) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_edge(edge("a-a", "a", "a")));
  EXPECT_TRUE(doc.has_edge("a-a"));
}

TEST(GraphDocAddEdge, RejectsAMissingOrNonStringEndpointAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.add_edge(Json{{"id", "e"}, {"target", "a"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(doc.add_edge(Json{{"id", "e"}, {"source", "a"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_edge(Json{{"id", "e"}, {"source", 1}, {"target", "a"}}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_edge(Json{{"id", "e"}, {"source", "a"}, {"target", nullptr}}),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddEdge, RejectsAnEndpointThatIsNotAPresentNodeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_node(default_node("gone")));
  applied(doc.remove_node("gone"));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_edge(edge("e", "a", "never")), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.add_edge(edge("e", "never", "a")), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.add_edge(edge("e", "gone", "a")), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.add_edge(edge("e", "a", "a-b")), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddEdge, RejectsAPresentIdAsAlreadyExists) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_edge(edge("a-b", "b", "a")), ErrorCode::already_exists));
  expect_unchanged(doc, before);
}

TEST(GraphDocAddEdge, RejectsBadIdsDataAndValuesLikeAddNode) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.add_edge(Json::array()), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_edge(Json{{"source", "a"}, {"target", "b"}}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_edge(edge("", "a", "b")), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.add_edge(edge(std::string(limits::kMaxIdBytes + 1, 'e'), "a", "b")),
                         ErrorCode::limit_exceeded));
  Json bad_data = edge("e", "a", "b");
  bad_data["data"] = Json::array();
  EXPECT_TRUE(fails_with(doc.add_edge(bad_data), ErrorCode::invalid_argument));
  Json deep = edge("e", "a", "b");
  deep["label"] = nested_arrays(limits::kMaxValueDepth + 1);
  EXPECT_TRUE(fails_with(doc.add_edge(deep), ErrorCode::limit_exceeded));
  Json wide = edge("e", "a", "b");
  for (std::size_t i = 0; i < limits::kMaxFieldsPerEntity; ++i) {
    wide["data"]["k" + std::to_string(i)] = 0;
  }
  EXPECT_TRUE(fails_with(doc.add_edge(wide), ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

// --- update_edge_fields ---

TEST(GraphDocUpdateEdgeFields, WritesTheGivenFieldsAndDataKeys) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.update_edge_fields("a-b", {{"label", "flows"}, {"data", {{"weight", 3}}}}));
  EXPECT_EQ(edge_view(doc, "a-b"), (Json{{"id", "a-b"},
                                         {"source", "a"},
                                         {"target", "b"},
                                         {"label", "flows"},
                                         {"data", {{"weight", 3}}}}));
}

TEST(GraphDocUpdateEdgeFields, MovesAnEndpointToAnotherPresentNode) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_node(default_node("c")));
  applied(doc.update_edge_fields("a-b", {{"target", "c"}}));
  EXPECT_EQ(edge_view(doc, "a-b")["target"], "c");
}

TEST(GraphDocUpdateEdgeFields, AnEmptyPatchIsAnEmptyDelta) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(applied(doc.update_edge_fields("a-b", Json::object())).empty());
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateEdgeFields, RejectsAnEndpointThatIsNotAPresentNode) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.update_edge_fields("a-b", {{"target", "never"}}), ErrorCode::not_found));
  EXPECT_TRUE(
      fails_with(doc.update_edge_fields("a-b", {{"source", 5}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.update_edge_fields("a-b", {{"label", "x"}, {"source", nullptr}}),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateEdgeFields, RejectsAnAbsentEdgeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.add_edge(edge("gone", "b", "a")));
  applied(doc.remove_edge("gone"));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.update_edge_fields("never", {{"label", "x"}}), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.update_edge_fields("gone", {{"label", "x"}}), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.update_edge_fields("a", {{"label", "x"}}), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocUpdateEdgeFields, RejectsBadPatchesAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.update_edge_fields("a-b", Json("x")), ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(doc.update_edge_fields("a-b", {{"id", "other"}}), ErrorCode::invalid_argument));
  EXPECT_TRUE(
      fails_with(doc.update_edge_fields("a-b", {{"data", 1}}), ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

// --- remove_edge_fields ---

TEST(GraphDocRemoveEdgeFields, RemovesFieldsFromTheView) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.update_edge_fields("a-b", {{"label", "x"}, {"data", {{"weight", 1}}}}));
  applied(doc.remove_edge_fields("a-b", {FieldKey::top("label"), FieldKey::data("weight")}));
  EXPECT_EQ(edge_view(doc, "a-b"), (Json{{"id", "a-b"}, {"source", "a"}, {"target", "b"}}));
}

TEST(GraphDocRemoveEdgeFields, RejectsRemovingAnEndpointAsInvalidArgument) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_edge_fields("a-b", {FieldKey::top("source")}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.remove_edge_fields("a-b", {FieldKey::top("target")}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.remove_edge_fields("a-b", {FieldKey::top("id")}),
                         ErrorCode::invalid_argument));
  EXPECT_TRUE(fails_with(doc.remove_edge_fields("a-b", {FieldKey::top("data")}),
                         ErrorCode::invalid_argument));
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveEdgeFields, DataKeysNamedSourceOrTargetAreOrdinaryFields) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.update_edge_fields("a-b", {{"data", {{"source", "s"}}}}));
  applied(doc.remove_edge_fields("a-b", {FieldKey::data("source")}));
  EXPECT_EQ(edge_view(doc, "a-b"), (Json{{"id", "a-b"}, {"source", "a"}, {"target", "b"}}));
}

TEST(GraphDocRemoveEdgeFields, RejectsAnAbsentEdgeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(
      fails_with(doc.remove_edge_fields("never", {FieldKey::top("label")}), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

TEST(GraphDocRemoveEdgeFields, RejectsANamePastTheLimitAsLimitExceeded) {
  GraphDoc doc = two_nodes_and_an_edge();
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_edge_fields("a-b", {FieldKey::top(std::string(
                                                           limits::kMaxFieldNameBytes + 1, 'l'))}),
                         ErrorCode::limit_exceeded));
  expect_unchanged(doc, before);
}

// --- remove_edge ---

TEST(GraphDocRemoveEdge, MakesTheEdgeAbsentAndLeavesItsNodes) {
  GraphDoc doc = two_nodes_and_an_edge();
  GraphDoc delta = applied(doc.remove_edge("a-b"));
  EXPECT_FALSE(doc.has_edge("a-b"));
  EXPECT_TRUE(doc.has_node("a"));
  EXPECT_TRUE(doc.has_node("b"));
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 3}));
  EXPECT_FALSE(delta.context().contains(Dot{kAlice, 1}));
}

TEST(GraphDocRemoveEdge, ARemovedEdgeIdCanBeAddedAgain) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.update_edge_fields("a-b", {{"label", "old"}}));
  applied(doc.remove_edge("a-b"));
  applied(doc.add_edge(edge("a-b", "b", "a")));
  EXPECT_EQ(edge_view(doc, "a-b"), (Json{{"id", "a-b"}, {"source", "b"}, {"target", "a"}}));
}

TEST(GraphDocRemoveEdge, RejectsAnUnknownOrAlreadyRemovedEdgeAsNotFound) {
  GraphDoc doc = two_nodes_and_an_edge();
  applied(doc.remove_edge("a-b"));
  const GraphDoc before = doc;
  EXPECT_TRUE(fails_with(doc.remove_edge("a-b"), ErrorCode::not_found));
  EXPECT_TRUE(fails_with(doc.remove_edge("a"), ErrorCode::not_found));
  expect_unchanged(doc, before);
}

// --- join ---

TEST(GraphDocJoin, JoiningEveryDeltaRebuildsTheState) {
  GraphDoc alice(kAlice);
  std::vector<GraphDoc> deltas;
  deltas.push_back(applied(alice.add_node(sized_box_node())));
  deltas.push_back(applied(alice.add_node(default_node("b"))));
  deltas.push_back(applied(alice.add_edge(edge("e", "box", "b"))));
  deltas.push_back(applied(alice.set_node_data("box", {{"label", "Renamed"}})));
  deltas.push_back(applied(alice.remove_node_fields("b", {FieldKey::top("type")})));
  deltas.push_back(applied(alice.remove_edge("e")));
  deltas.push_back(applied(alice.remove_node("b")));
  GraphDoc bob(kBob);
  for (const GraphDoc& delta : deltas)
    bob.join(delta);
  EXPECT_EQ(bob, alice);
  EXPECT_EQ(graph_view(bob), graph_view(alice));
}

TEST(GraphDocJoin, DeltasJoinedInReverseOrderGiveTheSameState) {
  GraphDoc alice(kAlice);
  std::vector<GraphDoc> deltas;
  deltas.push_back(applied(alice.add_node(sized_box_node())));
  deltas.push_back(applied(alice.update_node_fields("box", {{"width", 5}})));
  deltas.push_back(applied(alice.add_node(default_node("b"))));
  deltas.push_back(applied(alice.add_edge(edge("e", "box", "b"))));
  deltas.push_back(applied(alice.remove_node("box")));
  deltas.push_back(applied(alice.add_node(default_node("box"))));
  GraphDoc bob(kBob);
  for (auto delta = deltas.rbegin(); delta != deltas.rend(); ++delta)
    bob.join(*delta);
  EXPECT_EQ(bob, alice);
  EXPECT_EQ(graph_view(bob), graph_view(alice));
}

TEST(GraphDocJoin, AnUpdateArrivingBeforeItsAddWaitsForTheAdd) {
  GraphDoc alice(kAlice);
  GraphDoc add = applied(alice.add_node(sized_box_node()));
  GraphDoc update = applied(alice.update_node_fields("box", {{"width", 9}}));
  GraphDoc bob(kBob);
  bob.join(update);
  EXPECT_FALSE(bob.has_node("box"));
  bob.join(add);
  EXPECT_EQ(node_view(bob, "box")["width"], 9);
  EXPECT_EQ(bob, alice);
}

TEST(GraphDocJoin, ARemovalArrivingBeforeItsAddKeepsTheNodeOut) {
  GraphDoc alice(kAlice);
  GraphDoc add = applied(alice.add_node(sized_box_node()));
  GraphDoc removal = applied(alice.remove_node("box"));
  GraphDoc bob(kBob);
  bob.join(removal);
  bob.join(add);
  EXPECT_FALSE(bob.has_node("box"));
  EXPECT_EQ(bob, alice);
}

TEST(GraphDocJoin, IsIdempotent) {
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc delta = applied(alice.update_node_fields("a", {{"width", 1}}));
  GraphDoc bob(kBob);
  bob.join(alice);
  const GraphDoc once = bob;
  bob.join(alice);
  bob.join(delta);
  EXPECT_EQ(bob, once);
}

TEST(GraphDocJoin, JoiningItselfChangesNothing) {
  GraphDoc alice = two_nodes_and_an_edge();
  const GraphDoc before = alice;
  alice.join(alice);
  EXPECT_EQ(alice, before);
}

TEST(GraphDocJoin, KeepsTheReplicaIdOfTheReceiver) {
  GraphDoc bob(kBob);
  bob.join(two_nodes_and_an_edge());
  EXPECT_EQ(bob.replica(), kBob);
}

TEST(GraphDocJoin, AdvancesTheClockPastEveryStampReceived) {
  GraphDoc alice = two_nodes_and_an_edge();  // three transactions: counter 3
  GraphDoc bob(kBob);
  bob.join(alice);
  EXPECT_GE(bob.clock().counter(), 3u);
  // Bob's next write saw Alice's, so it wins although Bob's first.
  applied(bob.update_node_fields("a", {{"type", "bob"}}));
  EXPECT_EQ(bob.find(EntityKind::node, "a")->fields.find(FieldKey::top("type"))->reg.stamp,
            (Stamp{4, kBob, 1}));
}

TEST(GraphDocJoin, AWriteThatSawAnotherBeatsItEvenFromASmallerReplicaId) {
  GraphDoc alice(kAlice);
  GraphDoc bob(kBob);
  alice.join(applied(bob.add_node(sized_box_node())));
  alice.join(applied(bob.update_node_fields("box", {{"type", "bob-1"}})));
  alice.join(applied(bob.update_node_fields("box", {{"type", "bob-2"}})));
  bob.join(applied(alice.update_node_fields("box", {{"type", "alice"}})));
  EXPECT_EQ(node_view(bob, "box")["type"], "alice");
  EXPECT_EQ(node_view(alice, "box")["type"], "alice");
}

TEST(GraphDocJoin, AReceivedStateCanBeEditedByItsNewOwner) {
  GraphDoc bob(kBob);
  bob.join(two_nodes_and_an_edge());
  applied(bob.remove_node("a"));
  EXPECT_FALSE(bob.has_node("a"));
  EXPECT_FALSE(bob.has_edge("a-b"));
  applied(bob.add_node(default_node("a")));
  EXPECT_EQ(bob.find(EntityKind::node, "a")->dots, (DotSet{{kBob, 2}}));
}

TEST(GraphDocJoin, JoiningAnRvalueGivesTheSameStateAsJoiningACopy) {
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc bob(kBob);
  bob.join(alice);
  std::vector<GraphDoc> deltas;
  deltas.push_back(applied(alice.set_node_data("a", {{"k", "v"}})));
  deltas.push_back(applied(alice.update_edge_fields("a-b", {{"target", "a"}})));
  deltas.push_back(applied(alice.remove_node("b")));
  deltas.push_back(applied(bob.add_node(default_node("c"))));
  GraphDoc by_copy = bob;
  GraphDoc by_move = bob;
  for (const GraphDoc& delta : deltas) {
    by_copy.join(delta);
    by_move.join(GraphDoc(delta));
  }
  EXPECT_EQ(by_move, by_copy);
  GraphDoc whole(kBob);
  whole.join(GraphDoc(by_copy));
  EXPECT_EQ(whole, by_copy);
  // The index of edge endpoints followed the moved-in fields.
  applied(by_move.remove_node("a"));
  EXPECT_FALSE(by_move.has_edge("a-b"));
}

TEST(GraphDocJoin, JoiningAnRvalueAdvancesTheClockLikeACopy) {
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc bob(kBob);
  bob.join(GraphDoc(alice));
  EXPECT_GE(bob.clock().counter(), 3u);
}

// --- delta_since ---

// Two replicas that share a history and then diverge: Alice adds, edits and
// removes; Bob edits concurrently.
struct DivergedReplicas {
  GraphDoc alice{kAlice};
  GraphDoc bob{kBob};

  DivergedReplicas() {
    bob.join(two_nodes_and_an_edge_on(alice));
    applied(alice.set_node_data("a", {{"label", "alice"}}));
    applied(alice.add_node(default_node("c")));
    applied(alice.add_edge(edge("c-a", "c", "a")));
    applied(alice.remove_node("b"));
    applied(alice.add_node(Json{{"id", "b"}, {"width", 1}}));
    applied(alice.remove_node_fields("a", {FieldKey::top("type")}));
    applied(bob.set_node_data("a", {{"color", "red"}}));
    applied(bob.update_edge_fields("a-b", {{"label", "bob"}}));
  }

  static GraphDoc two_nodes_and_an_edge_on(GraphDoc& doc) {
    applied(doc.add_node(default_node("a")));
    applied(doc.add_node(default_node("b")));
    applied(doc.add_edge(edge("a-b", "a", "b")));
    return doc;
  }
};

TEST(GraphDocDeltaSince, JoiningItGivesTheSameStateAsJoiningTheWholeState) {
  DivergedReplicas replicas;
  GraphDoc by_delta = replicas.bob;
  by_delta.join(replicas.alice.delta_since(replicas.bob.context()));
  GraphDoc by_state = replicas.bob;
  by_state.join(replicas.alice);
  EXPECT_EQ(by_delta, by_state);
  EXPECT_EQ(graph_view(by_delta), graph_view(by_state));
}

TEST(GraphDocDeltaSince, WorksInBothDirections) {
  DivergedReplicas replicas;
  GraphDoc alice = replicas.alice;
  GraphDoc bob = replicas.bob;
  GraphDoc to_bob = alice.delta_since(bob.context());
  GraphDoc to_alice = bob.delta_since(alice.context());
  alice.join(to_alice);
  bob.join(to_bob);
  EXPECT_EQ(alice, bob);
}

TEST(GraphDocDeltaSince, CarriesOnlyFieldsWrittenByUnknownEventsAndThePresentEntities) {
  DivergedReplicas replicas;
  GraphDoc delta = replicas.alice.delta_since(replicas.bob.context());
  EXPECT_TRUE(delta.replica().is_null());
  EXPECT_EQ(delta.context(), replicas.alice.context());
  // Node a: present, and only Alice's label and type tombstone are new.
  const EntityState* a = delta.find(EntityKind::node, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dots, replicas.alice.find(EntityKind::node, "a")->dots);
  EXPECT_EQ(field_keys(*a),
            (std::vector<FieldKey>{FieldKey::top("type"), FieldKey::data("label")}));
  // Edge a-b was removed with b: absent, no new field, so not mentioned.
  EXPECT_EQ(delta.find(EntityKind::edge, "a-b"), nullptr);
}

TEST(GraphDocDeltaSince, NothingNewGivesNoFields) {
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc delta = alice.delta_since(alice.context());
  for (const auto& [id, node] : delta.nodes())
    EXPECT_TRUE(node.fields.empty()) << id;
  for (const auto& [id, e] : delta.edges())
    EXPECT_TRUE(e.fields.empty()) << id;
  GraphDoc joined = alice;
  joined.join(delta);
  EXPECT_EQ(joined, alice);
}

TEST(GraphDocDeltaSince, FromAnEmptyContextRebuildsTheWholeState) {
  DivergedReplicas replicas;
  GraphDoc fresh(ReplicaId{3});
  fresh.join(replicas.alice.delta_since(CausalContext{}));
  EXPECT_EQ(fresh, replicas.alice);
}

// --- Copies, moves and equality ---

TEST(GraphDocCopy, ACopyIsEqualAndIndependent) {
  GraphDoc original = two_nodes_and_an_edge();
  GraphDoc copy = original;
  EXPECT_EQ(copy, original);
  EXPECT_EQ(copy.replica(), original.replica());
  EXPECT_EQ(copy.clock().counter(), original.clock().counter());
  applied(copy.remove_node("a"));
  EXPECT_TRUE(original.has_node("a"));
  EXPECT_TRUE(original.has_edge("a-b"));
}

TEST(GraphDocCopy, ACopyJoinsRemovalsLikeTheOriginal) {
  // Joining a removal finds the removed dots through a per-state index; a
  // copy must have its own.
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc removal = applied(GraphDoc(alice).remove_node("a"));
  GraphDoc copied = alice;
  GraphDoc assigned(kBob);
  assigned = alice;
  alice.join(removal);
  copied.join(removal);
  assigned.join(removal);
  EXPECT_FALSE(copied.has_node("a"));
  EXPECT_FALSE(copied.has_edge("a-b"));
  EXPECT_EQ(copied, alice);
  EXPECT_EQ(assigned, alice);
}

TEST(GraphDocCopy, AMovedDocKeepsItsStateAndIndex) {
  GraphDoc alice = two_nodes_and_an_edge();
  const GraphDoc expected = alice;
  GraphDoc elsewhere = alice;
  GraphDoc edge_removal = applied(elsewhere.remove_edge("a-b"));
  GraphDoc node_removal = applied(elsewhere.remove_node("b"));
  GraphDoc moved = std::move(alice);
  EXPECT_EQ(moved, expected);
  moved.join(edge_removal);
  EXPECT_FALSE(moved.has_edge("a-b"));
  GraphDoc assigned;
  assigned = std::move(moved);
  assigned.join(node_removal);
  EXPECT_FALSE(assigned.has_node("b"));
  EXPECT_TRUE(assigned.has_node("a"));
}

TEST(GraphDocEquality, ComparesStateNotReplicaOrClock) {
  EXPECT_EQ(GraphDoc(kAlice), GraphDoc(kBob));
  GraphDoc alice = two_nodes_and_an_edge();
  GraphDoc received;
  received.join(alice);
  EXPECT_EQ(received, alice);
}

TEST(GraphDocEquality, ARemovalLeavesAStateUnequalToNeverHavingAdded) {
  GraphDoc doc(kAlice);
  applied(doc.add_node(Json{{"id", "bare"}}));
  applied(doc.remove_node("bare"));
  EXPECT_NE(doc, GraphDoc(kAlice));
  EXPECT_EQ(graph_view(doc), graph_view(GraphDoc(kAlice)));
}

// --- from_parts ---

TEST(GraphDocFromParts, RebuildsAnEqualStateWithoutAReplica) {
  GraphDoc alice = two_nodes_and_an_edge();
  applied(alice.remove_node_fields("a", {FieldKey::top("type")}));
  applied(alice.remove_node("b"));
  auto rebuilt = GraphDoc::from_parts(alice.context(), alice.nodes(), alice.edges());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, alice);
  EXPECT_TRUE(rebuilt->replica().is_null());
}

TEST(GraphDocFromParts, SetsTheClockPastEveryStamp) {
  GraphDoc alice = two_nodes_and_an_edge();
  auto rebuilt = GraphDoc::from_parts(alice.context(), alice.nodes(), alice.edges());
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_GE(rebuilt->clock().counter(), 3u);
}

TEST(GraphDocFromParts, RejectsAnEntityWithNeitherDotsNorFieldsAsMalformed) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap nodes = alice.nodes();
  nodes["empty"] = EntityState{};
  auto rebuilt = GraphDoc::from_parts(alice.context(), nodes, alice.edges());
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_EQ(rebuilt.error().code, ErrorCode::malformed);
}

TEST(GraphDocFromParts, RejectsADotOutsideTheContextAsMalformed) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap nodes = alice.nodes();
  nodes["a"].dots.push_back(Dot{kBob, 1});
  auto rebuilt = GraphDoc::from_parts(alice.context(), nodes, alice.edges());
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_EQ(rebuilt.error().code, ErrorCode::malformed);
}

TEST(GraphDocFromParts, RejectsUnsortedOrRepeatedDotsAsMalformed) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap repeated = alice.nodes();
  repeated["a"].dots = DotSet{{kAlice, 1}, {kAlice, 1}};
  EXPECT_EQ(GraphDoc::from_parts(alice.context(), repeated, alice.edges()).error().code,
            ErrorCode::malformed);
  EntityMap unsorted = alice.nodes();
  unsorted["a"].dots = DotSet{{kAlice, 2}, {kAlice, 1}};
  EXPECT_EQ(GraphDoc::from_parts(alice.context(), unsorted, alice.edges()).error().code,
            ErrorCode::malformed);
}

TEST(GraphDocFromParts, RejectsAStampOutsideTheContextAsMalformed) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap nodes = alice.nodes();
  nodes["a"].fields.merge(FieldKey::top("width"), {Json(1), Stamp{9, kBob, 1}});
  auto rebuilt = GraphDoc::from_parts(alice.context(), nodes, alice.edges());
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_EQ(rebuilt.error().code, ErrorCode::malformed);
}

TEST(GraphDocFromParts, RejectsAStampWithoutReplicaOrSeqOrBelowItsSeqAsMalformed) {
  GraphDoc alice = two_nodes_and_an_edge();
  for (Stamp bad : {Stamp{1, ReplicaId{}, 1}, Stamp{1, kAlice, 0}, Stamp{1, kAlice, 2}}) {
    EntityMap nodes = alice.nodes();
    nodes["a"].fields.merge(FieldKey::top("width"), {Json(1), bad});
    auto rebuilt = GraphDoc::from_parts(alice.context(), nodes, alice.edges());
    ASSERT_FALSE(rebuilt.ok());
    EXPECT_EQ(rebuilt.error().code, ErrorCode::malformed);
  }
}

TEST(GraphDocFromParts, RejectsIdOrDataAsATopLevelFieldAsInvalidArgument) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap nodes = alice.nodes();
  nodes["a"].fields.merge(FieldKey::top("id"), {Json("a"), Stamp{1, kAlice, 1}});
  auto rebuilt = GraphDoc::from_parts(alice.context(), nodes, alice.edges());
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_EQ(rebuilt.error().code, ErrorCode::invalid_argument);
}

TEST(GraphDocFromParts, RejectsIdsAndValuesPastTheLimits) {
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap long_id = alice.nodes();
  long_id[std::string(limits::kMaxIdBytes + 1, 'n')] = long_id["a"];
  EXPECT_EQ(GraphDoc::from_parts(alice.context(), long_id, alice.edges()).error().code,
            ErrorCode::limit_exceeded);
  EntityMap deep = alice.nodes();
  deep["a"].fields.merge(FieldKey::top("deep"),
                         {nested_arrays(limits::kMaxValueDepth + 1), Stamp{3, kAlice, 3}});
  EXPECT_EQ(GraphDoc::from_parts(alice.context(), deep, alice.edges()).error().code,
            ErrorCode::limit_exceeded);
}

TEST(GraphDocFromParts, AcceptsMoreFieldsThanOneMutationMayCreate) {
  // Concurrent additions can take a joined entity past kMaxFieldsPerEntity;
  // such a state must still decode, so from_parts does not apply that limit.
  GraphDoc alice = two_nodes_and_an_edge();
  EntityMap wide = alice.nodes();
  CausalContext context = alice.context();
  context.insert(Dot{kAlice, 3});
  for (std::size_t i = 0; i <= limits::kMaxFieldsPerEntity; ++i) {
    wide["a"].fields.merge(FieldKey::data("k" + std::to_string(i)), {Json(0), Stamp{3, kAlice, 3}});
  }
  EXPECT_TRUE(GraphDoc::from_parts(context, wide, alice.edges()).ok());
}

// The parts of Alice's two-node state plus one write of node a's `type`
// stamped by another replica with `counter`.
struct PartsWithStamp {
  CausalContext context;
  EntityMap nodes;
  EntityMap edges;
};

PartsWithStamp parts_with_counter(std::uint64_t counter) {
  GraphDoc alice = two_nodes_and_an_edge();
  constexpr ReplicaId kMallory{7};
  PartsWithStamp parts{alice.context(), alice.nodes(), alice.edges()};
  parts.context.insert(Dot{kMallory, 1});
  parts.nodes["a"].fields.merge(FieldKey::top("type"),
                                {Json("remote"), Stamp{counter, kMallory, 1}});
  return parts;
}

TEST(GraphDocFromParts, RejectsACounterPastTheLimitAsLimitExceeded) {
  PartsWithStamp parts = parts_with_counter(limits::kMaxCounter + 1);
  auto rebuilt = GraphDoc::from_parts(parts.context, parts.nodes, parts.edges);
  ASSERT_FALSE(rebuilt.ok());
  EXPECT_EQ(rebuilt.error().code, ErrorCode::limit_exceeded);
}

TEST(GraphDocFromParts, RejectsASeqPastTheLimitAsLimitExceeded) {
  GraphDoc alice = two_nodes_and_an_edge();
  CausalContext in_vector = alice.context();
  in_vector.insert_up_to(ReplicaId{7}, limits::kMaxCounter + 1);
  EXPECT_EQ(GraphDoc::from_parts(in_vector, alice.nodes(), alice.edges()).error().code,
            ErrorCode::limit_exceeded);
  CausalContext in_cloud = alice.context();
  in_cloud.insert(Dot{ReplicaId{7}, limits::kMaxCounter + 1});
  EXPECT_EQ(GraphDoc::from_parts(in_cloud, alice.nodes(), alice.edges()).error().code,
            ErrorCode::limit_exceeded);
}

TEST(GraphDocFromParts, AcceptsACounterAtTheLimitButAReplicaThatSawItRefusesToWrite) {
  PartsWithStamp parts = parts_with_counter(limits::kMaxCounter);
  auto received = GraphDoc::from_parts(parts.context, parts.nodes, parts.edges);
  ASSERT_TRUE(received.ok()) << received.error().message;
  EXPECT_EQ(received->clock().counter(), limits::kMaxCounter);
  GraphDoc bob(kBob);
  bob.join(*received);
  const GraphDoc before = bob;
  auto written = bob.update_node_fields("a", {{"type", "mine"}});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, ErrorCode::limit_exceeded);
  EXPECT_EQ(bob, before);
}

TEST(GraphDocFromParts, NoMutationAfterAnAcceptedStateProducesAStateItRefuses) {
  // Every replica must be able to ship what it writes. After joining a state
  // from_parts accepted, a mutation either fails (changing nothing) or leaves
  // a state that from_parts (hence every peer's decoder) accepts.
  PartsWithStamp parts = parts_with_counter(limits::kMaxCounter);
  auto received = GraphDoc::from_parts(parts.context, parts.nodes, parts.edges);
  ASSERT_TRUE(received.ok()) << received.error().message;
  GraphDoc bob(kBob);
  bob.join(*received);
  auto written = bob.update_node_fields("a", {{"type", "mine"}});
  if (!written.ok()) {
    EXPECT_EQ(written.error().code, ErrorCode::limit_exceeded);
    return;
  }
  auto shipped = GraphDoc::from_parts(bob.context(), bob.nodes(), bob.edges());
  EXPECT_TRUE(shipped.ok()) << to_string(shipped.error().code) << ": " << shipped.error().message;
  auto delta = GraphDoc::from_parts(written->context(), written->nodes(), written->edges());
  EXPECT_TRUE(delta.ok()) << to_string(delta.error().code) << ": " << delta.error().message;
}

TEST(GraphDocFromParts, AcceptsEveryStateThatMutatorsAndJoinReach) {
  // Each replica stays within the field limit, but their concurrent writes
  // of distinct data keys add up past it in the joined state.
  GraphDoc alice(kAlice);
  GraphDoc bob(kBob);
  bob.join(applied(alice.add_node(node_with_data_keys("n", limits::kMaxFieldsPerEntity - 1))));
  GraphDoc from_alice = applied(alice.set_node_data("n", {{"alice", 1}}));
  GraphDoc from_bob = applied(bob.set_node_data("n", {{"bob", 1}}));
  alice.join(from_bob);
  bob.join(from_alice);
  ASSERT_EQ(alice, bob);
  auto rebuilt = GraphDoc::from_parts(alice.context(), alice.nodes(), alice.edges());
  ASSERT_TRUE(rebuilt.ok()) << to_string(rebuilt.error().code) << ": " << rebuilt.error().message;
  EXPECT_EQ(*rebuilt, alice);
}

TEST(GraphDocSetNodeData, RefusesTextThatIsNotUtf8AtAnyPositionOfAnyLength) {
  // Short text is checked in a few loads rather than byte by byte: a bad
  // byte anywhere in a key or a value of any length is still refused, and
  // good multibyte text is still taken.
  GraphDoc doc = two_nodes_and_an_edge();
  for (std::size_t size = 1; size <= 24; ++size) {
    const std::string good(size, 'k');
    for (std::size_t at = 0; at < size; ++at) {
      std::string bad = good;
      bad[at] = '\xff';
      const GraphDoc before = doc;
      EXPECT_TRUE(fails_with(doc.set_node_data_value("a", bad, 1), ErrorCode::invalid_argument))
          << size << " at " << at;
      EXPECT_TRUE(fails_with(doc.set_node_data_value("a", "key", bad), ErrorCode::invalid_argument))
          << size << " at " << at;
      expect_unchanged(doc, before);
    }
    applied(doc.set_node_data_value("a", good, good));
    const std::string accented = good.substr(0, size - 1) + "\xc3\xa9";  // ends in é
    applied(doc.set_node_data_value("a", accented, accented));
  }
  EXPECT_TRUE(
      fails_with(doc.set_node_data_value("a", "key", std::nan("")), ErrorCode::invalid_argument));
}

}  // namespace
}  // namespace trellis::crdt
