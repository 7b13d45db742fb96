#pragma once
// Workspace: one loaded workspace — the server's replica of its document,
// its connections with their users and presence, and its writes to storage.
// Everything here runs on the workspace's strand: callers post to strand()
// (run_on.hpp); no lock is taken. Connections stay sync::ServerSession
// state machines; the workspace carries out what they return: welcome and
// acks to the connection, deltas fanned out to the others as one shared
// frame, deltas appended to storage, an `ack` once storage made them
// durable.
//
// Storage order is the store's FIFO: a delta is applied and appended in the
// same strand step, and a snapshot is encoded on the strand after every
// append whose delta it contains, so the store may replace all of the
// workspace's stored deltas with it (storage/workspace_store.hpp).

#include "trellis/net/asio.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "metrics.hpp"
#include "peer.hpp"
#include "storage/workspace_store.hpp"
#include "trellis/adapters/event_shadow.hpp"
#include "trellis/adapters/sync_snapshot.hpp"
#include "trellis/sync/server_session.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::server {

using ConnectionId = std::uint64_t;
using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

struct WorkspaceSettings {
  std::uint64_t snapshot_every = 1000;  // deltas appended between snapshots
  std::size_t delta_log_bytes = sync::DeltaLog::kDefaultMaxBytes;  // DeltaLog's bound
};

class Workspace : public std::enable_shared_from_this<Workspace> {
 public:
  // `stored_deltas`: deltas storage holds beyond its snapshot (they count
  // toward the next snapshot, so a reload does not replay them forever).
  Workspace(std::string id, Strand strand, sync::WorkspaceReplica replica, WorkspaceStore& store,
            Metrics& metrics, WorkspaceSettings settings, std::uint64_t stored_deltas = 0);

  const std::string& id() const { return id_; }
  const Strand& strand() const { return strand_; }

  // --- On the strand only.

  // A connection whose hello the host accepted (`session` is awaiting
  // accept): it gets `welcome`, then the presence of everyone already here,
  // and the others learn that `user` joined.
  void join(ConnectionId connection, std::shared_ptr<Peer> peer, sync::ServerSession session,
            sync::UserIdentity user);
  // A frame of an established connection. False once the session is closed:
  // its connection stops reading.
  bool on_frame(ConnectionId connection, std::span<const std::uint8_t> frame);
  // A Socket.IO connection joins (join_workspace): it gets `workspace_sync`
  // (and the ack, if asked for); the others learn that `user` joined.
  void join_events(ConnectionId connection, std::shared_ptr<EventPeer> peer,
                   sync::UserIdentity user, std::optional<std::uint64_t> ack_id);
  // One of the seed's events from a joined Socket.IO connection
  // (docs/socketio-mapping.md); a change's ack waits until it is durable.
  void on_event(ConnectionId connection, const std::string& name, const crdt::Json& payload,
                std::optional<std::uint64_t> ack_id);
  // A Socket.IO client has applied its first `events_applied` model events
  // (a ping's pong): its shadow becomes more exact.
  void on_events_applied(ConnectionId connection, std::uint64_t events_applied);
  // The connection is gone: its user leaves everyone's presence at once.
  void leave(ConnectionId connection);

  std::size_t connection_count() const { return members_.size(); }
  std::size_t pending_writes() const { return pending_writes_; }
  const crdt::GraphDoc& doc() const { return replica_.doc(); }
  // Writes a snapshot if anything was appended since the last one.
  void snapshot_if_changed();

 private:
  // A native connection has `peer` and `session`; a Socket.IO one has
  // `events` and `shadow`.
  struct Member {
    sync::UserIdentity user;
    crdt::Json presence;  // the user's latest own presence state (null before any)
    std::shared_ptr<Peer> peer;
    // Boxed: a member holds one of the two, and each is hundreds of bytes.
    std::unique_ptr<sync::ServerSession> session;
    std::shared_ptr<EventPeer> events;
    std::unique_ptr<adapters::ClientShadow> shadow;
  };
  using Durable = std::function<void(Member* member, const std::optional<crdt::Error>& error)>;

  void carry_out(ConnectionId connection, Member& member, sync::ServerOutput out);
  void persist(ConnectionId connection, crdt::Bytes delta, Durable done);
  void acknowledge_after_storage(ConnectionId connection, Durable done);
  void on_change_event(ConnectionId connection, Member& member, const adapters::ClientEvent& event,
                       std::optional<std::uint64_t> ack_id);
  void fan_out_delta(ConnectionId from, const Frame& frame);
  // `member`'s presence, now member.presence, to everyone else: native
  // peers get `native_frame` (built here when null), Socket.IO peers
  // presence_update.
  void fan_out_presence(ConnectionId from, const Member& member, Frame native_frame);
  void on_presence_event(ConnectionId connection, Member& member, crdt::Json state,
                         std::optional<std::uint64_t> ack_id);
  void fan_out_events(ConnectionId from, const adapters::TouchedViews& views,
                      const std::string& author);
  void announce_joined(ConnectionId connection, const sync::UserIdentity& user);
  // A joining user's color: their own unless someone here wears it
  // (color_in_workspace), so that everyone present looks different.
  std::string color_for_newcomer(std::string_view user_id) const;
  crdt::Json users_json() const;
  // The workspace_sync of the document as it is now, built again only when
  // it changed; the Socket.IO members' shadows share its objects.
  const adapters::SyncSnapshot& sync_view();
  // Sends `member` (a Socket.IO member) the workspace_sync and records it
  // in its shadow.
  void send_sync(Member& member);
  void write_snapshot();

  std::string id_;
  Strand strand_;
  sync::WorkspaceReplica replica_;
  WorkspaceStore& store_;
  Metrics& metrics_;
  WorkspaceSettings settings_;
  std::map<ConnectionId, Member> members_;
  // Kept while Socket.IO members are here; current while
  // replica_.changes() is sync_view_changes_.
  std::optional<adapters::SyncSnapshot> sync_view_;
  std::uint64_t sync_view_changes_ = 0;
  std::size_t pending_writes_ = 0;
  std::uint64_t appended_since_snapshot_ = 0;
};

}  // namespace trellis::server
