#include "trellis/crdt/graph_doc.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <utility>
#include <variant>

#include "assign_scalar.hpp"
#include "entity_validation.hpp"
#include "graph_join.hpp"
#include "trellis/crdt/limits.hpp"

namespace trellis::crdt {

namespace {

std::string_view kind_name(EntityKind kind) {
  return kind == EntityKind::node ? "node" : "edge";
}

Error not_present(EntityKind kind, std::string_view id) {
  return make_error(ErrorCode::not_found,
                    std::string(kind_name(kind)) + " '" + std::string(id) + "' is not present");
}

using FieldWrite = GraphDoc::FieldWrite;

// The GraphDoc form of a field write's delta.
Result<GraphDoc> as_graph_doc(Result<FieldWriteDelta> delta) {
  if (!delta) return delta.error();
  return GraphDoc(std::move(*delta));
}

// Splits a JSON object into field writes: every member but `id`, and each key
// of `data` separately. `data_only` takes the object itself as `data`.
Result<std::vector<FieldWrite>> collect_writes(const Json& object, std::string_view own_id,
                                               bool data_only) {
  std::vector<FieldWrite> writes;
  auto add_data = [&](const Json& data) -> std::optional<Error> {
    if (!data.is_object()) {
      return make_error(ErrorCode::invalid_argument, "'data' must be an object");
    }
    for (const auto& [name, value] : data.items()) {
      if (auto error = validate_field_name(name)) return error;
      if (auto error = validate_value(value, name)) return error;
      writes.push_back(FieldWrite{FieldKey::data(name), &value});
    }
    return std::nullopt;
  };
  if (data_only) {
    if (auto error = add_data(object)) return *error;
    return writes;
  }
  if (!object.is_object()) {
    return make_error(ErrorCode::invalid_argument, "expected a JSON object");
  }
  for (const auto& [name, value] : object.items()) {
    if (name == "id") {
      if (!value.is_string() || value.get_ref<const std::string&>() != own_id) {
        return make_error(ErrorCode::invalid_argument, "'id' cannot be changed");
      }
      continue;
    }
    if (name == "data") {
      if (auto error = add_data(value)) return *error;
      continue;
    }
    if (auto error = validate_field_name(name)) return *error;
    if (auto error = validate_value(value, name)) return *error;
    writes.push_back(FieldWrite{FieldKey::top(name), &value});
  }
  return writes;
}

// Counts the distinct fields an entity would hold after the writes.
template <class Write>
std::size_t field_count_after(const EntityState* entity, std::span<const Write> writes) {
  std::size_t count = entity ? entity->fields.size() : 0;
  for (const auto& write : writes) {
    if (!entity || !entity->fields.find(write.key)) ++count;
  }
  return count;
}

// A mutation may not grow an entity past kMaxFieldsPerEntity. Concurrent
// additions can still take a state past it (joins never refuse), so a write
// that adds no field is always allowed.
bool grows_past_field_limit(const EntityState* entity, std::size_t count_after) {
  const std::size_t count_before = entity ? entity->fields.size() : 0;
  return count_after > limits::kMaxFieldsPerEntity && count_after > count_before;
}

// The refusal of field writes that would grow `entity` past the limit.
// Counting what the writes add costs a lookup per write: skipped when even
// all-new fields would stay within it (a parameter edit, always).
template <class Write>
std::optional<Error> check_field_limit(const EntityState& entity, std::span<const Write> writes) {
  if (entity.fields.size() + writes.size() <= limits::kMaxFieldsPerEntity) return std::nullopt;
  if (!grows_past_field_limit(&entity, field_count_after(&entity, writes))) return std::nullopt;
  return make_error(ErrorCode::limit_exceeded, "too many fields");
}

std::optional<Error> check_endpoint(const GraphDoc& doc, std::string_view role, const Json* value) {
  if (!value || !value->is_string()) {
    return make_error(ErrorCode::invalid_argument,
                      "edge '" + std::string(role) + "' must be a string naming a node");
  }
  const auto& node_id = value->get_ref<const std::string&>();
  if (!doc.has_node(node_id)) {
    return make_error(ErrorCode::not_found,
                      "edge " + std::string(role) + " node '" + node_id + "' is not present");
  }
  return std::nullopt;
}

std::optional<Error> check_edge_endpoints(const GraphDoc& doc,
                                          std::span<const FieldWriteDelta::Field> writes) {
  for (const auto& write : writes) {
    if (write.key.scope != FieldKey::Scope::top) continue;
    if (write.key.name == "source" || write.key.name == "target") {
      const Json* value = write.value ? &*write.value : nullptr;
      if (auto error = check_endpoint(doc, write.key.name, value)) return error;
    }
  }
  return std::nullopt;
}

// Views of the node ids an edge's source and target name ("" where absent
// or not a string), into the edge's own fields: valid until they change.
std::array<std::string_view, 2> edge_endpoint_views(const EntityState& edge) {
  static const FieldKey kRoles[2] = {FieldKey::top("source"), FieldKey::top("target")};
  std::array<std::string_view, 2> ends;
  for (int i = 0; i < 2; ++i) {
    const FieldValue* end = edge.fields.get(kRoles[i]);
    if (end && end->is_string()) ends[i] = end->string();
  }
  return ends;
}

}  // namespace

// The node ids an edge's source and target name ("" where not a string).
std::array<std::string, 2> edge_endpoints(const EntityState& edge) {
  const auto [source, target] = edge_endpoint_views(edge);
  return {std::string(source), std::string(target)};
}

namespace {

bool is_attached(const EntityState& edge, std::string_view node_id) {
  const auto [source, target] = edge_endpoint_views(edge);
  return !node_id.empty() && (source == node_id || target == node_id);
}

}  // namespace

GraphDoc::GraphDoc(const GraphDoc& other)
    : clock_(other.clock_), context_(other.context_), nodes_(other.nodes_), edges_(other.edges_) {
  rebuild_indexes();
}

GraphDoc& GraphDoc::operator=(const GraphDoc& other) {
  if (this != &other) {
    clock_ = other.clock_;
    context_ = other.context_;
    nodes_ = other.nodes_;
    edges_ = other.edges_;
    rebuild_indexes();
  }
  return *this;
}

bool GraphDoc::has_node(std::string_view id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second.present();
}

bool GraphDoc::has_edge(std::string_view id) const {
  auto it = edges_.find(id);
  return it != edges_.end() && it->second.present();
}

const EntityState* GraphDoc::find(EntityKind kind, std::string_view id) const {
  const EntityMap& map = entities(kind);
  auto it = map.find(id);
  return it == map.end() ? nullptr : &it->second;
}

Result<Dot> GraphDoc::next_transaction_dot() const {
  if (replica().is_null()) {
    return make_error(ErrorCode::invalid_argument, "a GraphDoc without a replica id cannot mutate");
  }
  // Every state must stay decodable: no stamp past the limit decoders apply.
  const Dot dot = context_.next_dot(replica());
  if (clock_.counter() >= limits::kMaxCounter || dot.seq > limits::kMaxCounter) {
    return make_error(ErrorCode::limit_exceeded, "the Lamport counter reached its limit");
  }
  return dot;
}

std::optional<Error> GraphDoc::check_can_stamp() const {
  auto dot = next_transaction_dot();
  if (!dot) return dot.error();
  return std::nullopt;
}

Stamp GraphDoc::begin_transaction(GraphDoc& delta) {
  const Dot dot = context_.next_dot(clock_.replica());
  delta.context_.insert(dot);
  return clock_.tick(dot.seq);
}

Result<GraphDoc> GraphDoc::add_node(const Json& node) {
  return add_entity(EntityKind::node, node);
}
Result<GraphDoc> GraphDoc::add_edge(const Json& edge) {
  return add_entity(EntityKind::edge, edge);
}

Result<GraphDoc> GraphDoc::update_node_fields(std::string_view id, const Json& patch) {
  return as_graph_doc(write_patch(EntityKind::node, id, patch, false));
}
Result<GraphDoc> GraphDoc::set_node_data(std::string_view id, const Json& data) {
  return as_graph_doc(write_patch(EntityKind::node, id, data, true));
}
Result<GraphDoc> GraphDoc::update_edge_fields(std::string_view id, const Json& patch) {
  return as_graph_doc(write_patch(EntityKind::edge, id, patch, false));
}
Result<GraphDoc> GraphDoc::remove_node_fields(std::string_view id,
                                              const std::vector<FieldKey>& keys) {
  return remove_fields(EntityKind::node, id, keys);
}
Result<GraphDoc> GraphDoc::remove_edge_fields(std::string_view id,
                                              const std::vector<FieldKey>& keys) {
  return remove_fields(EntityKind::edge, id, keys);
}
Result<GraphDoc> GraphDoc::remove_node(std::string_view id) {
  return remove_entity(EntityKind::node, id);
}
Result<GraphDoc> GraphDoc::remove_edge(std::string_view id) {
  return remove_entity(EntityKind::edge, id);
}

Result<GraphDoc> GraphDoc::add_entity(EntityKind kind, const Json& object) {
  if (auto error = check_can_stamp()) return *error;
  if (!object.is_object()) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(kind_name(kind)) + " must be a JSON object");
  }
  auto id_member = object.find("id");
  if (id_member == object.end() || !id_member->is_string()) {
    return make_error(ErrorCode::invalid_argument,
                      std::string(kind_name(kind)) + " needs a string 'id'");
  }
  const std::string& id = id_member->get_ref<const std::string&>();
  if (auto error = validate_id(id)) return *error;
  const EntityState* existing = find(kind, id);
  if (existing && existing->present()) {
    return make_error(ErrorCode::already_exists,
                      std::string(kind_name(kind)) + " '" + id + "' already exists");
  }
  auto writes = collect_writes(object, id, false);
  if (!writes) return writes.error();
  if (kind == EntityKind::edge) {
    auto find_top = [&](std::string_view name) -> const Json* {
      auto member = object.find(std::string(name));
      return member == object.end() ? nullptr : &*member;
    };
    if (auto error = check_endpoint(*this, "source", find_top("source"))) return *error;
    if (auto error = check_endpoint(*this, "target", find_top("target"))) return *error;
  }
  if (grows_past_field_limit(existing,
                             field_count_after(existing, std::span<const FieldWrite>(*writes)))) {
    return make_error(ErrorCode::limit_exceeded, "too many fields");
  }

  GraphDoc delta;
  const Stamp stamp = begin_transaction(delta);
  EntityState& added = delta.entities_mut(kind)[id];
  added.dots = DotSet{stamp.dot()};
  for (const auto& write : *writes)
    added.fields.merge(write.key, {*write.value, stamp});
  // A re-added id is exactly the object given: fields of the old entity that
  // it does not carry are removed.
  if (existing) {
    for (const auto& entry : existing->fields.entries()) {
      if (!entry.is_tombstone() && !added.fields.find(entry.key)) {
        added.fields.merge(entry.key, {std::nullopt, stamp});
      }
    }
  }
  delta.rebuild_indexes();
  join(delta);
  return delta;
}

