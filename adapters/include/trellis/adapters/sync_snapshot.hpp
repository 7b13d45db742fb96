#pragma once
// SyncSnapshot: what a workspace_sync of one version of a document shows,
// built once for that version and shared by every client synced to it.
//
// A Socket.IO client's join (and its sync_request) is sent the whole view:
// for 10,000 nodes, 10,000 JSON objects and 1.4 MB of text. Built per join,
// that cost the server some 150 ms of CPU per joining client. A snapshot
// holds the view's objects (the clients' shadows share them instead of
// holding a copy each) and the JSON text of the node and edge arrays, so a
// join of an unchanged document costs a copy of the text and a record per
// entity in the joiner's shadow. The host keeps one per document and builds
// a new one when the document changed (WorkspaceReplica::changes).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "trellis/adapters/event_mapping.hpp"
#include "trellis/adapters/shared_json.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::adapters {

class SyncSnapshot {
 public:
  // One node or edge of the view, and where its JSON text lies in the
  // snapshot's text of its kind.
  struct Entity {
    std::string id;
    SharedJson object;
    std::size_t text_offset = 0;
    std::size_t text_size = 0;
  };
  using Entities = std::vector<Entity>;

  // What a client's store holds right after this workspace_sync: the
  // entities, found by id, without the text. The shadows of the clients
  // synced to it keep it (ClientShadow holds no record of its own for an
  // entity its store holds exactly as its latest sync showed it), and it
  // outlives the snapshot when the document moves on.
  class Store {
   public:
    const Entities& nodes() const { return nodes_; }
    const Entities& edges() const { return edges_; }
    // The entity of that kind and id, or null.
    const Entity* find(crdt::EntityKind kind, std::string_view id) const;
    // Ids of the edges whose `source` or `target` is `node_id`, sorted.
    std::vector<std::string> edges_attached(std::string_view node_id) const;

   private:
    friend class SyncSnapshot;
    void index();

    Entities nodes_, edges_;
    // Positions in nodes_ / edges_, sorted by id.
    std::vector<std::uint32_t> nodes_by_id_, edges_by_id_;
    // (node id, position in edges_) for each end of each edge, sorted; the
    // views point into the edges' objects.
    std::vector<std::pair<std::string_view, std::uint32_t>> edge_ends_;
  };

  // The view of `doc` (crdt::nodes_view and edges_view, in their order).
  // With `previous` (a snapshot of an earlier version of the same
  // document), each object equal to its object of the same id is taken from
  // it, object and text: clients synced to different versions still share
  // what did not change, and only what changed is encoded again.
  explicit SyncSnapshot(const crdt::GraphDoc& doc, const SyncSnapshot* previous = nullptr);

  const Entities& nodes() const { return store_->nodes(); }
  const Entities& edges() const { return store_->edges(); }
  const std::shared_ptr<const Store>& store() const { return store_; }
  // The JSON arrays of the view's nodes and edges, as
  // Json::dump(-1, ' ', false, error_handler_t::replace) writes them.
  const std::string& nodes_text() const { return nodes_text_; }
  const std::string& edges_text() const { return edges_text_; }

  // The workspace_sync event for one client, as its Socket.IO packet text:
  // byte for byte encode_event_text(event(...)), without building the JSON,
  // with one byte of spare capacity (for the Engine.IO type in front).
  std::string event_text(const Json& users, std::string_view workspace_id,
                         const Json& current_user) const;
  // The same event as JSON (workspace_sync_event of the view).
  OutgoingEvent event(Json users, std::string_view workspace_id, Json current_user) const;

 private:
  std::shared_ptr<const Store> store_;
  std::string nodes_text_, edges_text_;
};

}  // namespace trellis::adapters
