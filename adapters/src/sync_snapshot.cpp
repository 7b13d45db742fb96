#include "trellis/adapters/sync_snapshot.hpp"

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

}  // namespace

SyncSnapshot::SyncSnapshot(const crdt::GraphDoc& doc, const SyncSnapshot* previous) {
  take_view(crdt::nodes_view(doc), previous ? &previous->nodes_ : nullptr,
            previous ? &previous->nodes_text_ : nullptr, nodes_, nodes_text_);
  take_view(crdt::edges_view(doc), previous ? &previous->edges_ : nullptr,
            previous ? &previous->edges_text_ : nullptr, edges_, edges_text_);
}

std::string SyncSnapshot::event_text(const Json& users, std::string_view workspace_id,
                                     const Json& current_user) const {
  // encode_event_text of event(): nlohmann writes an object's keys in
  // sorted order (currentUser, edges, nodes, users, workspaceId).
  const std::string user_text = dump(current_user);
  const std::string users_text = dump(users);
  const std::string id_text = dump(Json(workspace_id));
  std::string out;
  out.reserve(64 + user_text.size() + edges_text_.size() + nodes_text_.size() + users_text.size() +
              id_text.size());
  out += R"(2["workspace_sync",{"currentUser":)";
  out += user_text;
  out += R"(,"edges":)";
  out += edges_text_;
  out += R"(,"nodes":)";
  out += nodes_text_;
  out += R"(,"users":)";
  out += users_text;
  out += R"(,"workspaceId":)";
  out += id_text;
  out += "}]";
  return out;
}

OutgoingEvent SyncSnapshot::event(Json users, std::string_view workspace_id,
                                  Json current_user) const {
  return workspace_sync_event(array_of(nodes_), array_of(edges_), std::move(users), workspace_id,
                              std::move(current_user));
}

}  // namespace trellis::adapters