Result<FieldWriteDelta> GraphDoc::write_patch(EntityKind kind, std::string_view id,
                                              const Json& patch, bool data_only) {
  auto writes = collect_writes(patch, id, data_only);
  if (!writes) return writes.error();
  // Built in the returned Result: a delta is not moved on its way out.
  Result<FieldWriteDelta> result(FieldWriteDelta{});
  result->fields.reserve(writes->size());
  for (const auto& write : *writes)
    result->fields.push_back({write.key, *write.value});
  if (auto error = write_fields(kind, id, EntityMap::hash_of(id), *result)) return *error;
  return result;
}

Result<GraphDoc> GraphDoc::set_node_data_value(std::string_view id, std::string_view key,
                                               const Json& value) {
  return as_graph_doc(write_node_data_value(id, key, value));
}

Result<FieldWriteDelta> GraphDoc::write_node_fields(std::string_view id, const Json& patch) {
  return write_patch(EntityKind::node, id, patch, false);
}

Result<FieldWriteDelta> GraphDoc::write_node_data_value(std::string_view id, std::string_view key,
                                                        Json value) {
  Result<FieldWriteDelta> result(FieldWriteDelta{});
  if (auto error = write_node_data_value(id, key, std::move(value), *result)) return *error;
  return result;
}

std::optional<Error> GraphDoc::write_node_data_value(std::string_view id, std::string_view key,
                                                     Json value, FieldWriteDelta& delta) {
  // The node is most likely in no cache: fetched while the input is checked.
  const std::uint32_t id_hash = EntityMap::hash_of(id);
  nodes_.prefetch(id_hash, true);
  std::optional<Error> refusal = validate_field_name(key);
  if (!refusal) refusal = validate_value(value, key);
  if (refusal) {
    delta = FieldWriteDelta{};
    return refusal;
  }
  // Reuses the delta's field (key string, value storage) when it has one.
  delta.fields.resize(1);
  FieldWriteDelta::Field& field = delta.fields.front();
  field.key.scope = FieldKey::Scope::data;
  if (compare_names(field.key.name, key) != 0) field.key.name.assign(key);
  field.value = std::move(value);
  return write_fields(EntityKind::node, id, id_hash, delta);
}

