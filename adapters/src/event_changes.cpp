#include "trellis/adapters/event_changes.hpp"

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters {

namespace {

using crdt::EntityKind;
using crdt::FieldKey;
using crdt::GraphDoc;

bool is_node(EntityKind kind) {
  return kind == EntityKind::node;
}

const Json* member_of(const Json& object, const std::string& name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

const Json* data_member(const Json& object, const std::string& key) {
  const Json* data = member_of(object, "data");
  return data ? member_of(*data, key) : nullptr;
}

bool is_endpoint(EntityKind kind, const std::string& name) {
  return kind == EntityKind::edge && (name == "source" || name == "target");
}

// The sender wrote `value` at `lookup` unless it equals the server's value
// (nothing to do) or a value the sender may have held before (stale).
template <class Lookup>
bool sender_changed(const Json& server, const Json& value, const SenderBases& bases,
                    Lookup lookup) {
  const Json* current = lookup(server);
  if (current && *current == value) return false;
  if (!bases.known) return true;
  return std::none_of(bases.objects.begin(), bases.objects.end(), [&](const Json& base) {
    const Json* before = lookup(base);
    return before && *before == value;
  });
}

// The sender removed a field only if every state it may have held had it.
template <class Lookup>
bool sender_removed(const SenderBases& bases, Lookup lookup) {
  if (!bases.known || bases.partial || bases.objects.empty()) return false;
  return std::all_of(bases.objects.begin(), bases.objects.end(),
                     [&](const Json& base) { return lookup(base) != nullptr; });
}

Mutation::Op update_op(EntityKind kind) {
  return is_node(kind) ? Mutation::Op::update_node_fields : Mutation::Op::update_edge_fields;
}
Mutation::Op remove_fields_op(EntityKind kind) {
  return is_node(kind) ? Mutation::Op::remove_node_fields : Mutation::Op::remove_edge_fields;
}

// A whole object `object` from the sender for an entity present on the
// server (`server`, as an object): the fields it changed, then the ones it
// removed.
std::vector<Mutation> plan_update(const GraphDoc& doc, EntityKind kind, const std::string& id,
                                  const Json& server, const Json& object,
                                  const SenderBases& bases) {
  Json patch = Json::object();
  std::vector<FieldKey> removed;
  for (const auto& [name, value] : object.items()) {
    if (name == "id" || name == "data") continue;
    // An endpoint the server does not have cannot be written; the shadow
    // corrects the sender's edge.
    if (is_endpoint(kind, name) && !doc.has_node(value.get_ref<const std::string&>())) continue;
    auto lookup = [&name = name](const Json& from) { return member_of(from, name); };
    if (sender_changed(server, value, bases, lookup)) patch[name] = value;
  }
  for (const auto& [name, value] : server.items()) {
    if (name == "id" || name == "data" || is_endpoint(kind, name) || object.contains(name)) {
      continue;
    }
    auto lookup = [&name = name](const Json& from) { return member_of(from, name); };
    if (sender_removed(bases, lookup)) removed.push_back(FieldKey::top(name));
  }
  if (const Json* data = member_of(object, "data")) {
    Json data_patch = Json::object();
    for (const auto& [key, value] : data->items()) {
      auto lookup = [&key = key](const Json& from) { return data_member(from, key); };
      if (sender_changed(server, value, bases, lookup)) data_patch[key] = value;
    }
    if (!data_patch.empty()) patch["data"] = std::move(data_patch);
    if (const Json* server_data = member_of(server, "data")) {
      for (const auto& [key, value] : server_data->items()) {
        if (data->contains(key)) continue;
        auto lookup = [&key = key](const Json& from) { return data_member(from, key); };
        if (sender_removed(bases, lookup)) removed.push_back(FieldKey::data(key));
      }
    }
  }
  std::vector<Mutation> mutations;
  if (!patch.empty()) mutations.push_back(Mutation{update_op(kind), id, std::move(patch), {}});
  if (!removed.empty()) {
    mutations.push_back(Mutation{remove_fields_op(kind), id, nullptr, std::move(removed)});
  }
  return mutations;
}

bool endpoints_present(const GraphDoc& doc, const Json& edge) {
  return doc.has_node(edge["source"].get_ref<const std::string&>()) &&
         doc.has_node(edge["target"].get_ref<const std::string&>());
}

std::vector<Mutation> plan_add(EntityKind kind, const GraphDoc& doc, const std::string& id,
                               const Json& object) {
  if (is_node(kind)) return {Mutation{Mutation::Op::add_node, id, object, {}}};
  // An edge to a node removed meanwhile is dropped; the shadow removes it
  // from the sender's store.
  if (!endpoints_present(doc, object)) return {};
  return {Mutation{Mutation::Op::add_edge, id, object, {}}};
}

std::vector<Mutation> plan_entity_change(const GraphDoc& doc, EntityKind kind, ChangeType type,
                                         const Json& object, const SenderBases& bases) {
  const auto& id = object["id"].get_ref<const std::string&>();
  const bool present = is_node(kind) ? doc.has_node(id) : doc.has_edge(id);
  switch (type) {
    case ChangeType::remove:
      if (!present) return {};
      return {Mutation{
          is_node(kind) ? Mutation::Op::remove_node : Mutation::Op::remove_edge, id, nullptr, {}}};
    case ChangeType::add:
      if (!present) return plan_add(kind, doc, id, object);
      // The sender created it, so it held no earlier state: every field that
      // differs is its write, and nothing is removed.
      return plan_update(doc, kind, id, present_object(doc, kind, id), object,
                         SenderBases{true, {}, false});
    case ChangeType::update:
      if (present) return plan_update(doc, kind, id, present_object(doc, kind, id), object, bases);
      // Never known here: the seed server stored whatever it was sent.
      if (!doc.find(kind, id)) return plan_add(kind, doc, id, object);
      // Removed: remove wins over a concurrent update.
      return {};
  }
  return {};
}

// True when the edge's source or target is a node id `matches` accepts.
template <class Matches>
bool has_endpoint(const crdt::EntityState& edge, Matches matches) {
  static const FieldKey kSource = FieldKey::top("source");
  static const FieldKey kTarget = FieldKey::top("target");
  for (const FieldKey* end : {&kSource, &kTarget}) {
    const crdt::FieldValue* value = edge.fields.get(*end);
    if (value && value->is_string() && matches(value->string())) return true;
  }
  return false;
}

}  // namespace

crdt::Result<GraphDoc> apply_mutation(GraphDoc& doc, const Mutation& mutation) {
  switch (mutation.op) {
    case Mutation::Op::add_node:
      return doc.add_node(mutation.value);
    case Mutation::Op::update_node_fields:
      return doc.update_node_fields(mutation.id, mutation.value);
    case Mutation::Op::set_node_data:
      return doc.set_node_data(mutation.id, mutation.value);
    case Mutation::Op::remove_node_fields:
      return doc.remove_node_fields(mutation.id, mutation.fields);
    case Mutation::Op::remove_node:
      return doc.remove_node(mutation.id);
    case Mutation::Op::add_edge:
      return doc.add_edge(mutation.value);
    case Mutation::Op::update_edge_fields:
      return doc.update_edge_fields(mutation.id, mutation.value);
    case Mutation::Op::remove_edge_fields:
      return doc.remove_edge_fields(mutation.id, mutation.fields);
    case Mutation::Op::remove_edge:
      return doc.remove_edge(mutation.id);
  }
  return crdt::make_error(crdt::ErrorCode::invalid_argument, "unknown mutation");
}

crdt::Result<std::vector<Mutation>, EventError> plan_change(const GraphDoc& doc,
                                                            const ClientEvent& change,
                                                            const SenderBases& bases) {
  if (const auto* node = std::get_if<NodeChange>(&change)) {
    return plan_entity_change(doc, EntityKind::node, node->type, node->node, bases);
  }
  if (const auto* edge = std::get_if<EdgeChange>(&change)) {
    return plan_entity_change(doc, EntityKind::edge, edge->type, edge->edge, bases);
  }
  if (const auto* update = std::get_if<NodeDataUpdate>(&change)) {
    if (!doc.has_node(update->node_id)) {
      if (doc.find(EntityKind::node, update->node_id)) return std::vector<Mutation>{};
      return EventError{"node_data_update: node '" + update->node_id + "' does not exist",
                        EntityRef{EntityKind::node, update->node_id}};
    }
    // Each key against the node's register, without building its view.
    const crdt::EntityState& server = *doc.find(EntityKind::node, update->node_id);
    Json patch = Json::object();
    for (const auto& [key, value] : update->data.items()) {
      const crdt::FieldValue* current = server.fields.get(FieldKey::data(key));
      if (!current || *current != crdt::FieldValue(value)) patch[key] = value;
    }
    if (patch.empty()) return std::vector<Mutation>{};
    return std::vector<Mutation>{
        Mutation{Mutation::Op::set_node_data, update->node_id, std::move(patch), {}}};
  }
  return EventError{"not a change event", std::nullopt};
}

crdt::Result<GraphDoc, EventError> apply_client_change(GraphDoc& doc, const ClientEvent& change,
                                                       const SenderBases& bases) {
  auto plan = plan_change(doc, change, bases);
  if (!plan) return plan.error();
  GraphDoc joined;
  for (const Mutation& mutation : *plan) {
    auto delta = apply_mutation(doc, mutation);
    if (!delta) return EventError{delta.error().message, changed_entity(change)};
    joined.join(std::move(*delta));
  }
  return joined;
}

void Touched::add(EntityKind kind, std::string id) {
  (is_node(kind) ? nodes : edges).push_back(std::move(id));
}

std::vector<std::string> attached_edges(const GraphDoc& doc, std::string_view node_id) {
  std::vector<std::string> attached;
  for (const auto& [id, edge] : doc.edges()) {
    if (edge.present() &&
        has_endpoint(edge, [&](std::string_view end) { return end == node_id; })) {
      attached.push_back(id);
    }
  }
  return attached;
}

Json present_object(const GraphDoc& doc, EntityKind kind, std::string_view id) {
  if (is_node(kind)) return node_view(doc, id);
  const crdt::EntityState* edge = doc.find(kind, id);
  if (!edge || !edge->present()) return nullptr;
  Json object{{"id", std::string(id)}};
  Json data = Json::object();
  for (const auto& entry : edge->fields.entries()) {
    if (entry.is_tombstone()) continue;
    (entry.key.is_data() ? data : object)[std::string(entry.key.name)] = entry.reg.value->to_json();
  }
  if (!data.empty()) object["data"] = std::move(data);
  return object;
}

Touched touched_by(const GraphDoc& doc_before, const GraphDoc& delta) {
  Touched touched;
  // Transparent, so that an edge's endpoint is looked up as the view it is.
  std::unordered_set<std::string, crdt::StringHash, crdt::StringEqual> presence_changed;
  std::unordered_set<crdt::Dot> explained;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, entity] : delta.entities(kind)) {
      touched.add(kind, id);
      explained.insert(entity.dots.begin(), entity.dots.end());
      for (const auto& entry : entity.fields.entries())
        explained.insert(entry.reg.stamp.dot());
      if (is_node(kind) && !entity.dots.empty()) presence_changed.insert(id);
    }
  }
  // Every dot of a delta's context is one it carries, unless it removes
  // something: then find the present entities that lose a dot.
  if (delta.context().dot_count() > explained.size()) {
    for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
      for (const auto& [id, entity] : doc_before.entities(kind)) {
        const crdt::EntityState* kept = delta.find(kind, id);
        const bool loses = std::any_of(entity.dots.begin(), entity.dots.end(), [&](crdt::Dot d) {
          return delta.context().contains(d) &&
                 !(kept && std::binary_search(kept->dots.begin(), kept->dots.end(), d));
        });
        if (!loses) continue;
        touched.add(kind, id);
        if (is_node(kind)) presence_changed.insert(id);
      }
    }
  }
  if (!presence_changed.empty()) {
    for (const auto& [id, edge] : doc_before.edges()) {
      if (edge.present() && has_endpoint(edge, [&](std::string_view end) {
            return presence_changed.count(end) > 0;
          })) {
        touched.add(EntityKind::edge, id);
      }
    }
  }
  for (auto* ids : {&touched.nodes, &touched.edges}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  return touched;
}

}  // namespace trellis::adapters
