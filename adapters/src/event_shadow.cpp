#include "trellis/adapters/event_shadow.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters {

namespace {

using crdt::EntityKind;
using crdt::GraphDoc;
using States = std::vector<ModelState>;
using Op = StoreEffect::Op;

bool is_node(EntityKind kind) {
  return kind == EntityKind::node;
}

void add_state(States& states, ModelState state) {
  if (std::find(states.begin(), states.end(), state) == states.end()) {
    states.push_back(std::move(state));
  }
}

bool attaches(const Json& edge, const Json& node_id) {
  for (const char* end : {"source", "target"}) {
    auto it = edge.find(end);
    if (it != edge.end() && *it == node_id) return true;
  }
  return false;
}

// Whether merging `patch` into the object's data would change nothing.
bool holds_data(const Json& object, const Json& patch) {
  auto data = object.find("data");
  if (data == object.end() || !data->is_object()) return false;
  for (const auto& [key, value] : patch.items()) {
    auto held = data->find(key);
    if (held == data->end() || *held != value) return false;
  }
  return true;
}

StoreEffect effect_of(StoreEffect::Op op, Json value = nullptr) {
  return StoreEffect{op, value.is_null() ? nullptr : share(std::move(value))};
}

// The simple store's rule for one event or change, on one possible state.
States apply_effect(const StoreEffect& effect, const ModelState& state) {
  using Kind = ModelState::Kind;
  switch (effect.op) {
    case Op::insert:
      return {ModelState::present(effect.value)};
    case Op::remove:
      return {ModelState::absent()};
    case Op::replace:
      if (state.kind == Kind::present) return {ModelState::present(effect.value)};
      if (state.kind == Kind::absent) return {state};
      return {ModelState::absent(), ModelState::present(effect.value)};
    case Op::merge_data: {
      if (state.kind != Kind::present) return {state};
      // Replays often merge what a state holds already: keep it, uncopied.
      if (holds_data(*state.object, *effect.value)) return {state};
      Json merged = *state.object;
      Json& data = merged["data"];
      if (!data.is_object()) data = Json::object();  // a spread of no object adds nothing
      for (const auto& [key, value] : effect.value->items())
        data[key] = value;
      return {ModelState::present(std::move(merged))};
    }
    case Op::remove_if_attached:
      if (state.kind == Kind::present && attaches(*state.object, *effect.value)) {
        return {ModelState::absent()};
      }
      return {state};
    case Op::forget:
      return {ModelState::unknown()};
  }
  return {ModelState::unknown()};
}

void apply_effect_into(const StoreEffect& effect, const ModelState& state, States& into) {
  for (auto& result : apply_effect(effect, state))
    add_state(into, std::move(result));
}

States apply_effect(const StoreEffect& effect, const States& states) {
  States result;
  for (const auto& state : states)
    apply_effect_into(effect, state, result);
  return result;
}

void bound_states(States& states) {
  if (states.size() > ClientShadow::kMaxStatesPerSegment) states = {ModelState::unknown()};
}

// What a change requires of the state it was made on: the seed UI updates,
// edits and deletes only what it shows, and adds fresh ids.
enum class Needs : std::uint8_t { anything, absent, present };

bool satisfies(const ModelState& state, Needs needs) {
  switch (state.kind) {
    case ModelState::Kind::unknown:
      return true;
    case ModelState::Kind::absent:
      return needs != Needs::present;
    case ModelState::Kind::present:
      return needs != Needs::absent;
  }
  return true;
}

// What a store synced to `store` holds of the entity, and the event that put
// it there (an insert of the object, or a remove).
ModelState synced_state(const SyncSnapshot::Store& store, EntityKind kind, const std::string& id) {
  const SyncSnapshot::Entity* entity = store.find(kind, id);
  return entity ? ModelState::present(entity->object) : ModelState::absent();
}

StoreEffect synced_effect(const ModelState& state) {
  return state.kind == ModelState::Kind::present ? StoreEffect{Op::insert, state.object}
                                                 : StoreEffect{Op::remove, nullptr};
}

ModelState view_state(const GraphDoc& doc, EntityKind kind, const std::string& id) {
  Json view = is_node(kind) ? node_view(doc, id) : edge_view(doc, id);
  if (view.is_null()) return ModelState::absent();
  return ModelState::present(std::move(view));
}

// Keys of `data` that, merged into every present state, give `target`:
// nullopt when a merge cannot (another field differs, or a state has a key
// the target lacks).
std::optional<Json> data_patch_to(const States& states, const Json& target) {
  const Json& target_data = target["data"];
  Json patch = Json::object();
  for (const ModelState& state : states) {
    const Json& object = *state.object;
    if (object.size() != target.size()) return std::nullopt;
    for (const auto& [name, value] : object.items()) {
      auto it = target.find(name);
      if (it == target.end()) return std::nullopt;
      if (name != "data" && *it != value) return std::nullopt;
    }
    auto data = object.find("data");
    if (data == object.end() || !data->is_object()) return std::nullopt;
    for (const auto& [key, value] : data->items()) {
      if (!target_data.contains(key)) return std::nullopt;
    }
    for (const auto& [key, value] : target_data.items()) {
      auto held = data->find(key);
      if (held == data->end() || *held != value) patch[key] = value;
    }
  }
  return patch;
}

// Touched node ids, each after the touched node its view names as parent
// (React Flow wants a parent before its children).
std::vector<std::string> parents_first(const std::unordered_map<std::string, ModelState>& views,
                                       const std::vector<std::string>& ids) {
  std::unordered_map<std::string, std::string> parent_of;
  std::unordered_set<std::string> in_set(ids.begin(), ids.end());
  for (const auto& id : ids) {
    const ModelState& state = views.at(id);
    if (state.kind != ModelState::Kind::present) continue;
    const Json& view = *state.object;
    auto parent = view.find("parentId");
    if (parent != view.end() && parent->is_string() &&
        in_set.count(parent->get_ref<const std::string&>())) {
      parent_of[id] = parent->get<std::string>();
    }
  }
  std::vector<std::string> ordered;
  std::unordered_set<std::string> placed;
  for (const auto& start : ids) {
    std::vector<std::string> chain;
    std::unordered_set<std::string> on_chain;
    for (std::string id = start; !placed.count(id) && on_chain.insert(id).second;) {
      chain.push_back(id);
      auto parent = parent_of.find(id);
      if (parent == parent_of.end()) break;
      id = parent->second;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (placed.insert(*it).second) ordered.push_back(*it);
    }
  }
  return ordered;
}

void sort_unique(std::vector<std::string>& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

}  // namespace

// The records a change involves: the entity it names, the nodes an edge it
// adds or updates must join, and (a node delete) the edges the client's
// store drops with the node.
struct ClientShadow::Involved {
  EntityKind kind = EntityKind::node;
  std::string id;
  StoreEffect effect;
  Needs needs = Needs::anything;
  std::vector<std::string> endpoints;
  std::vector<std::string> cascaded;
  // Filled by locate: the frontiers where some record changes (from floor_),
  // which of them the change fits, and whether any did (else all are kept).
  std::vector<std::uint64_t> starts;
  std::vector<bool> feasible;
  bool pruned = false;
  // Whole-object changes compare with what the sender held (SenderBases);
  // a node_data_update does not need them.
  bool wants_bases = false;
};

namespace {

std::optional<Needs> needs_of(ChangeType type) {
  switch (type) {
    case ChangeType::add:
      return Needs::absent;
    case ChangeType::update:
    case ChangeType::remove:
      return Needs::present;
  }
  return std::nullopt;
}

Op store_op_of(ChangeType type) {
  switch (type) {
    case ChangeType::add:
      return Op::insert;
    case ChangeType::update:
      return Op::replace;
    case ChangeType::remove:
      return Op::remove;
  }
  return Op::remove;
}

}  // namespace

void ClientShadow::raise_floor(std::uint64_t floor) {
  floor_ = std::max(floor_, floor);
  node_removals_.erase(node_removals_.begin(),
                       std::find_if(node_removals_.begin(), node_removals_.end(),
                                    [&](const auto& removal) { return removal.first > floor_; }));
  auto pending = std::find_if(syncs_.begin(), syncs_.end(),
                              [&](const Sync& sync) { return sync.number > floor_; });
  if (pending != syncs_.begin()) {
    base_ = std::prev(pending)->store;
    syncs_.erase(syncs_.begin(), pending);
  }
}

void ClientShadow::acknowledge(std::uint64_t events_applied) {
  raise_floor(std::min(events_applied, sent_));
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    Records& map = records(kind);
    std::vector<std::string> settled;
    auto& ids = unsettled(kind);
    for (auto id = ids.begin(); id != ids.end();) {
      auto found = map.find(*id);
      if (found != map.end()) clip(found->second);
      if (found != map.end() && found->second.segments.size() > 1) {
        ++id;
        continue;
      }
      // Settled on one segment: dropped if it says what the latest sync
      // does, else kept without the room of the segments it had.
      if (found != map.end()) {
        found->second.segments.shrink_to_fit();
        settled.push_back(*id);
      }
      id = ids.erase(id);
    }
    for (const auto& id : settled)
      compact(kind, id);
  }
}