Result<GraphDoc::FieldWriteTarget> GraphDoc::field_write_target(EntityKind kind,
                                                                std::string_view id,
                                                                std::uint32_t id_hash) {
  const auto dot = next_transaction_dot();
  if (!dot) return dot.error();
  EntityMap& map = entities_mut(kind);
  const auto entity = map.find(id, id_hash);
  if (entity == map.end() || !entity->second.present()) return not_present(kind, id);
  return FieldWriteTarget{*dot, entity};
}

std::optional<Error> GraphDoc::write_data_scalar(std::string_view id, std::string_view key,
                                                 const FieldScalar& value, Stamp& stamp) {
  // write_node_data_value's checks, in its order, and write_fields' write
  // of a single data key; only the value is never a Json.
  const std::uint32_t id_hash = EntityMap::hash_of(id);
  nodes_.prefetch(id_hash, true);
  if (auto refusal = validate_field_name(key)) return refusal;
  if (!is_valid_scalar(value)) return validate_value(to_json(value), key);
  const auto target = field_write_target(EntityKind::node, id, id_hash);
  if (!target) return target.error();
  EntityState& entity = target->entity->second;
  const FieldKeyView field{FieldKey::Scope::data, key};
  // The write is built only when the limit may be in reach.
  if (entity.fields.size() + 1 > limits::kMaxFieldsPerEntity) {
    const std::array<FieldWriteDelta::Field, 1> writes{{{FieldKey::data(key), std::nullopt}}};
    if (auto refusal = check_field_limit(entity, std::span<const FieldWriteDelta::Field>(writes))) {
      return refusal;
    }
  }
  stamp = clock_.tick(target->dot.seq);
  entity.fields.merge_view(field, stamp,
                           [&](std::optional<FieldValue>& held) { assign_scalar(held, value); });
  context_.insert(target->dot);
  return std::nullopt;
}

