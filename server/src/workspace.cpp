#include "workspace.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "identity.hpp"
#include "log.hpp"
#include "trellis/adapters/socketio.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::server {

namespace {

crdt::Json user_json(const sync::UserIdentity& user) {
  return crdt::Json{{"id", user.id}, {"username", user.name}, {"color", user.color}};
}

}  // namespace

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

crdt::Json Workspace::users_json() const {
  crdt::Json users = crdt::Json::array();
  for (const auto& [id, member] : members_)
    users.push_back(user_json(member.user));
  return users;
}

std::string Workspace::color_for_newcomer(std::string_view user_id) const {
  std::vector<std::string_view> worn;
  worn.reserve(members_.size());
  for (const auto& entry : members_) {
    // The same user in a second tab or device is the same person: one color.
    if (entry.second.user.id == user_id) return entry.second.user.color;
    worn.push_back(entry.second.user.color);
  }
  return std::string(color_in_workspace(user_id, worn));
}

// Native peers learn of a user through presence, Socket.IO peers through
// `user_joined`.

void Workspace::announce_joined(ConnectionId connection, const sync::UserIdentity& user) {
  const Frame joined = make_frame(sync::user_presence_frame(user, nullptr));
  for (const auto& [other_id, other] : members_) {
    if (other_id == connection) continue;
    if (other.peer) other.peer->send_control(joined);
    if (other.events)
      other.events->send_event("user_joined", crdt::Json{{"user", user_json(user)}});
  }
  log_event(LogLevel::info, "user_joined",
            {{"workspace", id_}, {"user", user.id}, {"name", user.name}});
}

void Workspace::join(ConnectionId connection, std::shared_ptr<Peer> peer,
                     sync::ServerSession session, sync::UserIdentity user) {
  user.color = color_for_newcomer(user.id);
  Member member;
  member.user = user;
  member.presence = nullptr;
  member.peer = std::move(peer);
  member.session = std::make_unique<sync::ServerSession>(std::move(session));
  auto [it, inserted] = members_.emplace(connection, std::move(member));
  if (!inserted) return;
  Member& joined = it->second;
  carry_out(connection, joined, joined.session->accept(replica_, user));
  // Who is here, then who came: the newcomer sees everyone, everyone sees it.
  for (const auto& [other_id, other] : members_) {
    if (other_id == connection) continue;
    joined.peer->send_control(make_frame(sync::user_presence_frame(other.user, other.presence)));
  }
  announce_joined(connection, user);
}

void Workspace::join_events(ConnectionId connection, std::shared_ptr<EventPeer> peer,
                            sync::UserIdentity user, std::optional<std::uint64_t> ack_id) {
  user.color = color_for_newcomer(user.id);
  Member member;
  member.user = user;
  member.presence = nullptr;
  member.events = std::move(peer);
  member.shadow = std::make_unique<adapters::ClientShadow>(user.id);
  auto [it, inserted] = members_.emplace(connection, std::move(member));
  if (!inserted) return;
  Member& joined = it->second;
  send_sync(joined);
  // Then where everyone already here is (cursor, selection), as a native
  // newcomer gets it right after welcome.
  for (const auto& [other_id, other] : members_) {
    if (other_id == connection || other.presence.is_null()) continue;
    auto presence = adapters::presence_update_event(other.user.id, other.presence);
    joined.events->send_presence(other.user.id, std::move(presence.payload));
  }
  if (ack_id) joined.events->send_ack(*ack_id, crdt::Json{{"ok", true}});
  announce_joined(connection, user);
}

const adapters::SyncSnapshot& Workspace::sync_view() {
  if (!sync_view_ || sync_view_changes_ != replica_.changes()) {
    // Built from the previous one: what did not change keeps its object
    // (shared with the shadows synced to it) and its text.
    adapters::SyncSnapshot next(replica_.doc(), sync_view_ ? &*sync_view_ : nullptr);
    sync_view_ = std::move(next);
    sync_view_changes_ = replica_.changes();
  }
  return *sync_view_;
}

