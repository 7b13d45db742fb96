#pragma once
// MemoryServer: a trellisd stand-in for NativeClient tests, without sockets.
// It hosts one workspace the way tests/sync/support/sync_network.hpp does
// (a WorkspaceReplica, a ServerSession per connection, hello accepted with
// user id "user_<replica>", deltas fanned out, storage acknowledging), and
// hands out in-memory Transports that reach it.
//
// Threading: a client calls its transport on the client's thread; the
// server does its work at once under its mutex and posts every frame and
// closed() to the receiving client's executor, as a socket would. The
// server must outlive the clients that use it.
//
// Test controls: make it unreachable (connects fail, connections drop),
// drop every connection, hold acknowledgements back, refuse hellos with an
// error, send any frame to everyone.

#include "trellis/net/asio.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trellis/client/transport.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/server_session.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::client::testkit {

using crdt::Bytes;
using crdt::Json;

class MemoryServer {
 public:
  static constexpr std::uint64_t kServerReplica = 1000;

  MemoryServer() : workspace_(crdt::ReplicaId{kServerReplica}) {}
  MemoryServer(const MemoryServer&) = delete;
  MemoryServer& operator=(const MemoryServer&) = delete;

  static std::string user_id_of(crdt::ReplicaId replica) {
    return "user_" + std::to_string(replica.value);
  }

  // For ClientOptions::transport.
  TransportFactory transport_factory();

  // --- Test controls.

  // Unreachable: connects fail and every connection drops.
  void set_reachable(bool reachable) {
    std::lock_guard lock(mutex_);
    reachable_ = reachable;
    if (!reachable_) end_all("connection lost");
  }
  void drop_all() {
    std::lock_guard lock(mutex_);
    end_all("connection lost");
  }
  // Held: durable writes wait for release_acks() (a slow disk).
  void hold_acks(bool hold) {
    std::lock_guard lock(mutex_);
    hold_acks_ = hold;
  }
  // Acknowledges the held writes to the connections that are still there.
  void release_acks() {
    std::lock_guard lock(mutex_);
    auto held = std::move(held_);
    held_.clear();
    for (auto& [peer_id, covers] : held)
      acknowledge(peer_id, covers);
  }
  // The next `count` hellos are refused with `code`.
  void refuse_next(sync::ProtocolError code, std::size_t count) {
    std::lock_guard lock(mutex_);
    refusal_ = code;
    refusals_left_ = count;
  }
  // Sends `frame` to every established connection.
  void send_to_all(const Bytes& frame) {
    std::lock_guard lock(mutex_);
    for (auto& [peer_id, peer] : peers_) {
      if (peer.session.state() == sync::ServerSession::State::established) deliver(peer, frame);
    }
  }

  // --- Observations.

  Json view() const {
    std::lock_guard lock(mutex_);
    return crdt::graph_view(workspace_.doc());
  }
  std::size_t hellos() const {
    std::lock_guard lock(mutex_);
    return hellos_;
  }
  std::size_t deltas_received() const {
    std::lock_guard lock(mutex_);
    return deltas_received_;
  }
  std::size_t connections() const {
    std::lock_guard lock(mutex_);
    return peers_.size();
  }

  // --- The transports' side.

  // A new connection, or 0 when unreachable (closed() is posted then).
  std::uint64_t open(boost::asio::any_io_executor executor, TransportHandlers handlers) {
    std::lock_guard lock(mutex_);
    if (!reachable_) {
      boost::asio::post(executor,
                        [closed = std::move(handlers.closed)] { closed("connection refused"); });
      return 0;
    }
    const std::uint64_t id = next_peer_++;
    Peer& peer = peers_.emplace(id, Peer{executor, std::move(handlers)}).first->second;
    boost::asio::post(peer.executor, peer.handlers.opened);
    return id;
  }

  void receive(std::uint64_t peer_id, const Bytes& frame) {
    std::lock_guard lock(mutex_);
    auto peer = peers_.find(peer_id);
    if (peer == peers_.end()) return;
    auto decoded = sync::decode_message(frame);
    if (decoded && std::holds_alternative<sync::DeltaMessage>(*decoded)) ++deltas_received_;
    if (decoded && std::holds_alternative<sync::Presence>(*decoded)) {
      peer->second.presence = std::get<sync::Presence>(*decoded).state;
    }
    handle(peer_id, peer->second.session.on_frame(frame, &workspace_));
  }

  void close(std::uint64_t peer_id, std::string reason) {
    std::lock_guard lock(mutex_);
    end(peer_id, std::move(reason));
  }