std::optional<Error> GraphDoc::write_fields(EntityKind kind, std::string_view id,
                                            std::uint32_t id_hash, FieldWriteDelta& delta) {
  delta.kind = kind;
  std::optional<Error> refusal;
  const std::span<const FieldWriteDelta::Field> writes(delta.fields);
  const auto target = field_write_target(kind, id, id_hash);
  if (!target) {
    refusal = target.error();
  } else if (kind == EntityKind::edge) {
    refusal = check_edge_endpoints(*this, writes);
  }
  if (!refusal) refusal = check_field_limit(target->entity->second, writes);
  if (refusal || delta.fields.empty()) {
    delta.fields.clear();
    delta.id.clear();
    delta.stamp = Stamp{};
    return refusal;
  }
  if (delta.fields.size() > 1) {
    std::sort(delta.fields.begin(), delta.fields.end(),
              [](const auto& a, const auto& b) { return a.key < b.key; });
  }
  const Dot dot = target->dot;
  const auto entity = target->entity;
  delta.id.assign(entity->first);
  delta.stamp = clock_.tick(dot.seq);
  if (kind == EntityKind::edge) {
    join(delta);  // keeps the endpoint index in step
    return std::nullopt;
  }
  // What join(delta) would do, without looking the node up again: the
  // stamp is newer than every stamp here, so each field is overwritten, and
  // the transaction's dot enters the context. (The hot path of local edits.)
  for (const auto& field : delta.fields) {
    entity->second.fields.merge_view(
        FieldKeyView{field.key.scope, field.key.name}, delta.stamp,
        [&](std::optional<FieldValue>& held) { assign_value(held, field.value); });
  }
  context_.insert(dot);
  return std::nullopt;
}