void Workspace::send_sync(Member& member) {
  const adapters::SyncSnapshot& view = sync_view();
  member.shadow->record_sync(view);
  member.events->send_encoded_once(
      EncodedEvent{"workspace_sync", view.event_text(users_json(), id_, user_json(member.user))});
}

bool Workspace::on_frame(ConnectionId connection, std::span<const std::uint8_t> frame) {
  auto it = members_.find(connection);
  if (it == members_.end() || !it->second.session) return false;
  Member& member = it->second;
  // What a native delta changes must be read before it is joined (a removal
  // is visible only against the state it removes from), and only matters
  // when Socket.IO clients are here to be told.
  std::optional<adapters::Touched> touched;
  if (std::any_of(members_.begin(), members_.end(),
                  [](const auto& m) { return m.second.shadow != nullptr; })) {
    if (auto message = sync::decode_message(frame)) {
      if (auto* delta_message = std::get_if<sync::DeltaMessage>(&*message)) {
        if (auto delta = crdt::decode(delta_message->delta)) {
          touched = adapters::touched_by(replica_.doc(), *delta);
        }
      }
    }
  }
  sync::ServerOutput out = member.session->on_frame(frame, &replica_);
  if (out.broadcast && touched) {
    fan_out_events(connection, adapters::views_of(replica_.doc(), *touched), member.user.id);
  }
  carry_out(connection, member, std::move(out));
  return member.session->state() != sync::ServerSession::State::closed;
}

void Workspace::on_event(ConnectionId connection, const std::string& name,
                         const crdt::Json& payload, std::optional<std::uint64_t> ack_id) {
  auto it = members_.find(connection);
  if (it == members_.end() || !it->second.shadow) return;
  Member& member = it->second;
  auto parsed = adapters::parse_client_event(name, payload);
  if (!parsed) {
    // The sender's store applied the change anyway: correct it, then say why.
    for (auto& event : member.shadow->receive_refused(replica_.doc(), parsed.error()))
      member.events->send_event(std::move(event.name), std::move(event.payload));
    member.events->send_event("error", crdt::Json{{"message", parsed.error().message}});
    if (ack_id) {
      member.events->send_ack(*ack_id,
                              crdt::Json{{"ok", false}, {"error", parsed.error().message}});
    }
    metrics_.frames_rejected.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (std::holds_alternative<adapters::SyncRequest>(*parsed)) {
    send_sync(member);
    if (ack_id) member.events->send_ack(*ack_id, crdt::Json{{"ok", true}});
    return;
  }
  if (auto* presence = std::get_if<adapters::PresenceUpdate>(&*parsed)) {
    on_presence_event(connection, member, std::move(presence->state), ack_id);
    return;
  }
  if (std::holds_alternative<adapters::JoinWorkspace>(*parsed) ||
      std::holds_alternative<adapters::LeaveWorkspace>(*parsed)) {
    return;  // the connection handles these before they reach a workspace
  }
  on_change_event(connection, member, *parsed, ack_id);
}

void Workspace::on_presence_event(ConnectionId connection, Member& member, crdt::Json state,
                                  std::optional<std::uint64_t> ack_id) {
  metrics_.presence_in.fetch_add(1, std::memory_order_relaxed);
  member.presence = std::move(state);
  fan_out_presence(connection, member, nullptr);
  if (ack_id) member.events->send_ack(*ack_id, crdt::Json{{"ok", true}});
}

void Workspace::on_change_event(ConnectionId connection, Member& member,
                                const adapters::ClientEvent& event,
                                std::optional<std::uint64_t> ack_id) {
  metrics_.deltas_in.fetch_add(1, std::memory_order_relaxed);
  // Each transaction runs on the server's replica, stamped with the
  // server's own (per-load random) replica id, and is logged for catch-up.
  std::vector<sync::DeltaMessage> messages;
  adapters::TransactionRunner run =
      [&](const adapters::Mutation& mutation) -> crdt::Result<crdt::GraphDoc> {
    crdt::GraphDoc delta;
    auto message = replica_.edit([&](crdt::GraphDoc& doc) {
      auto applied = adapters::apply_mutation(doc, mutation);
      if (applied) delta = *applied;
      return applied;
    });
    if (!message) return message.error();
    if (*message) messages.push_back(std::move(**message));
    return delta;
  };
  adapters::ChangeOutcome outcome = member.shadow->receive_change(replica_.doc(), event, run);

  for (auto& correction : outcome.to_sender)
    member.events->send_event(std::move(correction.name), std::move(correction.payload));
  if (outcome.error) {
    member.events->send_event("error", crdt::Json{{"message", outcome.error->message}});
    metrics_.frames_rejected.fetch_add(1, std::memory_order_relaxed);
  }
  fan_out_events(connection, outcome.views, member.user.id);

  Durable acknowledge;
  if (ack_id) {
    crdt::Json answer = outcome.error ? crdt::Json{{"ok", false}, {"error", outcome.error->message}}
                                      : crdt::Json{{"ok", true}};
    acknowledge = [ack_id, answer](Member* member, const std::optional<crdt::Error>& error) {
      if (!member || !member->events) return;
      member->events->send_ack(
          *ack_id, error ? crdt::Json{{"ok", false}, {"error", "storage failed"}} : answer);
    };
  }
  if (messages.empty()) {
    // Nothing new to store, but the state the client sees may still wait
    // for storage: the ack follows everything queued so far.
    if (acknowledge) acknowledge_after_storage(connection, std::move(acknowledge));
    return;
  }
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // Native peers get a server-stamped delta only once it is durable: no
    // one resends it, so a crash before its commit must not leave it in a
    // native replica the server no longer matches. (Socket.IO peers got
    // their events already: a reconnect's workspace_sync replaces their
    // store.) The store commits in order: the last completion covers all.
    const bool last = i + 1 == messages.size();
    Frame frame = make_frame(sync::encode_message(messages[i]));
    Durable done = [this, connection, frame, acknowledge = last ? acknowledge : Durable()](
                       Member* member, const std::optional<crdt::Error>& error) {
      if (!error) fan_out_delta(connection, frame);
      if (acknowledge) acknowledge(member, error);
    };
    persist(connection, std::move(messages[i].delta), std::move(done));
  }
}

