#include "workspace.hpp"

#include <boost/asio/post.hpp>

#include "log.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::server {

Workspace::Workspace(std::string id, Strand strand, sync::WorkspaceReplica replica,
                     WorkspaceStore& store, Metrics& metrics, WorkspaceSettings settings,
                     std::uint64_t stored_deltas)
    : id_(std::move(id)),
      strand_(std::move(strand)),
      replica_(std::move(replica)),
      store_(store),
      metrics_(metrics),
      settings_(settings),
      appended_since_snapshot_(stored_deltas) {}

void Workspace::join(ConnectionId connection, std::shared_ptr<Peer> peer,
                     sync::ServerSession session, sync::UserIdentity user) {
  auto [it, inserted] =
      members_.emplace(connection, Member{std::move(peer), std::move(session), nullptr});
  if (!inserted) return;
  Member& member = it->second;
  carry_out(connection, member, member.session.accept(replica_, user));
  // Who is here, then who came: the newcomer sees everyone, everyone sees it.
  for (const auto& [other_id, other] : members_) {
    if (other_id == connection) continue;
    member.peer->send_control(
        make_frame(sync::user_presence_frame(other.session.user(), other.presence)));
  }
  const Frame joined = make_frame(sync::user_presence_frame(user, nullptr));
  for (const auto& [other_id, other] : members_) {
    if (other_id != connection) other.peer->send_control(joined);
  }
  log_event(LogLevel::info, "user_joined",
            {{"workspace", id_}, {"user", user.id}, {"name", user.name}});
}

bool Workspace::on_frame(ConnectionId connection, std::span<const std::uint8_t> frame) {
  auto it = members_.find(connection);
  if (it == members_.end()) return false;
  Member& member = it->second;
  sync::ServerOutput out = member.session.on_frame(frame, &replica_);
  carry_out(connection, member, std::move(out));
  return member.session.state() != sync::ServerSession::State::closed;
}

void Workspace::leave(ConnectionId connection) {
  auto it = members_.find(connection);
  if (it == members_.end()) return;
  const sync::UserIdentity user = it->second.session.user();
  members_.erase(it);
  const Frame left = make_frame(sync::user_left_frame(user.id));
  for (const auto& [other_id, other] : members_)
    other.peer->send_control(left);
  log_event(LogLevel::info, "user_left", {{"workspace", id_}, {"user", user.id}});
}

void Workspace::carry_out(ConnectionId connection, Member& member, sync::ServerOutput out) {
  if (out.error) metrics_.frames_rejected.fetch_add(1, std::memory_order_relaxed);
  for (crdt::Bytes& frame : out.to_peer)
    member.peer->send_control(make_frame(std::move(frame)));
  if (out.presence) {
    metrics_.presence_in.fetch_add(1, std::memory_order_relaxed);
    if (auto decoded = sync::decode_message(*out.presence)) {
      member.presence = std::get<sync::Presence>(*decoded).state["state"];
    }
    fan_out_presence(connection, member.session.user().id, make_frame(std::move(*out.presence)));
  }
  const bool new_events = out.broadcast.has_value();
  if (out.broadcast) fan_out_delta(connection, make_frame(std::move(*out.broadcast)));
  if (out.persist) {
    metrics_.deltas_in.fetch_add(1, std::memory_order_relaxed);
    persist(connection, std::move(*out.persist), new_events);
  }
  if (out.close) member.peer->close(out.error.value_or(sync::ProtocolError::unexpected_message));
}

void Workspace::fan_out_delta(ConnectionId from, const Frame& frame) {
  for (const auto& [id, member] : members_) {
    if (id == from) continue;
    member.peer->send_delta(frame);
    metrics_.deltas_out.fetch_add(1, std::memory_order_relaxed);
  }
}

void Workspace::fan_out_presence(ConnectionId from, const std::string& user_id,
                                 const Frame& frame) {
  for (const auto& [id, member] : members_) {
    if (id == from) continue;
    member.peer->send_presence(user_id, frame);
    metrics_.presence_out.fetch_add(1, std::memory_order_relaxed);
  }
}

void Workspace::persist(ConnectionId connection, sync::DurableWrite write, bool new_events) {
  ++pending_writes_;
  auto self = shared_from_this();
  auto done = [self, connection,
               covers = std::move(write.covers)](std::optional<crdt::Error> error) mutable {
    boost::asio::post(self->strand_,
                      [self, connection, covers = std::move(covers), error = std::move(error)] {
                        self->on_durable(connection, covers, error);
                      });
  };
  if (new_events) {
    ++appended_since_snapshot_;
    store_.append(id_, std::move(write.delta), std::move(done));
    if (appended_since_snapshot_ >= settings_.snapshot_every) write_snapshot();
  } else {
    // A duplicate: its events are stored already, or queued before this
    // barrier, so the ack waits for the store to reach this point.
    store_.flush(std::move(done));
  }
}

void Workspace::on_durable(ConnectionId connection, const crdt::CausalContext& covers,
                           const std::optional<crdt::Error>& error) {
  --pending_writes_;
  auto it = members_.find(connection);
  if (error) {
    // Not acknowledged: the client keeps the edit in its outbox and resends
    // it on its next connection, which this one ends.
    log_event(LogLevel::error, "storage_write_failed",
              {{"workspace", id_}, {"error", error->message}});
    if (it != members_.end()) {
      it->second.peer->send_control(make_frame(sync::encode_message(sync::ErrorMessage{
          sync::ProtocolError::internal_error, "storage failed; reconnect to retry", false})));
      it->second.peer->close(sync::ProtocolError::internal_error);
    }
    return;
  }
  if (it == members_.end()) return;
  carry_out(connection, it->second, it->second.session.on_durable(covers));
}

void Workspace::snapshot_if_changed() {
  if (appended_since_snapshot_ > 0) write_snapshot();
}

void Workspace::write_snapshot() {
  appended_since_snapshot_ = 0;
  crdt::Bytes state;
  crdt::encode_state_to(replica_.doc(), state);
  store_.write_snapshot(id_, std::move(state), [id = id_](std::optional<crdt::Error> error) {
    if (error) {
      log_event(LogLevel::warn, "snapshot_failed", {{"workspace", id}, {"error", error->message}});
    }
  });
}

}  // namespace trellis::server