ClientShadow::Record& ClientShadow::record(EntityKind kind, const std::string& id) {
  unsettled(kind).insert(id);
  Records& map = records(kind);
  auto it = map.find(id);
  if (it != map.end()) {
    clip(it->second);
    return it->second;
  }
  return map.emplace(id, implicit_record(kind, id)).first->second;
}

ModelState ClientShadow::base_state(EntityKind kind, const std::string& id) const {
  // Before the first workspace_sync the store may hold anything (a
  // reconnecting client keeps its nodes); after it, what the latest sync at
  // or before floor_ showed, nothing having been sent about it since.
  if (first_sync_ == 0 || floor_ < first_sync_ || !base_) return ModelState::unknown();
  return synced_state(*base_, kind, id);
}

ClientShadow::Record ClientShadow::implicit_record(EntityKind kind, const std::string& id) const {
  // Nothing was sent about it since floor_ but the workspace_syncs, each of
  // which replaced whatever a change of the client had put there before it.
  Record fresh;
  fresh.segments.push_back(Segment{floor_, std::nullopt, {base_state(kind, id)}, false});
  for (const Sync& sync : syncs_) {
    ModelState state = synced_state(*sync.store, kind, id);
    StoreEffect effect = synced_effect(state);
    fresh.segments.push_back(Segment{sync.number, std::move(effect), {std::move(state)}, false});
  }
  bound_segments(fresh);
  return fresh;
}

