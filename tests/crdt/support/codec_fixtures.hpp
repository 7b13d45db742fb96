#pragma once
// Documents that exercise every element of the binary layout
// (docs/encoding.md), for the codec tests:
//
//   rich_state()           a state form with several replicas (one with a
//                          48-bit id), a version vector and a dot cloud, an
//                          entity with two dots (concurrent adds), a removed
//                          entity that keeps its fields, a present entity
//                          without fields, short and long stamps, a shape
//                          defined once and referenced again, every
//                          well-known field, long-form top-level fields, data
//                          keys, tombstones and every kind of value;
//   transaction_deltas()   single-transaction deltas of every mutator that
//                          writes fields (the transaction form: nodes only,
//                          edges only, added or not);
//   delta_with_removed_dots()  a transaction-form delta whose context also
//                          holds removed dots (the optional `removed` part).

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt::testkit {

// Field values of every kind and every number encoding.
inline Json every_kind_of_value() {
  return Json{
      {"null", nullptr},
      {"true", true},
      {"false", false},
      {"fixint", 7},
      {"negative_fixint", -5},
      {"int8", -100},
      {"uint8", 200},
      {"int16", -30000},
      {"uint16", 60000},
      {"int32", -2000000000},
      {"uint32", 4000000000u},
      {"int64", std::numeric_limits<std::int64_t>::min()},
      {"uint64", std::numeric_limits<std::uint64_t>::max()},
      {"decimal_1_byte", 0.1},
      {"decimal_3_bytes", -429.408},
      {"float_integral", 2.0},
      {"float32", 120.5},
      {"float64", 1e300},
      {"integral_float32", 1e10},
      {"integral_float64", 12345678901.0},
      {"negative_zero", -0.0},
      {"empty_string", ""},
      {"utf8", "\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"},
      {"str8", std::string(40, 'x')},
      {"str16", std::string(300, 'y')},
      {"array", Json::array({1, "two", Json::array({3.5, nullptr}), Json::object()})},
      {"object", Json{{"b", 1}, {"a", Json{{"nested", Json::array({true})}}}}},
      {"empty_array", Json::array()},
      {"empty_object", Json::object()},
  };
}

// The 18 well-known top-level fields of format v1, in table order
// (docs/encoding.md, "Field keys"): pinned here independently of the codec.
inline const std::vector<std::string>& well_known_fields() {
  static const std::vector<std::string> names = {
      "type",   "position",     "width",        "height",    "parentId", "source",
      "target", "sourceHandle", "targetHandle", "hidden",    "selected", "draggable",
      "zIndex", "extent",       "style",        "className", "animated", "measured"};
  return names;
}

inline GraphDoc must(Result<GraphDoc> result) {
  if (!result.ok()) {
    ADD_FAILURE() << "fixture mutation failed: " << result.error().message;
    return GraphDoc{};
  }
  return std::move(result).value();
}

inline GraphDoc rich_state() {
  GraphDoc r1{ReplicaId{1}};
  GraphDoc r2{ReplicaId{2}};
  GraphDoc r3{ReplicaId{0xFFFF'FFFF'FFFFull}};

  Json group{{"id", "g"}, {"type", "group"}, {"position", {{"x", 0}, {"y", 0}}}};
  must(r1.add_node(group));
  Json node{{"id", "a"}, {"data", every_kind_of_value()}};
  for (const std::string& name : well_known_fields())
    node[name] = name + " value";
  node["parentId"] = "g";
  node["position"] = Json{{"x", 120.5}, {"y", -429.408}};
  node["custom"] = Json::array({1, 2, 3});  // a top-level field in long form
  must(r1.add_node(node));
  must(r1.add_node(Json{{"id", "bare"}}));  // present, no fields
  // Two nodes written with the same field names: the second group reuses
  // the first one's shape.
  must(r1.add_node(Json{{"id", "s1"}, {"type", "t"}, {"data", {{"label", "one"}}}}));
  must(r1.add_node(Json{{"id", "s2"}, {"type", "t"}, {"data", {{"label", "two"}}}}));
  must(r1.remove_node_fields("a", {FieldKey::top("hidden"), FieldKey::data("null")}));
  must(r1.add_edge(Json{{"id", "e"},
                        {"source", "a"},
                        {"target", "g"},
                        {"sourceHandle", "h"},
                        {"label", "L"},
                        {"data", {{"weight", 2}}}}));

  // r2 adds "a" concurrently (a second dot) and a node r1 later removes:
  // the removed node keeps its fields.
  must(r2.add_node(Json{{"id", "a"}, {"data", {{"label", "from r2"}}}}));
  GraphDoc doomed = must(r2.add_node(Json{{"id", "doomed"}, {"type", "x"}}));
  r1.join(doomed);
  must(r1.remove_node("doomed"));
  r1.join(r2);

  // r3's transactions 1 and 3 arrive, 2 does not: (r3, 3) stays in the
  // cloud, and the field it wrote has a long stamp (not the entity's dot).
  GraphDoc first = must(r3.add_node(Json{{"id", "c"}, {"data", {{"k", 1}}}}));
  must(r3.set_node_data_value("c", "k", 2));
  GraphDoc third = must(r3.set_node_data_value("c", "m", 3));
  r1.join(first);
  r1.join(third);

  GraphDoc state;
  state.join(r1);
  return state;
}

inline std::vector<GraphDoc> transaction_deltas() {
  std::vector<GraphDoc> deltas;
  GraphDoc r{ReplicaId{5}};
  deltas.push_back(
      must(r.add_node(Json{{"id", "n1"}, {"type", "default"}, {"data", {{"label", "A"}}}})));
  deltas.push_back(must(r.add_node(Json{{"id", "n2"}, {"data", every_kind_of_value()}})));
  deltas.push_back(
      must(r.update_node_fields("n1", Json{{"position", {{"x", 1.5}, {"y", 2}}}, {"custom", 1}})));
  deltas.push_back(must(r.set_node_data("n1", Json{{"label", "B"}, {"color", "red"}})));
  deltas.push_back(must(r.set_node_data_value("n1", "p1", -429.408)));
  deltas.push_back(
      must(r.remove_node_fields("n1", {FieldKey::top("type"), FieldKey::data("color")})));
  deltas.push_back(must(r.add_edge(Json{{"id", "e1"}, {"source", "n1"}, {"target", "n2"}})));
  deltas.push_back(must(r.update_edge_fields("e1", Json{{"label", "x"}, {"data", {{"w", 1}}}})));
  deltas.push_back(must(r.remove_edge_fields("e1", {FieldKey::top("label")})));
  must(r.remove_node("n2"));
  deltas.push_back(must(r.add_node(Json{{"id", "n2"}, {"width", 3}})));  // a re-add: tombstones
  return deltas;
}

// One transaction's field write (replica 7, seq 3, counter 9) plus two
// removed dots in its context.
inline GraphDoc delta_with_removed_dots() {
  CausalContext context;
  context.insert(Dot{ReplicaId{7}, 3});
  context.insert(Dot{ReplicaId{7}, 1});
  context.insert(Dot{ReplicaId{2}, 4});
  EntityMap nodes;
  nodes["n"].fields.merge(FieldKey::data("label"), {Json("x"), Stamp{9, ReplicaId{7}, 3}});
  return must(GraphDoc::from_parts(context, std::move(nodes), {}));
}

}  // namespace trellis::crdt::testkit
