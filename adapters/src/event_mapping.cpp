#include "trellis/adapters/event_mapping.hpp"

#include <algorithm>
#include <utility>

#include "trellis/crdt/value_codec.hpp"

namespace trellis::adapters {

namespace {

using crdt::EntityKind;

struct Refusal {
  std::string message;
};

// A checked field read: the member of `payload` named `name`, or a refusal
// naming it.
class PayloadReader {
 public:
  PayloadReader(std::string_view event, const Json& payload) : event_(event), payload_(payload) {}

  const Json* member(std::string_view name) const {
    auto it = payload_.find(std::string(name));
    return it == payload_.end() ? nullptr : &*it;
  }

  std::optional<Refusal> string(std::string_view name, std::size_t max_bytes,
                                std::string& out) const {
    const Json* value = member(name);
    if (!value) return missing(name, "a string");
    if (!value->is_string()) return wrong_type(name, "a string");
    const auto& text = value->get_ref<const std::string&>();
    if (text.empty()) return refuse("'" + std::string(name) + "' must not be empty");
    if (text.size() > max_bytes) {
      return refuse("'" + std::string(name) + "' is longer than " + std::to_string(max_bytes) +
                    " bytes");
    }
    out = text;
    return std::nullopt;
  }

  std::optional<Refusal> object(std::string_view name, const Json*& out) const {
    out = member(name);
    if (!out) return missing(name, "an object");
    if (!out->is_object()) return wrong_type(name, "an object");
    return std::nullopt;
  }

  Refusal refuse(std::string message) const {
    return Refusal{std::string(event_) + ": " + std::move(message)};
  }

 private:
  Refusal missing(std::string_view name, std::string_view type) const {
    return refuse("'" + std::string(name) + "' (" + std::string(type) + ") is missing");
  }
  Refusal wrong_type(std::string_view name, std::string_view type) const {
    return refuse("'" + std::string(name) + "' must be " + std::string(type));
  }

