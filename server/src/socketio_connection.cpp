#include "socketio_connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "identity.hpp"
#include "log.hpp"
#include "trellis/adapters/socketio.hpp"
#include "workspace.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
using adapters::SioPacket;
using adapters::SioType;
using crdt::Json;

class SocketIoConnection final : public MessageHandler,
                                 public std::enable_shared_from_this<SocketIoConnection> {
 public:
  SocketIoConnection(ServerContext& context, std::weak_ptr<EngineIoSession> session)
      : context_(context),
        session_(std::move(session)),
        id_(context.next_connection_id.fetch_add(1)),
        socket_id_(new_session_id()) {}

  // --- MessageHandler, on the session's strand.
  // `taken` goes with an event to the workspace: the client's next message
  // is read once the workspace ran this one. Everything else is taken here.
  void on_message(EngineIoSession& session, std::string text, MessageTaken taken) override {
    auto packet = adapters::decode_sio_packet(text);
    if (!packet) {
      // The reference server closes a connection whose packet it cannot
      // decode; a binary event is refused the same way, with a word first.
      if (packet.error().code == adapters::PacketErrorCode::unsupported) {
        emit(session, "error", Json{{"message", packet.error().message}});
      }
      log_event(LogLevel::debug, "socketio_bad_packet", {{"error", packet.error().message}});
      session.close("bad Socket.IO packet");
      return;
    }
    switch (packet->type) {
      case SioType::connect:
        return on_connect(session, *packet);
      case SioType::disconnect:
        if (packet->nsp == "/") {
          connected_ = false;
          leave_workspace();
        }
        return;
      case SioType::event:
        if (packet->nsp != "/" || !connected_) return;  // not connected there: ignored
        return on_event(session, std::move(*packet), std::move(taken));
      default:
        return;  // acks of the client and errors need no answer
    }
  }

  // An Engine.IO session whose client never connects a namespace would
  // hold its session as long as it answers pings: like socket.io's
  // connectTimeout, it gets --http-idle-timeout, then the session closes.
  // The timer holds the connection weakly and goes with the CONNECT.
  void await_connect_until(const Strand& strand, std::chrono::milliseconds limit) {
    connect_deadline_ = std::make_unique<asio::steady_timer>(strand, limit);
    connect_deadline_->async_wait([weak = weak_from_this()](boost::system::error_code error) {
      auto self = weak.lock();
      if (error || !self || !self->connect_deadline_) return;
      self->connect_deadline_.reset();
      if (auto session = self->session_.lock(); session && !session->closed()) {
        log_event(LogLevel::debug, "socketio_no_connect", {{"sid", session->sid()}});
        session->close("no Socket.IO connect in time");
      }
    });
  }

  void on_close(EngineIoSession&) override {
    connect_deadline_.reset();
    connected_ = false;
    leave_workspace();
  }

  // The events that change the client's model, counted in the order they
  // were queued, as the current workspace's ClientShadow numbers them; the
  // join's generation rides in the high bits, so a pong of a ping sent
  // before a rejoin acknowledges nothing of the new join.
  static constexpr int kGenerationShift = 40;
  std::uint64_t ping_mark() override { return generation_ << kGenerationShift | model_events_; }
  void on_pong(std::uint64_t mark) override {
    barrier_unanswered_ = false;
    if (!workspace_ || mark >> kGenerationShift != generation_) return;
    const std::uint64_t applied = mark & ((std::uint64_t{1} << kGenerationShift) - 1);
    if (applied <= acknowledged_) return;
    acknowledged_ = applied;
    asio::post(workspace_->strand(), [workspace = workspace_, id = id_, applied] {
      workspace->on_events_applied(id, applied);
    });
  }

  // What one join's workspace sends: events of an earlier join (a
  // workspace left, or left and joined again) are dropped, so the count of
  // model events always matches the current workspace's ClientShadow.
  class Membership final : public EventPeer {
   public:
    Membership(std::weak_ptr<SocketIoConnection> connection, std::uint64_t generation)
        : connection_(std::move(connection)), generation_(generation) {}
    void send_event(std::string name, Json payload) override {
      if (auto connection = connection_.lock())
        connection->send_event(generation_, std::move(name), std::move(payload));
    }
    void send_encoded(std::shared_ptr<const EncodedEvent> event) override {
      if (auto connection = connection_.lock())
        connection->send_encoded(generation_, std::move(event));
    }
    void send_encoded_once(EncodedEvent event) override {
      if (auto connection = connection_.lock())
        connection->send_encoded_once(generation_, std::move(event));
    }
    void send_ack(std::uint64_t ack_id, Json payload) override {
      if (auto connection = connection_.lock())
        connection->send_ack(generation_, ack_id, std::move(payload));
    }
    void send_presence(const std::string& user_id, Json payload) override {
      if (auto connection = connection_.lock())
        connection->send_presence(generation_, user_id, std::move(payload));
    }

   private:
    std::weak_ptr<SocketIoConnection> connection_;
    std::uint64_t generation_;
  };

  void send_event(std::uint64_t generation, std::string name, Json payload) {
    post([generation, name = std::move(name), payload = std::move(payload)](
             SocketIoConnection& self, EngineIoSession& session) {
      if (!self.connected_ || generation != self.generation_) return;
      // A presence still waiting must not draw a user who has just left.
      if (name == "user_left" && payload.contains("userId") && payload["userId"].is_string()) {
        self.pending_presence_.erase(payload["userId"].get<std::string>());
      }
      self.deliver(session, name, adapters::encode_event_text(name, payload));
    });
  }
  void send_encoded(std::uint64_t generation, std::shared_ptr<const EncodedEvent> event) {
    post(
        [generation, event = std::move(event)](SocketIoConnection& self, EngineIoSession& session) {
          if (self.connected_ && generation == self.generation_)
            self.deliver(session, event->name, event->text);
        });
  }
  void send_encoded_once(std::uint64_t generation, EncodedEvent event) {
    post([generation, event = std::move(event)](SocketIoConnection& self,
                                                EngineIoSession& session) mutable {
      if (self.connected_ && generation == self.generation_)
        self.deliver(session, event.name, std::move(event.text));
    });
  }
  void deliver(EngineIoSession& session, std::string_view name, std::string text) {
    const bool sync = name == "workspace_sync";
    const bool model =
        sync || name == "node_change" || name == "edge_change" || name == "node_data_update";
    if (model) ++model_events_;
    session.send_message(std::move(text));
    // A ping right behind the sync: its pong tells the workspace that the
    // client's model is the synced state, before its first edit.
    if (sync) {
      ping(session, std::chrono::steady_clock::now());
    } else if (model) {
      barrier_after_model_event(session);
    }
  }

  // The client's shadow keeps the states its store may hold at every
  // frontier since the last pong, and replays each change the client sends
  // over all of them: under a steady flow of events the heartbeat alone
  // leaves dozens of frontiers per busy node. A ping behind model events at
  // most every kBarrierEvery keeps that to a few (and the shadow's memory to
  // about the document); one unanswered at a time, so a client that stops
  // reading is not sent more.
  static constexpr std::chrono::milliseconds kBarrierEvery{50};
  void barrier_after_model_event(EngineIoSession& session) {
    if (barrier_unanswered_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_barrier_ >= kBarrierEvery) ping(session, now);
  }
  void ping(EngineIoSession& session, std::chrono::steady_clock::time_point now) {
    barrier_unanswered_ = true;
    last_barrier_ = now;
    session.ping_now();
  }
  // Presence is coalesced: updates that arrive while a flush is pending
  // replace that user's earlier one, so a client gets at most one per user
  // per turn of its strand however fast the others move their cursors.
  void send_presence(std::uint64_t generation, const std::string& user_id, Json payload) {
    post([generation, user_id, payload = std::move(payload)](SocketIoConnection& self,
                                                             EngineIoSession&) mutable {
      if (!self.connected_ || generation != self.generation_) return;
      self.pending_presence_[user_id] = std::move(payload);
      if (self.presence_flush_posted_) return;
      self.presence_flush_posted_ = true;
      self.post([](SocketIoConnection& self, EngineIoSession& session) {
        self.presence_flush_posted_ = false;
        auto pending = std::exchange(self.pending_presence_, {});
        if (!self.connected_) return;
        for (auto& [user, presence] : pending)
          self.emit(session, "presence_update", presence);
      });
    });
  }
  void send_ack(std::uint64_t generation, std::uint64_t ack_id, Json payload) {
    post([generation, ack_id, payload = std::move(payload)](SocketIoConnection& self,
                                                            EngineIoSession& session) {
      if (self.connected_ && generation == self.generation_) self.ack(session, ack_id, payload);
    });
  }

 private:
  template <class Action>
  void post(Action action) {
    auto session = session_.lock();
    if (!session) return;
    asio::post(session->strand(),
               [self = shared_from_this(), session, action = std::move(action)]() mutable {
                 if (!session->closed()) action(*self, *session);
               });
  }

  void emit(EngineIoSession& session, std::string_view name, const Json& payload) {
    session.send_message(adapters::encode_event_text(name, payload));
  }

  void ack(EngineIoSession& session, std::uint64_t ack_id, const Json& payload) {
    SioPacket packet;
    packet.type = SioType::ack;
    packet.id = ack_id;
    packet.data = Json::array({payload});
    session.send_message(adapters::encode_sio_packet(packet));
  }

  void on_connect(EngineIoSession& session, const SioPacket& packet) {
    if (packet.nsp != "/") {
      SioPacket refusal;
      refusal.type = SioType::connect_error;
      refusal.nsp = packet.nsp;
      refusal.data = Json{{"message", "Invalid namespace"}};
      session.send_message(adapters::encode_sio_packet(refusal));
      return;
    }
    // The authorization hook sees the client's `auth` payload (null when
    // it sent none); without one configured, everyone is allowed.
    if (context_.authorize_socketio) {
      if (auto refusal = context_.authorize_socketio(packet.data)) {
        SioPacket refused;
        refused.type = SioType::connect_error;
        refused.data = Json{{"message", *refusal}};
        session.send_message(adapters::encode_sio_packet(refused));
        return;
      }
    }
    connected_ = true;
    connect_deadline_.reset();
    SioPacket accepted;
    accepted.type = SioType::connect;
    accepted.data = Json{{"sid", socket_id_}};
    session.send_message(adapters::encode_sio_packet(accepted));
  }

  // Answers an event the connection itself refuses: `error {message}` to
  // this client only, and the ack (if asked for) with the same message.
  void refuse(EngineIoSession& session, const SioPacket& packet, const std::string& message) {
    emit(session, "error", Json{{"message", message}});
    if (packet.id) ack(session, *packet.id, Json{{"ok", false}, {"error", message}});
  }

  void on_event(EngineIoSession& session, SioPacket packet, MessageTaken taken) {
    std::string name(*adapters::event_name(packet));
    Json payload = packet.data.is_array() && packet.data.size() > 1 ? std::move(packet.data[1])
                                                                    : Json(nullptr);
    if (name == "join_workspace") return join(session, packet, payload);
    if (name == "leave_workspace") {
      leave_workspace();
      if (packet.id) ack(session, *packet.id, Json{{"ok", true}});
      return;
    }
    if (!workspace_) return refuse(session, packet, "join a workspace first (join_workspace)");
    if (payload.is_object() && payload.contains("workspaceId") &&
        payload["workspaceId"] != workspace_->id()) {
      return refuse(session, packet, "this connection has joined another workspace");
    }
    auto workspace = workspace_;
    asio::post(workspace->strand(),
               [workspace, id = id_, name = std::move(name), payload = std::move(payload),
                ack_id = packet.id,
                taken = std::move(taken)] { workspace->on_event(id, name, payload, ack_id); });
  }

  void join(EngineIoSession& session, const SioPacket& packet, const Json& payload) {
    if (!payload.is_object() || !payload.contains("workspaceId") ||
        !payload["workspaceId"].is_string() ||
        !is_valid_workspace_id(payload["workspaceId"].get_ref<const std::string&>())) {
      return refuse(session, packet,
                    "join_workspace needs {workspaceId, username}: a workspaceId of 1 to 128 "
                    "characters of A-Z, a-z, 0-9, '_' and '-'");
    }
    if (payload.contains("username") && !payload["username"].is_string()) {
      return refuse(session, packet, "username must be a string");
    }
    const std::string workspace_id = payload["workspaceId"];
    const std::string username = payload.value("username", std::string());
    leave_workspace();
    context_.registry.acquire(workspace_id, [self = shared_from_this(), username,
                                             ack_id = packet.id](AcquireResult acquired) {
      self->post([acquired = std::move(acquired), username, ack_id](
                     SocketIoConnection& self, EngineIoSession& session) mutable {
        self.joined(session, std::move(acquired), username, ack_id);
      });
    });
  }

  void joined(EngineIoSession& session, AcquireResult acquired, const std::string& username,
              std::optional<std::uint64_t> ack_id) {
    if (!acquired.workspace) {
      emit(session, "error", Json{{"message", acquired.message}});
      if (ack_id) ack(session, *ack_id, Json{{"ok", false}, {"error", acquired.message}});
      return;
    }
    if (!connected_) {
      // Disconnected while the workspace loaded.
      context_.registry.release(acquired.workspace);
      return;
    }
    workspace_ = std::move(acquired.workspace);
    user_ = new_user(username);
    ++generation_;
    pending_presence_.clear();  // the old join's users
    model_events_ = 0;
    acknowledged_ = 0;
    auto membership = std::make_shared<Membership>(weak_from_this(), generation_);
    asio::post(workspace_->strand(),
               [workspace = workspace_, id = id_, membership, user = user_, ack_id] {
                 workspace->join_events(id, membership, user, ack_id);
               });
  }

  void leave_workspace() {
    if (!workspace_) return;
    auto workspace = std::move(workspace_);
    workspace_.reset();
    ++generation_;  // what the old workspace still sends is dropped
    pending_presence_.clear();
    asio::post(workspace->strand(), [workspace, id = id_] { workspace->leave(id); });
    context_.registry.release(workspace);
  }

  ServerContext& context_;
  std::weak_ptr<EngineIoSession> session_;
  ConnectionId id_;
  std::string socket_id_;
  std::shared_ptr<Workspace> workspace_;
  sync::UserIdentity user_;
  bool connected_ = false;
  // Until the first CONNECT to "/" (await_connect_until).
  std::unique_ptr<asio::steady_timer> connect_deadline_;
  std::uint64_t generation_ = 0;  // of the current join
  std::uint64_t model_events_ = 0;
  std::uint64_t acknowledged_ = 0;
  std::map<std::string, Json> pending_presence_;  // by user id, of the current join
  bool presence_flush_posted_ = false;
  bool barrier_unanswered_ = false;
  std::chrono::steady_clock::time_point last_barrier_{};
};

}  // namespace

std::shared_ptr<MessageHandler> make_socketio_handler(ServerContext& context,
                                                      std::weak_ptr<EngineIoSession> session) {
  auto owner = session.lock();
  auto connection = std::make_shared<SocketIoConnection>(context, std::move(session));
  if (owner) connection->await_connect_until(owner->strand(), context.config.http_idle_timeout);
  return connection;
}

}  // namespace trellis::server