Result<GraphDoc> GraphDoc::remove_fields(EntityKind kind, std::string_view id,
                                         const std::vector<FieldKey>& keys) {
  if (auto error = check_can_stamp()) return *error;
  const EntityState* existing = find(kind, id);
  if (!existing || !existing->present()) return not_present(kind, id);
  for (const auto& key : keys) {
    if (auto error = validate_field_key(key)) return *error;
    if (kind == EntityKind::edge && key.scope == FieldKey::Scope::top &&
        (key.name == "source" || key.name == "target")) {
      return make_error(ErrorCode::invalid_argument,
                        "an edge's source and target cannot be removed");
    }
  }
  std::size_t count = existing->fields.size();
  for (const auto& key : keys)
    count += existing->fields.find(key) ? 0 : 1;
  if (grows_past_field_limit(existing, count)) {
    return make_error(ErrorCode::limit_exceeded, "too many fields");
  }
  GraphDoc delta;
  if (keys.empty()) return delta;
  const Stamp stamp = begin_transaction(delta);
  EntityState& changed = delta.entities_mut(kind)[std::string(id)];
  for (const auto& key : keys)
    changed.fields.merge(key, {std::nullopt, stamp});
  join(delta);
  return delta;
}

Result<GraphDoc> GraphDoc::remove_entity(EntityKind kind, std::string_view id) {
  if (auto error = check_can_stamp()) return *error;
  const EntityState* existing = find(kind, id);
  if (!existing || !existing->present()) return not_present(kind, id);
  GraphDoc delta;
  begin_transaction(delta);
  for (Dot dot : existing->dots)
    delta.context_.insert(dot);
  // Edges attached to a removed node go with it, as far as this replica sees
  // them; an edge added concurrently survives in the state but the view hides
  // it until its node is present again.
  if (kind == EntityKind::node) {
    edges_by_endpoint_.for_each_equal(EntityMap::hash_of(id), [&](const std::string* edge_id) {
      auto edge = edges_.find(*edge_id);
      if (edge != edges_.end() && edge->second.present() && is_attached(edge->second, id)) {
        for (Dot dot : edge->second.dots)
          delta.context_.insert(dot);
      }
    });
  }
  join(delta);
  return delta;
}

void GraphDoc::set_dots(EntityKind kind, EntityMap::iterator entity, DotSet dots) {
  DotSet& current = entity->second.dots;
  if (current == dots) return;
  const std::string* id = &entity->first;
  for (Dot dot : current) {
    if (std::binary_search(dots.begin(), dots.end(), dot)) continue;
    dot_owners_.erase(dot, DotOwner(kind, id));
  }
  for (Dot dot : dots) {
    if (!std::binary_search(current.begin(), current.end(), dot)) {
      dot_owners_.insert(dot, DotOwner(kind, id));
    }
  }
  current = std::move(dots);
}

void GraphDoc::rebuild_indexes() {
  dot_owners_.clear();
  edges_by_endpoint_.clear();
  // Most entities have one dot.
  dot_owners_.reserve(nodes_.size() + edges_.size());
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, entity] : entities(kind)) {
      for (Dot dot : entity.dots)
        dot_owners_.insert(dot, DotOwner(kind, &id));
    }
  }
  // What reindex_edge(id, {}, edge_endpoints(edge)) does for each edge,
  // without copying the endpoints.
  edges_by_endpoint_.reserve(2 * edges_.size());
  for (const auto& [id, edge] : edges_) {
    for (std::string_view node_id : edge_endpoint_views(edge)) {
      if (!node_id.empty()) edges_by_endpoint_.insert_unique(EntityMap::hash_of(node_id), &id);
    }
  }
}

void GraphDoc::reindex_edge(const std::string& edge_id, const std::array<std::string, 2>& before,
                            const std::array<std::string, 2>& after) {
  // The index holds each (hash, edge) pair at most once, and holds exactly
  // the pairs of `before`: erasing those and adding those of `after` that
  // are not held leaves exactly the pairs of `after`.
  for (const std::string& node_id : before) {
    if (!node_id.empty()) edges_by_endpoint_.erase(EntityMap::hash_of(node_id), &edge_id);
  }
  for (const std::string& node_id : after) {
    if (!node_id.empty()) edges_by_endpoint_.insert_unique(EntityMap::hash_of(node_id), &edge_id);
  }
}