std::vector<std::string> ClientShadow::edges_attached(const std::string& node_id) const {
  std::vector<std::string> edges;
  if (auto indexed = edges_by_node_.find(node_id); indexed != edges_by_node_.end())
    edges.assign(indexed->second.begin(), indexed->second.end());
  auto add_synced = [&](const SyncSnapshot::Store& store) {
    for (auto& edge : store.edges_attached(node_id))
      edges.push_back(std::move(edge));
  };
  if (base_) add_synced(*base_);
  for (const Sync& sync : syncs_)
    add_synced(*sync.store);
  sort_unique(edges);
  return edges;
}

void ClientShadow::bound_segments(Record& entry) {
  auto& segments = entry.segments;
  if (segments.size() <= kMaxSegments) return;
  // Fold the oldest frontiers into one whose state is unknown; the events
  // inside are forgotten, which `lossy` makes every replay respect.
  const std::size_t fold = segments.size() - kMaxSegments + 1;
  segments[0].states = {ModelState::unknown()};
  segments[0].lossy = true;
  segments.erase(segments.begin() + 1, segments.begin() + static_cast<long>(fold + 1));
}

bool ClientShadow::never_held(EntityKind kind, const std::string& id) {
  Records& map = records(kind);
  auto it = map.find(id);
  Record implicit;
  if (it == map.end()) {
    implicit = implicit_record(kind, id);
  } else {
    clip(it->second);
  }
  // A change the client made before the latest delete (or workspace_sync
  // without it) is wiped by it; only the frontiers since then matter.
  const auto& segments = it == map.end() ? implicit.segments : it->second.segments;
  auto since = std::find_if(segments.rbegin(), segments.rend(), [](const Segment& segment) {
    return segment.event && segment.event->op == Op::remove;
  });
  auto first = since == segments.rend() ? segments.begin() : std::prev(since.base());
  return std::all_of(first, segments.end(), [](const Segment& segment) {
    return segment.states == States{ModelState::absent()};
  });
}