void Workspace::on_events_applied(ConnectionId connection, std::uint64_t events_applied) {
  auto it = members_.find(connection);
  if (it != members_.end() && it->second.shadow) it->second.shadow->acknowledge(events_applied);
}

void Workspace::leave(ConnectionId connection) {
  auto it = members_.find(connection);
  if (it == members_.end()) return;
  const sync::UserIdentity user = it->second.user;
  members_.erase(it);
  // The last Socket.IO member gone, no one needs the sync's text.
  if (std::none_of(members_.begin(), members_.end(),
                   [](const auto& m) { return m.second.shadow != nullptr; })) {
    sync_view_.reset();
  }
  const Frame left = make_frame(sync::user_left_frame(user.id));
  for (const auto& [other_id, other] : members_) {
    if (other.peer) other.peer->send_control(left);
    if (other.events) other.events->send_event("user_left", crdt::Json{{"userId", user.id}});
  }
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
    fan_out_presence(connection, member, make_frame(std::move(*out.presence)));
  }
  if (out.broadcast) {
    // A native client's delta: native peers take the frame as is (Socket.IO
    // peers got their events in on_frame).
    fan_out_delta(connection, make_frame(*out.broadcast));
  }
  if (out.persist) {
    metrics_.deltas_in.fetch_add(1, std::memory_order_relaxed);
    Durable acknowledge = [covers = std::move(out.persist->covers), this, connection](
                              Member* member, const std::optional<crdt::Error>& error) {
      if (!member || error) return;
      carry_out(connection, *member, member->session->on_durable(covers));
    };
    if (out.broadcast) {
      persist(connection, std::move(out.persist->delta), std::move(acknowledge));
    } else {
      // A duplicate: its events are stored already, or queued before this
      // barrier, so the ack waits for the store to reach this point.
      acknowledge_after_storage(connection, std::move(acknowledge));
    }
  }
  if (out.close) member.peer->close(out.error.value_or(sync::ProtocolError::unexpected_message));
}