  std::string_view event_;
  const Json& payload_;
};

// The size of `value` as JSON text, and its depth, stopping early once past
// the limits (a hostile payload is never walked further than needed).
struct Extent {
  std::size_t max_depth = event_limits::kMaxEntityDepth;
  std::size_t max_bytes = event_limits::kMaxEntityBytes;
  std::size_t bytes = 0;
  std::size_t depth = 0;
  bool over = false;
};

void measure(const Json& value, std::size_t depth, Extent& extent) {
  if (extent.over) return;
  extent.depth = std::max(extent.depth, depth);
  if (depth > extent.max_depth || extent.bytes > extent.max_bytes) {
    extent.over = true;
    return;
  }
  if (value.is_object()) {
    extent.bytes += 2;
    for (const auto& [key, member] : value.items()) {
      extent.bytes += key.size() + 4;
      measure(member, depth + 1, extent);
    }
  } else if (value.is_array()) {
    extent.bytes += 2;
    for (const auto& element : value) {
      extent.bytes += 1;
      measure(element, depth + 1, extent);
    }
  } else if (value.is_string()) {
    extent.bytes += value.get_ref<const std::string&>().size() + 2;
  } else {
    extent.bytes += value.dump().size();
  }
  if (extent.bytes > extent.max_bytes) extent.over = true;
}

std::optional<Refusal> check_extent(const PayloadReader& reader, std::string_view what,
                                    const Json& value) {
  Extent extent;
  measure(value, 1, extent);
  if (extent.depth > event_limits::kMaxEntityDepth) {
    return reader.refuse("'" + std::string(what) + "' is nested deeper than " +
                         std::to_string(event_limits::kMaxEntityDepth) + " levels");
  }
  if (extent.over) {
    return reader.refuse("'" + std::string(what) + "' is larger than " +
                         std::to_string(event_limits::kMaxEntityBytes) + " bytes");
  }
  return std::nullopt;
}

std::optional<Refusal> check_keys(const PayloadReader& reader, std::string_view what,
                                  const Json& object, std::size_t max_keys) {
  if (object.size() > max_keys) {
    return reader.refuse("'" + std::string(what) + "' has more than " + std::to_string(max_keys) +
                         " keys");
  }
  for (const auto& [key, value] : object.items()) {
    if (key.empty()) return reader.refuse("'" + std::string(what) + "' has an empty key");
    if (key.size() > crdt::limits::kMaxFieldNameBytes) {
      return reader.refuse("a key of '" + std::string(what) + "' is longer than " +
                           std::to_string(crdt::limits::kMaxFieldNameBytes) + " bytes");
    }
  }
  return std::nullopt;
}

std::optional<Refusal> check_data(const PayloadReader& reader, std::string_view what,
                                  const Json& data) {
  if (!data.is_object()) return reader.refuse("'" + std::string(what) + "' must be an object");
  return check_keys(reader, what, data, event_limits::kMaxDataKeys);
}

std::optional<Refusal> check_id_text(const PayloadReader& reader, std::string_view what,
                                     const Json* value) {
  if (!value || !value->is_string()) {
    return reader.refuse("'" + std::string(what) + "' must be a string");
  }
  const auto& id = value->get_ref<const std::string&>();
  if (id.empty()) return reader.refuse("'" + std::string(what) + "' must not be empty");
  if (id.size() > event_limits::kMaxIdBytes) {
    return reader.refuse("'" + std::string(what) + "' is longer than " +
                         std::to_string(event_limits::kMaxIdBytes) + " bytes");
  }
  return std::nullopt;
}

std::optional<ChangeType> change_type_named(const Json* value) {
  if (!value || !value->is_string()) return std::nullopt;
  const auto& name = value->get_ref<const std::string&>();
  if (name == "add") return ChangeType::add;
  if (name == "update") return ChangeType::update;
  if (name == "delete" || name == "remove") return ChangeType::remove;
  return std::nullopt;
}

// The node or edge object of a node_change or edge_change. A removal needs
// only the id; an add or update is a whole object.
std::optional<Refusal> check_entity(const PayloadReader& reader, EntityKind kind, ChangeType type,
                                    const Json& object) {
  const std::string what = kind == EntityKind::node ? "node" : "edge";
  if (!object.is_object()) return reader.refuse("'" + what + "' must be an object");
  auto member = [&](const char* name) -> const Json* {
    auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
  };
  if (auto refusal = check_id_text(reader, what + ".id", member("id"))) return refusal;
  if (auto refusal = check_extent(reader, what, object)) return refusal;
  if (auto refusal = check_keys(reader, what, object, event_limits::kMaxTopLevelFields)) {
    return refusal;
  }
  if (const Json* data = member("data")) {
    if (auto refusal = check_data(reader, what + ".data", *data)) return refusal;
  }
  if (type == ChangeType::remove) return std::nullopt;
  if (kind == EntityKind::node) {
    const Json* position = member("position");
    if (!position || !position->is_object() || !position->contains("x") ||
        !position->contains("y") || !(*position)["x"].is_number() ||
        !(*position)["y"].is_number()) {
      return reader.refuse("'node.position' must be an object with numbers x and y");
    }
  } else {
    if (auto refusal = check_id_text(reader, "edge.source", member("source"))) return refusal;
    if (auto refusal = check_id_text(reader, "edge.target", member("target"))) return refusal;
  }
  return std::nullopt;
}

// The entity a change payload names, if its id is readable (so that a
// refused change can still be corrected at the sender).
std::optional<EntityRef> named_entity(std::string_view name, const Json& payload) {
  if (!payload.is_object()) return std::nullopt;
  auto readable = [](const Json* id) {
    return id && id->is_string() && !id->get_ref<const std::string&>().empty() &&
           id->get_ref<const std::string&>().size() <= event_limits::kMaxIdBytes;
  };
  auto id_in = [&](const char* member) -> const Json* {
    auto it = payload.find(member);
    if (it == payload.end() || !it->is_object()) return nullptr;
    auto id = it->find("id");
    return id == it->end() ? nullptr : &*id;
  };
  if (name == "node_change" && readable(id_in("node"))) {
    return EntityRef{EntityKind::node, payload["node"]["id"].get<std::string>()};
  }
  if (name == "edge_change" && readable(id_in("edge"))) {
    return EntityRef{EntityKind::edge, payload["edge"]["id"].get<std::string>()};
  }
  if (name == "node_data_update") {
    auto it = payload.find("nodeId");
    if (it != payload.end() && readable(&*it)) {
      return EntityRef{EntityKind::node, it->get<std::string>()};
    }
  }
  return std::nullopt;
}

crdt::Result<ClientEvent, Refusal> parse_known(std::string_view name, const Json& payload) {
  const PayloadReader reader(name, payload);
  if (!payload.is_object()) return reader.refuse("the payload must be an object");
  std::string workspace_id;
  if (auto refusal =
          reader.string("workspaceId", event_limits::kMaxWorkspaceIdBytes, workspace_id)) {
    return *refusal;
  }
  if (name == "join_workspace") {
    JoinWorkspace join{std::move(workspace_id), {}};
    if (auto refusal = reader.string("username", event_limits::kMaxUsernameBytes, join.username)) {
      return *refusal;
    }
    return ClientEvent{std::move(join)};
  }
  if (name == "leave_workspace") return ClientEvent{LeaveWorkspace{std::move(workspace_id)}};
  if (name == "sync_request") return ClientEvent{SyncRequest{std::move(workspace_id)}};
  if (name == "presence_update") {
    const Json* state = nullptr;
    if (auto refusal = reader.object("state", state)) return *refusal;
    // The JSON text bounds the walk; the encoded size is what a native
    // `presence` frame must fit.
    Extent extent{crdt::limits::kMaxValueDepth - 1, 4 * event_limits::kMaxPresenceBytes};
    measure(*state, 1, extent);
    if (extent.over || crdt::encode_value(*state).size() > event_limits::kMaxPresenceBytes) {
      return reader.refuse(
          "'state' is larger than " + std::to_string(event_limits::kMaxPresenceBytes) +
          " bytes encoded, or nested deeper than " + std::to_string(extent.max_depth) + " levels");
    }
    return ClientEvent{PresenceUpdate{*state, std::move(workspace_id)}};
  }
  if (name == "node_change" || name == "edge_change") {
    const EntityKind kind = name == "node_change" ? EntityKind::node : EntityKind::edge;
    const char* member = kind == EntityKind::node ? "node" : "edge";
    auto type = change_type_named(reader.member("type"));
    if (!type) return reader.refuse("'type' must be one of \"add\", \"update\", \"delete\"");
    const Json* object = nullptr;
    if (auto refusal = reader.object(member, object)) return *refusal;
    if (auto refusal = check_entity(reader, kind, *type, *object)) return *refusal;
    if (kind == EntityKind::node) {
      return ClientEvent{NodeChange{*type, *object, std::move(workspace_id)}};
    }
    return ClientEvent{EdgeChange{*type, *object, std::move(workspace_id)}};
  }
  if (name == "node_data_update") {
    NodeDataUpdate update{{}, {}, std::move(workspace_id)};
    if (auto refusal = check_id_text(reader, "nodeId", reader.member("nodeId"))) return *refusal;
    update.node_id = reader.member("nodeId")->get<std::string>();
    const Json* data = nullptr;
    if (auto refusal = reader.object("data", data)) return *refusal;
    if (auto refusal = check_extent(reader, "data", *data)) return *refusal;
    if (auto refusal = check_data(reader, "data", *data)) return *refusal;
    update.data = *data;
    return ClientEvent{std::move(update)};
  }
  return Refusal{"unknown event '" + std::string(name) + "'"};
}

}  // namespace

std::string_view to_string(ChangeType type) {
  switch (type) {
    case ChangeType::add:
      return "add";
    case ChangeType::update:
      return "update";
    case ChangeType::remove:
      return "delete";
  }
  return "delete";
}

crdt::Result<ClientEvent, EventError> parse_client_event(std::string_view name,
                                                         const Json& payload) {
  auto parsed = parse_known(name, payload);
  if (parsed) return std::move(parsed).value();
  return EventError{parsed.error().message, named_entity(name, payload)};
}

const std::string& workspace_of(const ClientEvent& event) {
  return std::visit([](const auto& typed) -> const std::string& { return typed.workspace_id; },
                    event);
}

std::optional<EntityRef> changed_entity(const ClientEvent& event) {
  if (const auto* node = std::get_if<NodeChange>(&event)) {
    return EntityRef{EntityKind::node, node->id()};
  }
  if (const auto* edge = std::get_if<EdgeChange>(&event)) {
    return EntityRef{EntityKind::edge, edge->id()};
  }
  if (const auto* data = std::get_if<NodeDataUpdate>(&event)) {
    return EntityRef{EntityKind::node, data->node_id};
  }
  return std::nullopt;
}

namespace {

// {first: a, second: b, third: c}, built in place. A nlohmann initializer
// list builds a JSON array for each member first and then the object from
// them (seven JSON values, each allocated, for three members); on the
// fan-out path, where every receiver of every change gets one of these
// payloads, that was a fifth of the workspace's instructions.
Json object_of(const char* first, Json a, const char* second, Json b, const char* third, Json c) {
  Json out(Json::value_t::object);
  auto& members = out.get_ref<Json::object_t&>();
  members.emplace(first, std::move(a));
  members.emplace(second, std::move(b));
  members.emplace(third, std::move(c));
  return out;
}

}  // namespace

OutgoingEvent node_change_event(ChangeType type, Json node, std::string_view user_id) {
  return {"node_change",
          object_of("type", to_string(type), "node", std::move(node), "userId", user_id)};
}

OutgoingEvent edge_change_event(ChangeType type, Json edge, std::string_view user_id) {
  return {"edge_change",
          object_of("type", to_string(type), "edge", std::move(edge), "userId", user_id)};
}

OutgoingEvent node_data_update_event(std::string_view node_id, Json data,
                                     std::string_view user_id) {
  return {"node_data_update",
          object_of("nodeId", node_id, "data", std::move(data), "userId", user_id)};
}

OutgoingEvent workspace_sync_event(Json nodes, Json edges, Json users,
                                   std::string_view workspace_id, Json current_user) {
  return {"workspace_sync", Json{{"nodes", std::move(nodes)},
                                 {"edges", std::move(edges)},
                                 {"users", std::move(users)},
                                 {"workspaceId", workspace_id},
                                 {"currentUser", std::move(current_user)}}};
}

OutgoingEvent presence_update_event(std::string_view user_id, Json state) {
  return {"presence_update", Json{{"userId", user_id}, {"state", std::move(state)}}};
}

OutgoingEvent error_event(std::string_view message) {
  return {"error", Json{{"message", message}}};
}

}  // namespace trellis::adapters