const std::vector<ModelState>& ClientShadow::finals(EntityKind kind, const std::string& id,
                                                    States& scratch) const {
  const Records& map = kind == EntityKind::node ? nodes_ : edges_;
  auto it = map.find(id);
  if (it != map.end()) return it->second.segments.back().states;
  scratch = {syncs_.empty() ? base_state(kind, id) : synced_state(*syncs_.back().store, kind, id)};
  return scratch;
}

void ClientShadow::clip(Record& record) const {
  auto& segments = record.segments;
  std::size_t first = 0;
  while (first + 1 < segments.size() && segments[first + 1].from <= floor_)
    ++first;
  if (first > 0) segments.erase(segments.begin(), segments.begin() + static_cast<long>(first));
  if (segments[0].from < floor_) {
    segments[0].from = floor_;
    segments[0].event.reset();
  }
}

void ClientShadow::append_event(EntityKind kind, const std::string& id, const StoreEffect& effect,
                                const ModelState* result) {
  Record& entry = record(kind, id);
  auto& segments = entry.segments;
  States next = result ? States{*result} : apply_effect(effect, segments.back().states);
  bound_states(next);
  segments.push_back(Segment{sent_, effect, std::move(next), false});
  bound_segments(entry);
  if (!is_node(kind)) reindex_edge(id, entry);
}

void ClientShadow::reindex_edge(const std::string& id, Record& entry) {
  for (const auto& segment : entry.segments) {
    for (const auto& state : segment.states) {
      if (state.kind != ModelState::Kind::present) continue;
      for (const char* end : {"source", "target"}) {
        auto node = state.object->find(end);
        if (node == state.object->end() || !node->is_string()) continue;
        const auto& node_id = node->get_ref<const std::string&>();
        if (std::find(entry.indexed_endpoints.begin(), entry.indexed_endpoints.end(), node_id) ==
            entry.indexed_endpoints.end()) {
          entry.indexed_endpoints.push_back(node_id);
          edges_by_node_[node_id].insert(id);
        }
      }
    }
  }
}

void ClientShadow::compact(EntityKind kind, const std::string& id) {
  Records& map = records(kind);
  auto it = map.find(id);
  if (it == map.end()) return;
  // Dropped when it says what having no record says: one state since
  // floor_, that of the latest sync (with no sync since floor_ to add a
  // segment). Before the first sync an absent record goes too, as "any
  // state": less precise, never wrong.
  const auto& segments = it->second.segments;
  if (segments.size() != 1 || segments[0].lossy || !syncs_.empty() ||
      segments[0].states.size() != 1) {
    return;
  }
  const ModelState& held = segments[0].states[0];
  const ModelState base = base_state(kind, id);
  if (!(held == base) &&
      !(base.kind == ModelState::Kind::unknown && held.kind == ModelState::Kind::absent)) {
    return;
  }
  for (const auto& node_id : it->second.indexed_endpoints) {
    auto entry = edges_by_node_.find(node_id);
    if (entry == edges_by_node_.end()) continue;
    entry->second.erase(id);
    if (entry->second.empty()) edges_by_node_.erase(entry);
  }
  map.erase(it);
}

