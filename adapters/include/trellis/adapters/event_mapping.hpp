#pragma once
// The seed's Socket.IO JSON events (../shared/seed/realtime-collaboration-
// architecture.md, "Event Types"), as typed values.
//
// Client → server: join_workspace {workspaceId, username},
// leave_workspace {workspaceId}, node_change {type, node, workspaceId},
// edge_change {type, edge, workspaceId}, node_data_update {nodeId, data,
// workspaceId}, sync_request {workspaceId}; and one Trellis extension,
// presence_update {workspaceId, state}. parse_client_event checks the
// shape and every size before anything touches a document: a payload it
// refuses gets an EventError whose message the server answers as
// `error {message}` to the sender alone, and nothing changes.
//
// Server → client: node_change {type, node, userId}, edge_change {type, edge,
// userId}, node_data_update {nodeId, data, userId}, workspace_sync {nodes,
// edges, users, workspaceId, currentUser}, presence_update {userId, state},
// error {message}; built here so
// that every shape lives in one place. What to send whom is event_shadow.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/limits.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::adapters {

using Json = crdt::Json;

// Every size a client event may have; past one, the event is refused.
namespace event_limits {
inline constexpr std::size_t kMaxWorkspaceIdBytes = 128;
inline constexpr std::size_t kMaxUsernameBytes = 64;
// Node, edge and data ids: the CRDT's own bound.
inline constexpr std::size_t kMaxIdBytes = crdt::limits::kMaxIdBytes;
// Bytes of the JSON text of one node, edge or data object.
inline constexpr std::size_t kMaxEntityBytes = 256 * 1024;
// Nesting depth of one node or edge object: a field value may be
// kMaxValueDepth deep inside `data` inside the object.
inline constexpr std::size_t kMaxEntityDepth = crdt::limits::kMaxValueDepth + 2;
// Members of one node or edge object, and keys of one `data` object.
inline constexpr std::size_t kMaxTopLevelFields = 64;
inline constexpr std::size_t kMaxDataKeys = 256;
// Bytes of one presence state, encoded as a CRDT field value: the native
// protocol's own bound, so a Socket.IO user's presence always fits in a
// native `presence` frame.
inline constexpr std::size_t kMaxPresenceBytes = sync::limits::kMaxClientPresenceBytes;
}  // namespace event_limits

// `delete` on the wire; `remove` (React Flow's word) is accepted too.
enum class ChangeType : std::uint8_t { add, update, remove };
std::string_view to_string(ChangeType type);

struct EntityRef {
  crdt::EntityKind kind = crdt::EntityKind::node;
  std::string id;
  friend bool operator==(const EntityRef&, const EntityRef&) = default;
};

struct EventError {
  std::string message;
  // The node or edge a refused change named, when its id could be read: the
  // sender's store has applied the change already, so the server corrects
  // that entity (ClientShadow::receive_refused).
  std::optional<EntityRef> entity;
};

struct JoinWorkspace {
  std::string workspace_id;
  std::string username;
};
struct LeaveWorkspace {
  std::string workspace_id;
};
// `node` is the whole React Flow node as the sender's store now holds it
// (for `remove`, an object with at least the id).
struct NodeChange {
  ChangeType type = ChangeType::add;
  Json node;
  std::string workspace_id;
  const std::string& id() const { return node.at("id").get_ref<const std::string&>(); }
};
struct EdgeChange {
  ChangeType type = ChangeType::add;
  Json edge;
  std::string workspace_id;
  const std::string& id() const { return edge.at("id").get_ref<const std::string&>(); }
};
// A parameter edit: only the keys given, merged into the node's `data`.
struct NodeDataUpdate {
  std::string node_id;
  Json data;
  std::string workspace_id;
};
struct SyncRequest {
  std::string workspace_id;
};
// The sender's ephemeral presence (a JSON object: cursor, selection, ...),
// never stored. The workspace's other clients get it as presence_update
// {userId, state}, native clients as `presence`; only each user's latest
// state is kept, and `user_left` ends it.
struct PresenceUpdate {
  Json state;
  std::string workspace_id;
};

using ClientEvent = std::variant<JoinWorkspace, LeaveWorkspace, NodeChange, EdgeChange,
                                 NodeDataUpdate, SyncRequest, PresenceUpdate>;

// `name` is the Socket.IO event name, `payload` its first argument.
crdt::Result<ClientEvent, EventError> parse_client_event(std::string_view name,
                                                         const Json& payload);

const std::string& workspace_of(const ClientEvent& event);
// The node or edge a change names; nullopt for join, leave and sync.
std::optional<EntityRef> changed_entity(const ClientEvent& event);

// --- Server → client events.

struct OutgoingEvent {
  std::string name;
  Json payload;
  friend bool operator==(const OutgoingEvent&, const OutgoingEvent&) = default;
};

// The userId of corrections the server sends a client about its own change
// (never the client's own id: a frontend may ignore events it sent itself).
inline constexpr std::string_view kServerUserId = "server";

OutgoingEvent node_change_event(ChangeType type, Json node, std::string_view user_id);
OutgoingEvent edge_change_event(ChangeType type, Json edge, std::string_view user_id);
OutgoingEvent node_data_update_event(std::string_view node_id, Json data, std::string_view user_id);
OutgoingEvent workspace_sync_event(Json nodes, Json edges, Json users,
                                   std::string_view workspace_id, Json current_user);
OutgoingEvent presence_update_event(std::string_view user_id, Json state);
OutgoingEvent error_event(std::string_view message);

}  // namespace trellis::adapters
