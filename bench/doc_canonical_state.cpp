#include "doc_canonical_state.hpp"

#include "bench_failure.hpp"
#include "trellis/crdt/field_key.hpp"

namespace trellis::bench {
namespace {

using crdt::EntityState;
using crdt::FieldKey;
using crdt::Json;

Json required_field(const EntityState& entity, const FieldKey& key, const std::string& id) {
  const crdt::FieldValue* value = entity.fields.get(key);
  if (value == nullptr) throw BenchFailure("entity '" + id + "' has no field " + to_string(key));
  return value->to_json();
}

double number_of(const Json& value, const std::string& what) {
  if (!value.is_number()) throw BenchFailure(what + " is not a number: " + value.dump());
  return value.get<double>();
}

std::string string_of(const Json& value, const std::string& what) {
  if (!value.is_string()) throw BenchFailure(what + " is not a string: " + value.dump());
  return value.get<std::string>();
}

// Integers stay integers (p2), so that they print without a fraction either way.
ParamValue param_of(const Json& value, const std::string& what) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) return value.get<double>();
  if (value.is_string()) return value.get<std::string>();
  throw BenchFailure(what + " is not a number or string: " + value.dump());
}

CanonicalNode node_of(const EntityState& entity, const std::string& id) {
  CanonicalNode node;
  node.type = string_of(required_field(entity, FieldKey::top("type"), id), id + ".type");
  const Json& position = required_field(entity, FieldKey::top("position"), id);
  if (!position.is_object() || !position.contains("x") || !position.contains("y")) {
    throw BenchFailure(id + ".position is not {x, y}: " + position.dump());
  }
  node.x = number_of(position["x"], id + ".position.x");
  node.y = number_of(position["y"], id + ".position.y");
  for (const auto& entry : entity.fields.entries()) {
    if (!entry.key.is_data() || entry.is_tombstone()) continue;
    node.data.emplace(
        std::string(entry.key.name),
        param_of(entry.reg.value->to_json(), id + ".data." + std::string(entry.key.name)));
  }
  return node;
}

CanonicalEdge edge_of(const EntityState& entity, const std::string& id) {
  return CanonicalEdge{
      string_of(required_field(entity, FieldKey::top("source"), id), id + ".source"),
      string_of(required_field(entity, FieldKey::top("target"), id), id + ".target")};
}

}  // namespace

CanonicalGraph canonical_graph_of(const crdt::GraphDoc& doc) {
  CanonicalGraph graph;
  for (const auto& [id, entity] : doc.nodes()) {
    if (entity.present()) graph.nodes.emplace(id, node_of(entity, id));
  }
  for (const auto& [id, entity] : doc.edges()) {
    if (entity.present()) graph.edges.emplace(id, edge_of(entity, id));
  }
  return graph;
}

std::string state_digest(const crdt::GraphDoc& doc) {
  return state_digest(canonical_graph_of(doc));
}

}  // namespace trellis::bench
