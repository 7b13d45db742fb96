#pragma once
// ClientShadow: what the server knows of one Socket.IO client's store, so
// that seed frontends — which apply their own changes at once, apply every
// received event in arrival order and never reconcile — end with exactly the
// server's view, and hear as little of their own edits as possible.
//
// The store, as the server models it (the "simple store rules"):
//   node_change add       insert the node
//   node_change update    replace the node of that id (nothing if absent)
//   node_change delete    remove the node and every edge attached to it
//   node_data_update      merge the keys into that node's `data`
//   edge_change ...       the same for edges (delete removes the edge only)
//   workspace_sync        replace every node and edge
// and the client's own changes act on it the same way. Whether `add`
// replaces an existing node or appends a second copy does not matter: the
// server sends `add` only when the store cannot hold the id (else it sends
// `delete` first).
//
// What the server cannot see is how the events it sent interleave, at the
// client, with the client's own changes. Events are numbered in sending
// order; the client's *frontier* is how many it has applied. Both directions
// are FIFO, so a change the server receives was made at a frontier between
// the frontier of the client's previous change and the number of events sent
// so far. For each node and edge the shadow keeps, for every frontier the
// client's next change could be made at, the set of states its store may
// hold there (usually one state, the same at every frontier). Receiving a
// change, it keeps the frontiers where the change was possible — the seed UI
// updates, edits and deletes only what its store holds, adds fresh ids, and
// connects nodes it holds — applies the change there, and replays the later
// events on the result (including node deletes, which drop attached edges the
// server has not heard of yet, and workspace_syncs). After every step, for
// every entity the step touched, it compares the states the store ends with
// once it has applied everything sent (the *finals*) with the view, and
// sends what makes every final equal the view: nothing when they agree (a
// client's own drag is never echoed while nothing else touched the node),
// node_data_update for data keys, update, add, or delete then add. The
// argument that this converges is in docs/socketio-mapping.md.
//
// Barriers (optional, for precision and memory): an Engine.IO pong answers a
// ping and comes, on the same FIFO connection, after everything the client
// did before it received the ping, so the client had applied every event
// sent before the ping. Record events_sent() when the ping is queued behind
// those events (not ahead of them) and call acknowledge(that count) when its
// pong arrives: the shadow forgets the frontiers below. Pinging right after
// a workspace_sync makes the shadow exact before the user's first edit.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "trellis/adapters/event_changes.hpp"
#include "trellis/adapters/event_mapping.hpp"
#include "trellis/adapters/shared_json.hpp"
#include "trellis/adapters/sync_snapshot.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::adapters {

// One state of a node or edge in a client's store.
struct ModelState {
  enum class Kind : std::uint8_t { absent, present, unknown };
  Kind kind = Kind::absent;
  SharedJson object;  // present: the object the store holds

  static ModelState absent() { return {}; }
  static ModelState present(SharedJson object) { return {Kind::present, std::move(object)}; }
  static ModelState present(Json object) { return present(share(std::move(object))); }
  static ModelState unknown() { return {Kind::unknown, nullptr}; }
  friend bool operator==(const ModelState& a, const ModelState& b) {
    return a.kind == b.kind &&
           (a.object == b.object || (a.object && b.object && *a.object == *b.object));
  }
};

// What one event or change does to one entity of a store.
struct StoreEffect {
  enum class Op : std::uint8_t {
    insert,              // add: the object
    remove,              // delete
    replace,             // update: the object, if present
    merge_data,          // node_data_update: the keys, if present
    remove_if_attached,  // a node delete seen from an edge: `value` is the node id
    forget,              // a change the server could not read: any state
  };
  Op op = Op::remove;
  SharedJson value;  // null for remove and forget
};

// The views of the entities a change touched, built once per change and
// shared by every client's events_for (building a node's view is most of
// what reconciling one client costs). Nodes come parents first (React Flow
// wants a parent before its children), edges sorted.
struct TouchedViews {
  std::vector<std::pair<std::string, ModelState>> nodes;
  std::vector<std::pair<std::string, ModelState>> edges;
  bool empty() const { return nodes.empty() && edges.empty(); }
};
TouchedViews views_of(const crdt::GraphDoc& doc, const Touched& touched);

// The node_data_update patches sent for one change, for the receivers'
// shadows to share: each shadow keeps the patch it sent until the client's
// next pong, and the receivers of one change are usually sent the same
// patch, so they hold one copy instead of one each. Holds a few distinct
// patches at most (kMaxKept); a patch past them is kept by its shadow alone.
class SharedPatches {
 public:
  static constexpr std::size_t kMaxKept = 4;
  // A patch equal to `patch`, shared.
  SharedJson share_equal(Json patch);

