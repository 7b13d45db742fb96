#include "trellis/client/edit_op.hpp"

#include <array>
#include <optional>

namespace trellis::client {

namespace {

using crdt::Json;
using Kind = EditOp::Kind;

// What each op's line holds besides "op": the member naming its target and
// the member carrying its value (empty when it has none).
struct OpShape {
  Kind kind;
  std::string_view name;
  std::string_view id_member;     // a string: "id", or empty
  std::string_view value_member;  // an object: "node", "fields", "data", "edge", or empty
};

constexpr std::array<OpShape, 7> kShapes{{
    {Kind::add_node, "add_node", "", "node"},
    {Kind::update_node, "update_node", "id", "fields"},
    {Kind::set_data, "set_data", "id", "data"},
    {Kind::remove_node, "remove_node", "id", ""},
    {Kind::add_edge, "add_edge", "", "edge"},
    {Kind::update_edge, "update_edge", "id", "fields"},
    {Kind::remove_edge, "remove_edge", "id", ""},
}};

crdt::Error invalid(std::string message) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, std::move(message));
}

std::string known_ops() {
  std::string names;
  for (const OpShape& shape : kShapes) {
    names += names.empty() ? "" : ", ";
    names += shape.name;
  }
  return names;
}

}  // namespace

std::string_view to_string(EditOp::Kind kind) {
  for (const OpShape& shape : kShapes) {
    if (shape.kind == kind) return shape.name;
  }
  return "unknown";
}

crdt::Result<EditOp> parse_edit_op(std::string_view line) {
  Json object;
  try {
    object = Json::parse(line);
  } catch (const Json::parse_error& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..."
    std::string what = error.what();
    const auto start = what.find("parse error");
    return invalid("not valid JSON: " + (start == std::string::npos ? what : what.substr(start)));
  }
  if (!object.is_object()) return invalid("expected a JSON object with an \"op\" member");
  const auto op = object.find("op");
  if (op == object.end() || !op->is_string()) {
    return invalid("missing \"op\" (one of " + known_ops() + ")");
  }
  const std::string& name = op->get_ref<const std::string&>();
  const OpShape* shape = nullptr;
  for (const OpShape& candidate : kShapes) {
    if (candidate.name == name) shape = &candidate;
  }
  if (!shape) return invalid("unknown op \"" + name + "\" (known: " + known_ops() + ")");

  EditOp parsed;
  parsed.kind = shape->kind;
  for (const auto& [key, value] : object.items()) {
    if (key == "op") continue;
    if (key == shape->id_member) {
      if (!value.is_string()) return invalid(name + ": \"" + key + "\" must be a string");
      parsed.id = value.get<std::string>();
    } else if (key == shape->value_member) {
      if (!value.is_object()) return invalid(name + ": \"" + key + "\" must be an object");
      parsed.value = value;
    } else {
      return invalid(name + ": unknown member \"" + key + "\"");
    }
  }
  for (const std::string_view member : {shape->id_member, shape->value_member}) {
    if (!member.empty() && !object.contains(std::string(member))) {
      return invalid(name + ": missing \"" + std::string(member) + "\"");
    }
  }
  return parsed;
}

crdt::Result<crdt::GraphDoc> apply_edit_op(crdt::GraphDoc& doc, const EditOp& op) {
  switch (op.kind) {
    case Kind::add_node:
      return doc.add_node(op.value);
    case Kind::update_node:
      return doc.update_node_fields(op.id, op.value);
    case Kind::set_data:
      return doc.set_node_data(op.id, op.value);
    case Kind::remove_node:
      return doc.remove_node(op.id);
    case Kind::add_edge:
      return doc.add_edge(op.value);
    case Kind::update_edge:
      return doc.update_edge_fields(op.id, op.value);
    case Kind::remove_edge:
      return doc.remove_edge(op.id);
  }
  return invalid("unknown op");
}

}  // namespace trellis::client