void Workspace::fan_out_delta(ConnectionId from, const Frame& frame) {
  for (const auto& [id, member] : members_) {
    if (id == from || !member.peer) continue;
    member.peer->send_delta(frame);
    metrics_.deltas_out.fetch_add(1, std::memory_order_relaxed);
  }
}

void Workspace::fan_out_events(ConnectionId from, const adapters::TouchedViews& views,
                               const std::string& author) {
  if (views.empty()) return;
  // Clients whose shadows agree are sent equal events (all of them, for a
  // change nobody else touched meanwhile): each is encoded once, and its
  // text shared.
  std::vector<std::pair<adapters::OutgoingEvent, std::shared_ptr<const EncodedEvent>>> encoded;
  // And the shadows keep one copy of a patch they were all sent.
  adapters::SharedPatches patches;
  for (auto& [id, member] : members_) {
    if (id == from || !member.shadow) continue;
    for (auto& event : member.shadow->events_for(replica_.doc(), views, author, &patches)) {
      auto same = std::find_if(encoded.begin(), encoded.end(),
                               [&](const auto& entry) { return entry.first == event; });
      if (same == encoded.end()) {
        auto text = std::make_shared<const EncodedEvent>(
            EncodedEvent{event.name, adapters::encode_event_text(event.name, event.payload)});
        encoded.emplace_back(std::move(event), std::move(text));
        same = std::prev(encoded.end());
      }
      member.events->send_encoded(same->second);
      metrics_.deltas_out.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void Workspace::fan_out_presence(ConnectionId from, const Member& member, Frame native_frame) {
  const std::string& user_id = member.user.id;
  for (const auto& [id, other] : members_) {
    if (id == from) continue;
    if (other.peer) {
      if (!native_frame)
        native_frame = make_frame(sync::user_presence_frame(member.user, member.presence));
      other.peer->send_presence(user_id, native_frame);
    }
    if (other.events) {
      auto event = adapters::presence_update_event(user_id, member.presence);
      other.events->send_presence(user_id, std::move(event.payload));
    }
    metrics_.presence_out.fetch_add(1, std::memory_order_relaxed);
  }
}

void Workspace::persist(ConnectionId connection, crdt::Bytes delta, Durable done) {
  ++pending_writes_;
  ++appended_since_snapshot_;
  auto self = shared_from_this();
  store_.append(
      id_, std::move(delta),
      [self, connection, done = std::move(done)](std::optional<crdt::Error> error) mutable {
        boost::asio::post(
            self->strand_, [self, connection, done = std::move(done), error = std::move(error)] {
              --self->pending_writes_;
              auto it = self->members_.find(connection);
              Member* member = it == self->members_.end() ? nullptr : &it->second;
              if (error) {
                // Not acknowledged: the client keeps the edit and
                // resends it on its next connection, which this ends.
                log_event(LogLevel::error, "storage_write_failed",
                          {{"workspace", self->id_}, {"error", error->message}});
                if (member && member->peer) {
                  member->peer->send_control(make_frame(sync::encode_message(
                      sync::ErrorMessage{sync::ProtocolError::internal_error,
                                         "storage failed; reconnect to retry", false})));
                  member->peer->close(sync::ProtocolError::internal_error);
                }
              }
              if (done) done(member, error);
            });
      });
  if (appended_since_snapshot_ >= settings_.snapshot_every) write_snapshot();
}

void Workspace::acknowledge_after_storage(ConnectionId connection, Durable done) {
  ++pending_writes_;
  auto self = shared_from_this();
  store_.flush(
      [self, connection, done = std::move(done)](std::optional<crdt::Error> error) mutable {
        boost::asio::post(self->strand_,
                          [self, connection, done = std::move(done), error = std::move(error)] {
                            --self->pending_writes_;
                            auto it = self->members_.find(connection);
                            done(it == self->members_.end() ? nullptr : &it->second, error);
                          });
      });
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