namespace {

// A GraphDoc as a delta source for join_from (graph_join.hpp).
struct DocSource {
  const GraphDoc& doc;

  const CausalContext& context() const { return doc.context(); }
  bool mentions(EntityKind kind, const std::string& id) const {
    return doc.entities(kind).count(id) != 0;
  }
  template <class F>
  void for_each_entity(EntityKind kind, F&& f) const {
    for (const auto& [id, bound] : doc.entities(kind)) {
      // A named reference: clang before 16 cannot capture a structured binding.
      const EntityState& entity = bound;
      auto merge = [&entity](FieldMap& fields) {
        fields.join(entity.fields);
        std::uint64_t highest = 0;
        for (const auto& entry : entity.fields.entries()) {
          highest = std::max(highest, entry.reg.stamp.counter);
        }
        return highest;
      };
      f(id, entity.dots, merge);
    }
  }
};

}  // namespace

void GraphDoc::join(const GraphDoc& other) {
  if (&other == this) return;
  join_from(DocSource{other});
}

namespace {

// A GraphDoc whose field values may be moved out, as a delta source.
struct MovingDocSource {
  GraphDoc& doc;
  EntityMap& nodes;
  EntityMap& edges;

  const CausalContext& context() const { return doc.context(); }
  bool mentions(EntityKind kind, const std::string& id) const {
    return doc.entities(kind).count(id) != 0;
  }
  template <class F>
  void for_each_entity(EntityKind kind, F&& f) {
    for (auto& [id, bound] : kind == EntityKind::node ? nodes : edges) {
      EntityState& entity = bound;  // captured below (see DocSource)
      auto merge = [&entity](FieldMap& fields) {
        std::uint64_t highest = 0;
        for (const auto& entry : entity.fields.entries()) {
          highest = std::max(highest, entry.reg.stamp.counter);
        }
        fields.join(std::move(entity.fields));
        return highest;
      };
      f(id, entity.dots, merge);
    }
  }
};

}  // namespace

void GraphDoc::join(GraphDoc&& other) {
  if (&other == this) return;
  if (empty()) {
    adopt(std::move(other));
  } else {
    join_from(MovingDocSource{other, other.nodes_, other.edges_});
  }
  other = GraphDoc();
}

// Joining into a state that holds nothing gives `other` itself, less any
// entity holding neither dots nor fields: its context, entities and indexes
// are taken whole (a fresh replica's catch-up, where join_from would rebuild
// every entity and index one by one). The clock observes what join_from's
// would: the highest field stamp.
void GraphDoc::adopt(GraphDoc&& other) {
  std::uint64_t highest_counter = 0;
  for (EntityMap* map : {&other.nodes_, &other.edges_}) {
    for (auto it = map->begin(); it != map->end();) {
      // An empty entity has no dot and no endpoint: no index lists it.
      if (it->second.empty()) {
        it = map->erase(it);
        continue;
      }
      for (const auto& entry : it->second.fields.entries())
        highest_counter = std::max(highest_counter, entry.reg.stamp.counter);
      ++it;
    }
  }
  context_ = std::move(other.context_);
  nodes_ = std::move(other.nodes_);
  edges_ = std::move(other.edges_);
  // EntityMap keeps each entity where it was allocated, so the ids the
  // indexes point to move with them.
  dot_owners_ = std::move(other.dot_owners_);
  edges_by_endpoint_ = std::move(other.edges_by_endpoint_);
  clock_.observe(highest_counter);
}

namespace {

// A FieldWriteDelta as a delta source: its context is the transaction's dot,
// and it mentions one entity, without dots.
struct FieldWriteSource {
  const FieldWriteDelta& delta;
  CausalContext seen;