void ClientShadow::send(EntityKind kind, const std::string& id, const StoreEffect& effect,
                        OutgoingEvent event, std::vector<OutgoingEvent>& out,
                        std::vector<std::string>& cascaded_edges, const ModelState* result) {
  ++sent_;
  append_event(kind, id, effect, result);
  if (is_node(kind) && effect.op == Op::remove) {
    node_removals_.emplace_back(sent_, id);
    if (node_removals_.size() > kMaxRemovalLog) {
      removals_forgotten_until_ = node_removals_.front().first;
      node_removals_.erase(node_removals_.begin());
    }
    // The store drops the node's edges with it.
    for (const auto& edge : edges_attached(id)) {
      append_event(EntityKind::edge, edge, effect_of(Op::remove_if_attached, id));
      cascaded_edges.push_back(edge);
    }
  }
  out.push_back(std::move(event));
}

SharedJson SharedPatches::share_equal(Json patch) {
  for (const SharedJson& kept : kept_) {
    if (*kept == patch) return kept;
  }
  SharedJson shared = share(std::move(patch));
  if (kept_.size() < kMaxKept) kept_.push_back(shared);
  return shared;
}

void ClientShadow::reconcile(EntityKind kind, const std::string& id, const ModelState& target,
                             std::string_view author, std::vector<OutgoingEvent>& out,
                             std::vector<std::string>& cascaded_edges, SharedPatches* patches) {
  States scratch;
  const States& held = finals(kind, id, scratch);
  if (held.size() == 1 && held[0] == target) return;

  auto change = [&](ChangeType type, Json object) {
    return is_node(kind) ? node_change_event(type, std::move(object), author)
                         : edge_change_event(type, std::move(object), author);
  };
  auto all_are = [&](ModelState::Kind state_kind) {
    return std::all_of(held.begin(), held.end(),
                       [&](const ModelState& state) { return state.kind == state_kind; });
  };
  auto send_remove = [&] {
    send(kind, id, StoreEffect{Op::remove, nullptr}, change(ChangeType::remove, Json{{"id", id}}),
         out, cascaded_edges);
  };
  auto send_add = [&] {
    send(kind, id, StoreEffect{Op::insert, target.object}, change(ChangeType::add, *target.object),
         out, cascaded_edges);
  };

  if (target.kind == ModelState::Kind::absent) {
    send_remove();
  } else if (all_are(ModelState::Kind::present)) {
    std::optional<Json> patch;
    if (is_node(kind)) patch = data_patch_to(held, *target.object);
    if (patch) {
      // The patch makes every final the view: the record shares the view's
      // object (one for every receiver) instead of merging a copy.
      auto event = node_data_update_event(id, *patch, author);
      StoreEffect effect =
          patches ? StoreEffect{Op::merge_data, patches->share_equal(std::move(*patch))}
                  : effect_of(Op::merge_data, std::move(*patch));
      send(kind, id, effect, std::move(event), out, cascaded_edges, &target);
    } else {
      send(kind, id, StoreEffect{Op::replace, target.object},
           change(ChangeType::update, *target.object), out, cascaded_edges);
    }
  } else if (never_held(kind, id)) {
    send_add();
  } else {
    // The store may hold it — now, or through a change of its own the server
    // has not received (it may have kept alive an edge an event was to
    // remove): a delete first, so that the add cannot leave two copies
    // whatever `add` does with a duplicate.
    send_remove();
    send_add();
  }
  compact(kind, id);
}

TouchedViews views_of(const GraphDoc& doc, const Touched& touched) {
  TouchedViews views;
  std::unordered_map<std::string, ModelState> nodes;
  for (const auto& id : touched.nodes)
    nodes.emplace(id, view_state(doc, EntityKind::node, id));
  for (auto& id : parents_first(nodes, touched.nodes)) {
    ModelState& view = nodes.at(id);
    views.nodes.emplace_back(std::move(id), std::move(view));
  }
  std::vector<std::string> edges = touched.edges;
  sort_unique(edges);
  for (auto& id : edges) {
    ModelState view = view_state(doc, EntityKind::edge, id);
    views.edges.emplace_back(std::move(id), std::move(view));
  }
  return views;
}