 private:
  std::vector<SharedJson> kept_;
};

// The result of a change event from the client a shadow belongs to.
struct ChangeOutcome {
  // One delta per CRDT transaction, in order, for native peers and storage
  // (none when nothing changed).
  std::vector<crdt::GraphDoc> deltas;
  // For ClientShadow::events_for on every other client's shadow: what the
  // change touched, and its views once the change is applied.
  Touched touched;
  TouchedViews views;
  // Corrections for the sender itself, in order (usually none).
  std::vector<OutgoingEvent> to_sender;
  // Set when the change was refused: answer `error {message}` to the sender.
  // The sender's store applied it anyway, so to_sender corrects it.
  std::optional<EventError> error;
};

// Runs one transaction on the server's document (directly, or through
// WorkspaceReplica::edit) and returns its delta.
using TransactionRunner = std::function<crdt::Result<crdt::GraphDoc>(const Mutation&)>;

class ClientShadow {
 public:
  // Bounds on what one entity's record may hold; past them the oldest
  // frontiers are folded into "unknown state", which stays correct and
  // costs a correction if the client edits from there.
  static constexpr std::size_t kMaxSegments = 32;
  static constexpr std::size_t kMaxStatesPerSegment = 8;
  static constexpr std::size_t kMaxRemovalLog = 1024;

  explicit ClientShadow(std::string user_id) : user_id_(std::move(user_id)) {}

  const std::string& user_id() const { return user_id_; }
  // Model events (node_change, edge_change, node_data_update,
  // workspace_sync) sent to this client so far.
  std::uint64_t events_sent() const { return sent_; }
  // The client has applied at least `events_applied` events (a pong).
  void acknowledge(std::uint64_t events_applied);

  // The client is sent `snapshot`'s workspace_sync (on join and
  // sync_request): its store becomes that view. The shadow holds the
  // snapshot's objects, not copies.
  void record_sync(const SyncSnapshot& snapshot);
  // The same with a snapshot of `doc` of its own, and the event to send.
  OutgoingEvent sync(const crdt::GraphDoc& doc, Json users, Json current_user,
                     std::string_view workspace_id);

  // A change event from this client, applied to the server's document
  // through `run`; `doc` is that document (read before and after `run`).
  ChangeOutcome receive_change(const crdt::GraphDoc& doc, const ClientEvent& change,
                               const TransactionRunner& run);
  // The same, applying the transactions to `doc` directly.
  ChangeOutcome receive_change(crdt::GraphDoc& doc, const ClientEvent& change);
  // A change event parse_client_event refused: the client's store applied
  // something the server cannot model, so the entity it named (if any) is
  // corrected to the view.
  std::vector<OutgoingEvent> receive_refused(const crdt::GraphDoc& doc, const EventError& error);

  // The server's view changed at `touched` (a change from another client, or
  // a delta from anywhere else, already joined into `doc`): the events that
  // bring this client to the view, in order. `author` is the userId they
  // carry.
  std::vector<OutgoingEvent> events_for(const crdt::GraphDoc& doc, const Touched& touched,
                                        std::string_view author);
  // The same with the views built already (`views` = views_of(doc, touched)),
  // sharing the patches it keeps with the other receivers' shadows through
  // `patches` (one per change), when given.
  std::vector<OutgoingEvent> events_for(const crdt::GraphDoc& doc, const TouchedViews& views,
                                        std::string_view author, SharedPatches* patches = nullptr);

  // Entities whose record holds more than one possible state (for tests and
  // metrics); 0 when the server knows the client's store exactly.
  std::size_t uncertain_entities() const;
  // Nodes and edges the shadow keeps a record of (for tests and metrics):
  // those the store may hold otherwise than its latest workspace_sync shows
  // them. A client that just joined has none once its pong is in.
  std::size_t records_held() const { return nodes_.size() + edges_.size(); }

 private:
  struct Segment {
    std::uint64_t from = 0;            // first frontier of the segment
    std::optional<StoreEffect> event;  // the event numbered `from`, if one starts it
    std::vector<ModelState> states;    // possible states at these frontiers
    bool lossy = false;                // events inside were forgotten (kMaxSegments)
  };
  struct Record {
    std::vector<Segment> segments;  // by `from`; never empty
    std::vector<std::string> indexed_endpoints;
  };
  using Records = std::unordered_map<std::string, Record>;
  struct Involved;

