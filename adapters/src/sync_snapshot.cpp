#include "trellis/adapters/sync_snapshot.hpp"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "trellis/crdt/graph_view.hpp"

namespace trellis::adapters {
namespace {

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Moves the objects of `view` (a JSON array of the view's objects, each with
// a string "id") into `out`, and writes the array's text into `text`: from
// `previous` where an object of the same id is equal, encoded otherwise.
void take_view(Json view, const SyncSnapshot::Entities* previous, const std::string* previous_text,
               SyncSnapshot::Entities& out, std::string& text) {
  std::unordered_map<std::string_view, const SyncSnapshot::Entity*> earlier;
  if (previous) {
    earlier.reserve(previous->size());
    for (const auto& entity : *previous)
      earlier.emplace(entity.id, &entity);
  }
  out.reserve(view.size());
  text.push_back('[');
  for (Json& object : view) {
    if (out.size() > 0) text.push_back(',');
    SyncSnapshot::Entity entity;
    if (auto id = object.find("id"); id != object.end() && id->is_string())
      entity.id = id->get<std::string>();
    entity.text_offset = text.size();
    auto found = earlier.find(entity.id);
    if (found != earlier.end() && *found->second->object == object) {
      entity.object = found->second->object;
      text.append(*previous_text, found->second->text_offset, found->second->text_size);
    } else {
      text += dump(object);
      entity.object = share(std::move(object));
    }
    entity.text_size = text.size() - entity.text_offset;
    out.push_back(std::move(entity));
  }
  text.push_back(']');
}

Json array_of(const SyncSnapshot::Entities& entities) {
  Json out = Json::array();
  for (const auto& entity : entities)
    out.push_back(*entity.object);
  return out;
}

std::vector<std::uint32_t> order_by_id(const SyncSnapshot::Entities& entities) {
  std::vector<std::uint32_t> order(entities.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = static_cast<std::uint32_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return entities[a].id < entities[b].id;
  });
  return order;
}

const SyncSnapshot::Entity* find_in(const SyncSnapshot::Entities& entities,
                                    const std::vector<std::uint32_t>& by_id, std::string_view id) {
  auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                             [&](std::uint32_t at, std::string_view wanted) {
                               return std::string_view(entities[at].id) < wanted;
                             });
  if (it == by_id.end() || entities[*it].id != id) return nullptr;
  return &entities[*it];
}

}  // namespace

void SyncSnapshot::Store::index() {
  nodes_by_id_ = order_by_id(nodes_);
  edges_by_id_ = order_by_id(edges_);
  edge_ends_.clear();
  for (std::size_t i = 0; i < edges_.size(); ++i) {
    const Json& edge = *edges_[i].object;
    std::string_view seen;
    for (const char* end : {"source", "target"}) {
      auto node = edge.find(end);
      if (node == edge.end() || !node->is_string()) continue;
      const std::string_view node_id = node->get_ref<const std::string&>();
      if (node_id == seen) continue;  // a self-loop is attached once
      seen = node_id;
      edge_ends_.emplace_back(node_id, static_cast<std::uint32_t>(i));
    }
  }
  std::sort(edge_ends_.begin(), edge_ends_.end());
}

const SyncSnapshot::Entity* SyncSnapshot::Store::find(crdt::EntityKind kind,
                                                      std::string_view id) const {
  return kind == crdt::EntityKind::node ? find_in(nodes_, nodes_by_id_, id)
                                        : find_in(edges_, edges_by_id_, id);
}

std::vector<std::string> SyncSnapshot::Store::edges_attached(std::string_view node_id) const {
  std::vector<std::string> ids;
  auto it =
      std::lower_bound(edge_ends_.begin(), edge_ends_.end(), node_id,
                       [](const auto& end, std::string_view wanted) { return end.first < wanted; });
  for (; it != edge_ends_.end() && it->first == node_id; ++it)
    ids.push_back(edges_[it->second].id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

SyncSnapshot::SyncSnapshot(const crdt::GraphDoc& doc, const SyncSnapshot* previous) {
  auto store = std::make_shared<Store>();
  const Store* earlier = previous ? previous->store_.get() : nullptr;
  take_view(crdt::nodes_view(doc), earlier ? &earlier->nodes_ : nullptr,
            previous ? &previous->nodes_text_ : nullptr, store->nodes_, nodes_text_);
  take_view(crdt::edges_view(doc), earlier ? &earlier->edges_ : nullptr,
            previous ? &previous->edges_text_ : nullptr, store->edges_, edges_text_);
  store->index();
  store_ = std::move(store);
}

std::string SyncSnapshot::event_text(const Json& users, std::string_view workspace_id,
                                     const Json& current_user) const {
  // encode_event_text of event(): nlohmann writes an object's keys in
  // sorted order (currentUser, edges, nodes, users, workspaceId).
  const std::string user_text = dump(current_user);
  const std::string users_text = dump(users);
  const std::string id_text = dump(Json(workspace_id));
  const std::string_view parts[] = {R"(2["workspace_sync",{"currentUser":)",
                                    user_text,
                                    R"(,"edges":)",
                                    edges_text_,
                                    R"(,"nodes":)",
                                    nodes_text_,
                                    R"(,"users":)",
                                    users_text,
                                    R"(,"workspaceId":)",
                                    id_text,
                                    "}]"};
  std::size_t size = 0;
  for (std::string_view part : parts)
    size += part.size();
  std::string out;
  // Written once: no growth on the way (a copy of megabytes into fresh
  // pages), and a byte to spare for the Engine.IO packet type that goes in
  // front of it (encode_packet(EioPacket&&)).
  out.reserve(size + 1);
  for (std::string_view part : parts)
    out += part;
  return out;
}

OutgoingEvent SyncSnapshot::event(Json users, std::string_view workspace_id,
                                  Json current_user) const {
  return workspace_sync_event(array_of(nodes()), array_of(edges()), std::move(users), workspace_id,
                              std::move(current_user));
}

}  // namespace trellis::adapters