std::vector<OutgoingEvent> ClientShadow::events_for(const GraphDoc& doc, const Touched& touched,
                                                    std::string_view author) {
  return events_for(doc, views_of(doc, touched), author);
}

std::vector<OutgoingEvent> ClientShadow::events_for(const GraphDoc& doc, const TouchedViews& views,
                                                    std::string_view author,
                                                    SharedPatches* patches) {
  std::vector<OutgoingEvent> out;
  // Node deletes sent here drop, in this store, edges only it may hold.
  std::vector<std::string> cascaded;
  for (const auto& [id, view] : views.nodes)
    reconcile(EntityKind::node, id, view, author, out, cascaded, patches);
  std::vector<std::string> edges;
  for (const auto& [id, view] : views.edges)
    edges.push_back(id);
  edges.insert(edges.end(), cascaded.begin(), cascaded.end());
  sort_unique(edges);
  std::vector<std::string> ignored;
  for (const auto& id : edges) {
    auto viewed = std::lower_bound(
        views.edges.begin(), views.edges.end(), id,
        [](const auto& entry, const std::string& wanted) { return entry.first < wanted; });
    if (viewed != views.edges.end() && viewed->first == id) {
      reconcile(EntityKind::edge, id, viewed->second, author, out, ignored);
    } else {
      reconcile(EntityKind::edge, id, view_state(doc, EntityKind::edge, id), author, out, ignored);
    }
  }
  return out;
}

void ClientShadow::record_sync(const SyncSnapshot& snapshot) {
  ++sent_;
  const SyncSnapshot::Store& store = *snapshot.store();
  // The entities with a record get the sync as an event of theirs; the rest
  // read it from syncs_ (implicit_record), so a join adds no record.
  // (append_event finds the record again but adds none: the map is stable.)
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, unused] : records(kind)) {
      const ModelState state = synced_state(store, kind, id);
      append_event(kind, id, synced_effect(state), &state);
    }
  }
  syncs_.push_back(Sync{sent_, snapshot.store()});
  if (first_sync_ == 0) first_sync_ = sent_;
}

OutgoingEvent ClientShadow::sync(const GraphDoc& doc, Json users, Json current_user,
                                 std::string_view workspace_id) {
  const SyncSnapshot snapshot(doc);
  record_sync(snapshot);
  return snapshot.event(std::move(users), workspace_id, std::move(current_user));
}

SenderBases ClientShadow::locate(Involved& involved) {
  Record& primary = record(involved.kind, involved.id);
  std::vector<const Record*> ends;
  for (const auto& node : involved.endpoints)
    ends.push_back(&record(EntityKind::node, node));
  auto& starts = involved.starts;
  starts = {floor_};
  auto collect = [&](const Record& entry) {
    for (const auto& segment : entry.segments) {
      if (segment.from > floor_) starts.push_back(segment.from);
    }
  };
  collect(primary);
  for (const Record* end : ends)
    collect(*end);
  for (const auto& edge : involved.cascaded)
    collect(record(EntityKind::edge, edge));
  for (const auto& removal : node_removals_)
    starts.push_back(removal.first);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());

  auto states_at = [](const Record& entry, std::uint64_t frontier) -> const States& {
    auto after =
        std::upper_bound(entry.segments.begin(), entry.segments.end(), frontier,
                         [](std::uint64_t g, const Segment& segment) { return g < segment.from; });
    return std::prev(after)->states;
  };
  auto any_satisfies = [](const States& states, Needs needs) {
    return std::any_of(states.begin(), states.end(),
                       [&](const ModelState& state) { return satisfies(state, needs); });
  };
  involved.feasible.assign(starts.size(), false);
  for (std::size_t i = 0; i < starts.size(); ++i) {
    involved.feasible[i] = any_satisfies(states_at(primary, starts[i]), involved.needs) &&
                           std::all_of(ends.begin(), ends.end(), [&](const Record* end) {
                             return any_satisfies(states_at(*end, starts[i]), Needs::present);
                           });
  }
  involved.pruned = std::find(involved.feasible.begin(), involved.feasible.end(), true) !=
                    involved.feasible.end();
  // A change that fits nowhere (a client breaking the UI assumptions) is
  // placed everywhere: less precise, still correct.
  if (!involved.pruned) involved.feasible.assign(starts.size(), true);

  SenderBases bases;
  if (!involved.wants_bases) return bases;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    if (!involved.feasible[i]) continue;
    for (const auto& state : states_at(primary, starts[i])) {
      if (involved.pruned && !satisfies(state, involved.needs)) continue;
      if (state.kind == ModelState::Kind::unknown) {
        bases.partial = true;
        continue;
      }
      bases.known = true;
      if (state.kind == ModelState::Kind::present &&
          std::find(bases.objects.begin(), bases.objects.end(), *state.object) ==
              bases.objects.end()) {
        bases.objects.push_back(*state.object);
      }
    }
  }
  return bases;
}