  Records& records(crdt::EntityKind kind) {
    return kind == crdt::EntityKind::node ? nodes_ : edges_;
  }
  std::unordered_set<std::string>& unsettled(crdt::EntityKind kind) {
    return kind == crdt::EntityKind::node ? unsettled_nodes_ : unsettled_edges_;
  }
  Record& record(crdt::EntityKind kind, const std::string& id);
  // What an entity without a record may hold: at floor_, and the record
  // that stands for it (the workspace_syncs since floor_ included).
  ModelState base_state(crdt::EntityKind kind, const std::string& id) const;
  Record implicit_record(crdt::EntityKind kind, const std::string& id) const;
  // The states the store ends with once it has applied everything sent: the
  // record's, or (no record) put in `scratch`. A reference, because it is
  // read for every receiver of every change.
  const std::vector<ModelState>& finals(crdt::EntityKind kind, const std::string& id,
                                        std::vector<ModelState>& scratch) const;
  // Edges some state of the store may attach to the node: those of the
  // records, and those the workspace_syncs since base_ showed.
  std::vector<std::string> edges_attached(const std::string& node_id) const;
  // True when the store cannot hold the entity at any frontier the client
  // may still be editing from, since the latest delete of it (so an `add`
  // cannot duplicate it, even after changes the server has not received).
  bool never_held(crdt::EntityKind kind, const std::string& id);
  void clip(Record& record) const;
  static void bound_segments(Record& record);
  void raise_floor(std::uint64_t floor);
  // `result`, when given, is what `effect` makes of every state the store
  // may hold (known by the caller, so not computed again).
  void append_event(crdt::EntityKind kind, const std::string& id, const StoreEffect& effect,
                    const ModelState* result = nullptr);
  void send(crdt::EntityKind kind, const std::string& id, const StoreEffect& effect,
            OutgoingEvent event, std::vector<OutgoingEvent>& out,
            std::vector<std::string>& cascaded_edges, const ModelState* result = nullptr);
  void reconcile(crdt::EntityKind kind, const std::string& id, const ModelState& target,
                 std::string_view author, std::vector<OutgoingEvent>& out,
                 std::vector<std::string>& cascaded_edges, SharedPatches* patches = nullptr);
  void reindex_edge(const std::string& id, Record& record);
  void compact(crdt::EntityKind kind, const std::string& id);
  // The frontiers a received change may have been made at, and what the
  // client may have held there; then the change applied at those frontiers.
  SenderBases locate(Involved& involved);
  void apply_located(const Involved& involved);
  void rebuild(Record& record, const Involved& involved, const StoreEffect& effect, bool filter,
               bool is_edge) const;

  std::string user_id_;
  std::uint64_t sent_ = 0;
  std::uint64_t floor_ = 0;  // the client's next change is made at a frontier >= floor_
  // A workspace_sync sent, and what the store holds right after it.
  struct Sync {
    std::uint64_t number = 0;
    std::shared_ptr<const SyncSnapshot::Store> store;
  };
  // Vectors, not deques, here and below: an empty std::deque allocates
  // about 500 bytes, and every client has a shadow. Both are short.
  std::vector<Sync> syncs_;  // the workspace_syncs sent after floor_
  // The store of the latest workspace_sync at or before floor_ (null before
  // there is one). An entity without a record holds what it showed at
  // floor_, then what each of syncs_ shows: the shadow keeps a record only
  // of an entity something else was sent about since, and drops it once it
  // says no more than that (compact), so a join costs no record per entity.
  std::shared_ptr<const SyncSnapshot::Store> base_;
  // Number of the first workspace_sync: before it, the store holds anything
  // (a reconnecting client keeps its nodes and may edit them meanwhile).
  std::uint64_t first_sync_ = 0;
  Records nodes_;  // keyed by id; see base_ for the entities without one
  Records edges_;
  // Ids whose record was used since the last acknowledge: the only ones a
  // pong can clip or drop (the rest hold one segment of a present entity),
  // so a pong costs what changed, not the document.
  std::unordered_set<std::string> unsettled_nodes_;
  std::unordered_set<std::string> unsettled_edges_;
  // Node id -> edges some possible state of a record attaches to it (for
  // delete cascades; the edges without a record are found in the syncs).
  std::unordered_map<std::string, std::set<std::string>> edges_by_node_;
  // Node deletes sent after floor_, by number: each drops, in the store, the
  // edges attached to that node then, including edges the client made that
  // the server has not received yet. Replayed on every edge change.
  std::vector<std::pair<std::uint64_t, std::string>> node_removals_;
  std::uint64_t removals_forgotten_until_ = 0;  // entries past kMaxRemovalLog
};

}  // namespace trellis::adapters