 private:
  struct Peer {
    boost::asio::any_io_executor executor;
    TransportHandlers handlers;
    sync::ServerSession session{};
    Json presence = nullptr;  // the client's latest own presence state
  };

  static void deliver(const Peer& peer, Bytes frame) {
    boost::asio::post(peer.executor,
                      [received = peer.handlers.received, frame = std::move(frame)]() mutable {
                        received(std::move(frame));
                      });
  }

  void to_others(std::uint64_t peer_id, const Bytes& frame) {
    for (auto& [other_id, other] : peers_) {
      if (other_id != peer_id && other.session.state() == sync::ServerSession::State::established) {
        deliver(other, frame);
      }
    }
  }

  void handle(std::uint64_t peer_id, sync::ServerOutput out) {
    auto found = peers_.find(peer_id);
    if (found == peers_.end()) return;
    Peer& peer = found->second;
    for (Bytes& frame : out.to_peer)
      deliver(peer, std::move(frame));
    if (out.broadcast) to_others(peer_id, *out.broadcast);
    if (out.presence) to_others(peer_id, *out.presence);
    if (out.persist) {
      if (hold_acks_) {
        held_.emplace_back(peer_id, std::move(out.persist->covers));
      } else {
        acknowledge(peer_id, out.persist->covers);
      }
    }
    if (out.hello) welcome(peer_id, *out.hello);
    if (out.close) end(peer_id, "the server closed the connection");
  }

  void welcome(std::uint64_t peer_id, const sync::Hello& hello) {
    ++hellos_;
    Peer& peer = peers_.at(peer_id);
    if (refusals_left_ > 0) {
      --refusals_left_;
      handle(peer_id, peer.session.refuse(refusal_, "refused by the test"));
      return;
    }
    const sync::UserIdentity user{user_id_of(hello.replica), hello.client_name, "#3366cc"};
    handle(peer_id, peer.session.accept(workspace_, user));
    // Who is here already, then the newcomer to everyone else.
    for (const auto& [other_id, other] : peers_) {
      if (other_id != peer_id && other.session.state() == sync::ServerSession::State::established) {
        deliver(peer, sync::user_presence_frame(other.session.user(), other.presence));
      }
    }
    to_others(peer_id, sync::user_presence_frame(user, nullptr));
  }

  void acknowledge(std::uint64_t peer_id, const crdt::CausalContext& covers) {
    if (auto peer = peers_.find(peer_id); peer != peers_.end()) {
      handle(peer_id, peer->second.session.on_durable(covers));
    }
  }

  void end(std::uint64_t peer_id, std::string reason) {
    auto found = peers_.find(peer_id);
    if (found == peers_.end()) return;
    Peer peer = std::move(found->second);
    peers_.erase(found);
    boost::asio::post(peer.executor, [closed = peer.handlers.closed, reason = std::move(reason)] {
      closed(reason);
    });
    if (peer.session.state() == sync::ServerSession::State::established) {
      to_others(peer_id, sync::user_left_frame(peer.session.user().id));
    }
  }

  void end_all(const std::string& reason) {
    while (!peers_.empty())
      end(peers_.begin()->first, reason);
  }

  mutable std::mutex mutex_;
  sync::WorkspaceReplica workspace_;
  std::map<std::uint64_t, Peer> peers_;
  std::uint64_t next_peer_ = 1;
  bool reachable_ = true;
  bool hold_acks_ = false;
  std::vector<std::pair<std::uint64_t, crdt::CausalContext>> held_;
  sync::ProtocolError refusal_ = sync::ProtocolError::server_busy;
  std::size_t refusals_left_ = 0;
  std::size_t hellos_ = 0;
  std::size_t deltas_received_ = 0;
};

// The client's end of a MemoryServer connection.
class MemoryTransport final : public Transport {
 public:
  MemoryTransport(MemoryServer& server, boost::asio::any_io_executor executor)
      : server_(server), executor_(std::move(executor)) {}
  ~MemoryTransport() override { close(); }

  void connect(const std::string&, TransportHandlers handlers) override {
    peer_ = server_.open(executor_, std::move(handlers));
  }
  void send(Bytes frame) override {
    if (peer_ != 0) server_.receive(peer_, frame);
  }
  void close() override {
    if (peer_ != 0) server_.close(std::exchange(peer_, 0), "closed by the client");
  }

 private:
  MemoryServer& server_;
  boost::asio::any_io_executor executor_;
  std::uint64_t peer_ = 0;
};

inline TransportFactory MemoryServer::transport_factory() {
  return [this](boost::asio::any_io_executor executor) {
    return std::make_unique<MemoryTransport>(*this, std::move(executor));
  };
}

}  // namespace trellis::client::testkit