void ClientShadow::rebuild(Record& entry, const Involved& involved, const StoreEffect& effect,
                           bool filter, bool is_edge) const {
  std::vector<Segment> rebuilt;
  States held;  // possible states at the current frontier, the change made at or before it
  std::size_t at = 0;
  auto removal = node_removals_.begin();
  for (std::size_t i = 0; i < involved.starts.size(); ++i) {
    const std::uint64_t frontier = involved.starts[i];
    while (at + 1 < entry.segments.size() && entry.segments[at + 1].from <= frontier)
      ++at;
    const Segment& segment = entry.segments[at];
    std::optional<StoreEffect> event;
    if (i > 0 && segment.from == frontier) event = segment.event;
    if (event && !held.empty()) held = apply_effect(*event, held);
    if (is_edge && !held.empty()) {
      // Node deletes reach edges this record never heard of (idempotent when
      // the record has the cascade already); past the log's memory, anything.
      if (i > 0 && involved.starts[i - 1] <= removals_forgotten_until_ &&
          frontier > removals_forgotten_until_) {
        held = {ModelState::unknown()};
      }
      for (; removal != node_removals_.end() && removal->first <= frontier; ++removal) {
        if (removal->first == frontier) {
          held = apply_effect(effect_of(Op::remove_if_attached, removal->second), held);
        }
      }
    }
    if (involved.feasible[i]) {
      for (const auto& state : segment.states) {
        if (!filter || satisfies(state, involved.needs)) apply_effect_into(effect, state, held);
      }
    }
    if (segment.lossy && !held.empty()) held = {ModelState::unknown()};
    bound_states(held);
    if (held.empty()) continue;  // below the change's earliest frontier: never again
    if (rebuilt.empty()) event.reset();
    const Segment* last = rebuilt.empty() ? nullptr : &rebuilt.back();
    if (last && !event && last->lossy == segment.lossy && last->states == held) continue;
    rebuilt.push_back(Segment{frontier, std::move(event), held, segment.lossy});
  }
  entry.segments = std::move(rebuilt);
}

void ClientShadow::apply_located(const Involved& involved) {
  rebuild(record(involved.kind, involved.id), involved, involved.effect, involved.pruned,
          !is_node(involved.kind));
  const StoreEffect cascade = effect_of(Op::remove_if_attached, involved.id);
  for (const auto& edge : involved.cascaded)
    rebuild(record(EntityKind::edge, edge), involved, cascade, false, true);
  const auto first = std::find(involved.feasible.begin(), involved.feasible.end(), true);
  raise_floor(involved.starts[static_cast<std::size_t>(first - involved.feasible.begin())]);
  if (!is_node(involved.kind)) reindex_edge(involved.id, records(involved.kind)[involved.id]);
  for (const auto& edge : involved.cascaded)
    compact(EntityKind::edge, edge);
  for (const auto& node : involved.endpoints)
    compact(EntityKind::node, node);
}

ChangeOutcome ClientShadow::receive_change(GraphDoc& doc, const ClientEvent& change) {
  GraphDoc& target = doc;
  return receive_change(doc, change, [&target](const Mutation& mutation) {
    return apply_mutation(target, mutation);
  });
}