  const CausalContext& context() const { return seen; }
  bool mentions(EntityKind kind, const std::string& id) const {
    return !delta.empty() && kind == delta.kind && id == delta.id;
  }
  template <class F>
  void for_each_entity(EntityKind kind, F&& f) const {
    static const DotSet no_dots;
    if (delta.empty() || kind != delta.kind) return;
    const FieldWriteDelta& written = delta;  // captured below (see DocSource)
    auto merge = [&written](FieldMap& fields) {
      for (const auto& field : written.fields)
        fields.merge(field.key, {field.value, written.stamp});
      return written.stamp.counter;
    };
    f(delta.id, no_dots, merge);
  }
};

}  // namespace

GraphDoc::GraphDoc(FieldWriteDelta delta) {
  if (delta.empty()) return;
  context_.insert(delta.stamp.dot());
  EntityState& entity = entities_mut(delta.kind)[std::move(delta.id)];
  for (auto& field : delta.fields)
    entity.fields.merge(std::move(field.key), {std::move(field.value), delta.stamp});
  rebuild_indexes();
}

void GraphDoc::join(const FieldWriteDelta& delta) {
  FieldWriteSource source{delta, {}};
  if (!delta.empty()) source.seen.insert(delta.stamp.dot());
  join_from(source);
}

GraphDoc GraphDoc::delta_since(const CausalContext& known) const {
  GraphDoc delta;
  delta.context_ = context_;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    EntityMap& out = delta.entities_mut(kind);
    for (const auto& [id, entity] : entities(kind)) {
      EntityState lacking;
      lacking.dots = entity.dots;
      for (const auto& entry : entity.fields.entries()) {
        if (!known.contains(entry.reg.stamp.dot())) {
          lacking.fields.append_sorted(entry.key, entry.reg);
        }
      }
      if (!lacking.empty()) out.emplace(id, std::move(lacking));
    }
  }
  delta.rebuild_indexes();
  return delta;
}

Result<GraphDoc> GraphDoc::from_parts(CausalContext context, EntityMap nodes, EntityMap edges) {
  GraphDoc doc;
  doc.context_ = std::move(context);
  doc.nodes_ = std::move(nodes);
  doc.edges_ = std::move(edges);
  for (const auto& [replica, seq] : doc.context_.version_vector().entries()) {
    if (seq > limits::kMaxCounter) {
      return make_error(ErrorCode::limit_exceeded, "a sequence number is beyond the limit");
    }
  }
  for (Dot dot : doc.context_.cloud()) {
    if (dot.seq > limits::kMaxCounter) {
      return make_error(ErrorCode::limit_exceeded, "a sequence number is beyond the limit");
    }
  }
  std::uint64_t highest_counter = 0;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, entity] : doc.entities(kind)) {
      if (auto error = validate_id(id)) return *error;
      if (entity.empty()) {
        return make_error(ErrorCode::malformed, std::string(kind_name(kind)) + " '" + id +
                                                    "' holds neither dots nor fields");
      }
      if (!std::is_sorted(entity.dots.begin(), entity.dots.end()) ||
          std::adjacent_find(entity.dots.begin(), entity.dots.end()) != entity.dots.end()) {
        return make_error(ErrorCode::malformed, "dots of '" + id + "' are not a sorted set");
      }
      for (Dot dot : entity.dots) {
        if (dot.seq == 0 || !doc.context_.contains(dot)) {
          return make_error(ErrorCode::malformed, "a dot of '" + id + "' is outside the context");
        }
      }
      for (const auto& entry : entity.fields.entries()) {
        if (auto error = validate_field_key(entry.key)) return *error;
        const Stamp& stamp = entry.reg.stamp;
        if (stamp.seq == 0 || stamp.replica.is_null() || stamp.counter < stamp.seq) {
          return make_error(ErrorCode::malformed, "an invalid stamp in '" + id + "'");
        }
        if (stamp.counter > limits::kMaxCounter) {
          return make_error(ErrorCode::limit_exceeded, "a stamp counter is beyond the limit");
        }
        if (!doc.context_.contains(stamp.dot())) {
          return make_error(ErrorCode::malformed, "a stamp of '" + id + "' is outside the context");
        }
        if (entry.reg.value) {
          if (auto error = validate_value(*entry.reg.value, entry.key.name)) return *error;
        }
        highest_counter = std::max(highest_counter, stamp.counter);
      }
    }
  }
  doc.rebuild_indexes();
  doc.clock_.observe(highest_counter);
  return doc;
}

}  // namespace trellis::crdt
