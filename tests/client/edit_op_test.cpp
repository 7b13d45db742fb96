// parse_edit_op and apply_edit_op: the JSON lines `trellis edit` reads. A
// bad line is an error that names what is wrong, and changes nothing.
#include "trellis/client/edit_op.hpp"

#include <gtest/gtest.h>

#include "trellis/crdt/graph_view.hpp"

namespace trellis::client {
namespace {

using crdt::GraphDoc;
using crdt::Json;
using crdt::ReplicaId;
using Kind = EditOp::Kind;

std::string error_of(std::string_view line) {
  auto op = parse_edit_op(line);
  EXPECT_FALSE(op.ok()) << line;
  return op ? "" : op.error().message;
}

bool mentions(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(EditOpParse, EveryOpWithItsMembers) {
  auto add = parse_edit_op(
      R"({"op":"add_node","node":{"id":"n1","type":"box","position":{"x":0,"y":0},"data":{"width":1}}})");
  ASSERT_TRUE(add.ok()) << add.error().message;
  EXPECT_EQ(add->kind, Kind::add_node);
  EXPECT_EQ(add->value["data"]["width"], 1);

  auto update = parse_edit_op(R"({"op":"update_node","id":"n1","fields":{"width":3}})");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(*update, (EditOp{Kind::update_node, "n1", Json{{"width", 3}}}));

  auto data = parse_edit_op(R"({"op":"set_data","id":"n1","data":{"width":2}})");
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(*data, (EditOp{Kind::set_data, "n1", Json{{"width", 2}}}));

  auto remove = parse_edit_op(R"( {"op":"remove_node","id":"n1"} )");
  ASSERT_TRUE(remove.ok());
  EXPECT_EQ(*remove, (EditOp{Kind::remove_node, "n1", Json()}));

  EXPECT_EQ(
      parse_edit_op(R"({"op":"add_edge","edge":{"id":"e1","source":"a","target":"b"}})")->kind,
      Kind::add_edge);
  EXPECT_EQ(parse_edit_op(R"({"op":"update_edge","id":"e1","fields":{"label":"x"}})")->kind,
            Kind::update_edge);
  EXPECT_EQ(parse_edit_op(R"({"op":"remove_edge","id":"e1"})")->kind, Kind::remove_edge);
}

TEST(EditOpParse, MalformedJsonSaysWhere) {
  const std::string error = error_of(R"({"op":"add_node",)");
  EXPECT_TRUE(mentions(error, "not valid JSON")) << error;
  EXPECT_TRUE(mentions(error, "column")) << error;
  EXPECT_TRUE(mentions(error_of(""), "not valid JSON"));
}

TEST(EditOpParse, ShapeErrorsNameTheProblem) {
  EXPECT_TRUE(mentions(error_of("[1,2]"), "JSON object"));
  EXPECT_TRUE(mentions(error_of(R"({"id":"n1"})"), "missing \"op\""));
  EXPECT_TRUE(mentions(error_of(R"({"op":7})"), "missing \"op\""));
  const std::string unknown = error_of(R"({"op":"explode","id":"n1"})");
  EXPECT_TRUE(mentions(unknown, "unknown op \"explode\"")) << unknown;
  EXPECT_TRUE(mentions(unknown, "add_node")) << "lists the known ops: " << unknown;
  EXPECT_TRUE(mentions(error_of(R"({"op":"remove_node"})"), "missing \"id\""));
  EXPECT_TRUE(mentions(error_of(R"({"op":"remove_node","id":5})"), "\"id\" must be a string"));
  EXPECT_TRUE(mentions(error_of(R"({"op":"add_node"})"), "missing \"node\""));
  EXPECT_TRUE(mentions(error_of(R"({"op":"add_node","node":"n1"})"), "\"node\" must be an object"));
  EXPECT_TRUE(mentions(error_of(R"({"op":"set_data","id":"n1","data":[1]})"),
                       "\"data\" must be an object"));
  EXPECT_TRUE(mentions(error_of(R"({"op":"update_node","id":"n1"})"), "missing \"fields\""));
  // A typo is not silently ignored.
  EXPECT_TRUE(mentions(error_of(R"({"op":"update_node","id":"n1","feilds":{}})"),
                       "unknown member \"feilds\""));
  EXPECT_TRUE(
      mentions(error_of(R"({"op":"remove_edge","id":"e1","edge":{}})"), "unknown member \"edge\""));
}

TEST(EditOpApply, MapsOntoTheGraphDocMutators) {
  GraphDoc doc(ReplicaId{1});
  for (
      const char* line : {
          R"({"op":"add_node","node":{"id":"a","type":"box","position":{"x":0,"y":0},"data":{"width":1}}})",
          R"({"op":"add_node","node":{"id":"b","type":"box","position":{"x":1,"y":0}}})",
          R"({"op":"add_edge","edge":{"id":"e1","source":"a","target":"b"}})",
          R"({"op":"update_node","id":"a","fields":{"position":{"x":5,"y":6}}})",
          R"({"op":"set_data","id":"a","data":{"width":2,"label":"A"}})",
          R"({"op":"update_edge","id":"e1","fields":{"animated":true}})",
      }) {
    auto op = parse_edit_op(line);
    ASSERT_TRUE(op.ok()) << line;
    auto delta = apply_edit_op(doc, *op);
    ASSERT_TRUE(delta.ok()) << line << ": " << delta.error().message;
  }
  const Json a = crdt::node_view(doc, "a");
  EXPECT_EQ(a["position"], (Json{{"x", 5}, {"y", 6}}));
  EXPECT_EQ(a["data"], (Json{{"width", 2}, {"label", "A"}}));
  EXPECT_EQ(crdt::edge_view(doc, "e1")["animated"], true);

  ASSERT_TRUE(apply_edit_op(doc, *parse_edit_op(R"({"op":"remove_edge","id":"e1"})")).ok());
  EXPECT_TRUE(crdt::edge_view(doc, "e1").is_null());
  ASSERT_TRUE(apply_edit_op(doc, *parse_edit_op(R"({"op":"remove_node","id":"b"})")).ok());
  EXPECT_EQ(crdt::graph_view(doc)["nodes"].size(), 1u);
}

TEST(EditOpApply, AMutatorErrorChangesNothing) {
  GraphDoc doc(ReplicaId{1});
  ASSERT_TRUE(apply_edit_op(doc, *parse_edit_op(R"({"op":"add_node","node":{"id":"a"}})")).ok());
  const GraphDoc before = doc;
  for (const char* line : {
           R"({"op":"add_node","node":{"id":"a"}})",                            // exists
           R"({"op":"add_node","node":{"type":"box"}})",                        // no id
           R"({"op":"set_data","id":"zzz","data":{"w":1}})",                    // not found
           R"({"op":"add_edge","edge":{"id":"e","source":"a","target":"q"}})",  // no target
           R"({"op":"update_node","id":"a","fields":{"id":"b"}})",              // another id
       }) {
    auto op = parse_edit_op(line);
    ASSERT_TRUE(op.ok()) << line;
    auto delta = apply_edit_op(doc, *op);
    EXPECT_FALSE(delta.ok()) << line;
    EXPECT_TRUE(doc == before) << line;
  }
}

}  // namespace
}  // namespace trellis::client