ChangeOutcome ClientShadow::receive_change(const GraphDoc& doc, const ClientEvent& change,
                                           const TransactionRunner& run) {
  ChangeOutcome outcome;
  const auto entity = changed_entity(change);
  if (!entity) {
    outcome.error = EventError{"not a change event", std::nullopt};
    return outcome;
  }
  Involved involved;
  involved.kind = entity->kind;
  involved.id = entity->id;
  if (const auto* node = std::get_if<NodeChange>(&change)) {
    involved.effect = effect_of(store_op_of(node->type), node->node);
    involved.wants_bases = true;
    involved.needs = *needs_of(node->type);
    if (node->type == ChangeType::remove) involved.cascaded = edges_attached(involved.id);
  } else if (const auto* edge = std::get_if<EdgeChange>(&change)) {
    involved.effect = effect_of(store_op_of(edge->type), edge->edge);
    involved.wants_bases = true;
    involved.needs = *needs_of(edge->type);
    // A new edge joins two nodes the store shows (onConnect); an existing
    // one may be dangling in a seed store (received after its node's delete).
    if (edge->type == ChangeType::add) {
      for (const char* end : {"source", "target"})
        involved.endpoints.push_back(edge->edge[end].get<std::string>());
    }
  } else {
    const auto& update = std::get<NodeDataUpdate>(change);
    involved.effect = effect_of(Op::merge_data, update.data);
    involved.needs = Needs::present;
  }

  Touched touched;
  touched.add(involved.kind, involved.id);
  const SenderBases bases = locate(involved);
  auto plan = plan_change(doc, change, bases);
  if (!plan) {
    outcome.error = plan.error();
  } else {
    for (const Mutation& mutation : *plan) {
      if (mutation.op == Mutation::Op::add_node || mutation.op == Mutation::Op::remove_node) {
        for (auto& edge : attached_edges(doc, mutation.id))
          touched.add(EntityKind::edge, std::move(edge));
      }
      auto delta = run(mutation);
      if (!delta) {
        outcome.error = EventError{delta.error().message, entity};
        break;
      }
      outcome.deltas.push_back(std::move(*delta));
    }
  }
  sort_unique(touched.edges);
  outcome.touched = touched;
  outcome.views = views_of(doc, touched);

  // The sender's store applied its change whatever the server made of it.
  apply_located(involved);
  if (involved.cascaded.empty()) {
    outcome.to_sender = events_for(doc, outcome.views, kServerUserId);
  } else {
    for (const auto& edge : involved.cascaded)
      touched.add(EntityKind::edge, edge);
    outcome.to_sender = events_for(doc, touched, kServerUserId);
  }
  return outcome;
}

std::vector<OutgoingEvent> ClientShadow::receive_refused(const GraphDoc& doc,
                                                         const EventError& error) {
  if (!error.entity) return {};
  Involved involved;
  involved.kind = error.entity->kind;
  involved.id = error.entity->id;
  involved.effect = StoreEffect{Op::forget, nullptr};
  locate(involved);
  apply_located(involved);
  Touched touched;
  touched.add(involved.kind, involved.id);
  return events_for(doc, touched, kServerUserId);
}

std::size_t ClientShadow::uncertain_entities() const {
  std::size_t count = 0;
  for (const Records* map : {&nodes_, &edges_}) {
    for (const auto& [id, entry] : *map) {
      // Frontiers below floor_ are gone for good; look at the rest.
      auto first = std::find_if(entry.segments.rbegin(), entry.segments.rend(),
                                [&](const Segment& segment) { return segment.from <= floor_; });
      const auto begin =
          first == entry.segments.rend() ? entry.segments.begin() : std::prev(first.base());
      const States& states = begin->states;
      const bool uncertain =
          states.size() != 1 || std::any_of(begin, entry.segments.end(), [&](const Segment& s) {
            return s.states != states || s.lossy;
          });
      if (uncertain) ++count;
    }
  }
  return count;
}

}  // namespace trellis::adapters
