#pragma once
// SyncNetwork: the sync protocol run end to end without sockets. One
// WorkspaceReplica with a ServerSession per connection (the test host), and
// ClientSession clients, each with a simulated disk.
//
// The host accepts every hello, gives each client replica the user id
// "user_<replica>", fans `broadcast` frames out to the workspace's other
// established connections, and hands persist requests to a storage that
// completes them later, in any order (complete_write), after which the
// connection that asked gets its `ack`.
//
// A connection carries two FIFO queues of frames, as a WebSocket over TCP
// does; nothing is reordered within one. Messages are lost when a
// connection is dropped (both queues go), duplicated and reordered across
// connections when one is dropped half-open: the client has gone and sees
// nothing more, but the server still reads the frames the client sent
// before, perhaps after the client's next connection has resent them.
//
// A client's disk holds crdt::encode_state_to(doc) + received() + outbox().
// With save_after_every_step the disk is current after every step. Without
// it the client saves before each frame it sends (write-ahead, so that no
// event another replica has seen can be lost and its dot reissued) and at
// flush steps, and a restart loses what happened since the last save. The
// client's `promised` events are its own edits that reached its disk or
// were acknowledged: none of them may ever be lost.
//
// The network never asserts: what breaks the protocol's rules (an error
// frame between honest peers, a presence update with the wrong user) is
// collected in violations(); tests decide what to do with it.

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/client_session.hpp"
#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/messages.hpp"
#include "trellis/sync/server_session.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::sync::testkit {

// What a client keeps on disk to survive a restart.
struct ClientDisk {
  Bytes state;  // crdt::encode_state_to(doc)
  CausalContext received;
  std::vector<OutboxEntry> outbox;
};

inline ClientDisk save_to_disk(const ClientSession& session) {
  ClientDisk disk;
  crdt::encode_state_to(session.doc(), disk.state);
  disk.received = session.received();
  disk.outbox.assign(session.outbox().begin(), session.outbox().end());
  return disk;
}

// A decoded state has replica 0: the restarted client gives it its own id
// back before it can edit again.
inline ClientSession restore_from_disk(const ClientConfig& config, ReplicaId replica,
                                       const ClientDisk& disk) {
  crdt::GraphDoc doc(replica);
  doc.join(crdt::decode(disk.state).value());
  return ClientSession(config, std::move(doc), disk.received, disk.outbox);
}

// The disk of a client that has seen exactly `state`, with nothing pending.
inline ClientDisk disk_in_sync_with(const crdt::GraphDoc& state) {
  ClientDisk disk;
  crdt::encode_state_to(state, disk.state);
  disk.received = state.context();
  return disk;
}

inline constexpr char kWorkspaceId[] = "ws-test";

// Bytes and frames one client's connections carried, by message type.
struct Traffic {
  std::array<std::size_t, 7> frames{};  // indexed by MessageType (1..6)
  std::array<std::size_t, 7> bytes{};

  std::size_t total_bytes() const {
    std::size_t total = 0;
    for (std::size_t b : bytes)
      total += b;
    return total;
  }
  void count(std::span<const std::uint8_t> frame) {
    auto decoded = decode_message(frame);
    const std::size_t type = decoded ? decoded->index() + 1 : 0;
    ++frames[type];
    bytes[type] += frame.size();
  }
};

struct NetworkOptions {
  bool save_after_every_step = true;
};

// What happened, so that a property can show it covered what it claims.
struct NetworkStats {
  std::size_t duplicate_deltas = 0;    // deltas the server already had
  std::size_t log_catch_ups = 0;       // welcomes served from the DeltaLog
  std::size_t fallback_catch_ups = 0;  // welcomes served by GraphDoc::delta_since
  std::size_t lossy_restarts = 0;      // restarts that lost unsaved events
};

class SyncNetwork {
 public:
  struct Client {
    ReplicaId replica;
    ClientConfig config;
    ClientSession session;
    ClientDisk disk;
    std::optional<std::size_t> connection{};  // the attached connection, if any
    bool partitioned = false;                 // cannot connect until heal()
    CausalContext promised{};                 // own edits saved or acknowledged
    Traffic sent{};                           // client -> server
    Traffic received{};                       // server -> client
  };

  struct Connection {
    std::size_t client;
    ServerSession server;
    std::deque<Bytes> to_server;
    std::deque<Bytes> to_client;
    bool client_attached = true;  // false: half-open, the client has gone
    bool server_closed = false;   // the server closed it; to_client drains first
  };

  struct PendingWrite {
    std::size_t connection;
    DurableWrite write;
  };

  static constexpr std::uint64_t kServerReplica = 1000;

  // `disks[i]` is client i's disk at the start (see disk_in_sync_with).
  SyncNetwork(WorkspaceReplica workspace, const std::vector<ClientDisk>& disks,
              NetworkOptions options = {})
      : options_(options), workspace_(std::move(workspace)) {
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const ReplicaId replica{i + 1};
      ClientConfig config{kWorkspaceId, "client " + std::to_string(i + 1), std::nullopt};
      clients_.push_back(
          Client{replica, config, restore_from_disk(config, replica, disks[i]), disks[i]});
    }
  }

  // An empty workspace and `client_count` clients that have seen nothing.
  explicit SyncNetwork(std::size_t client_count, NetworkOptions options = {})
      : SyncNetwork(WorkspaceReplica(ReplicaId{kServerReplica}),
                    std::vector<ClientDisk>(client_count, disk_in_sync_with(crdt::GraphDoc{})),
                    options) {}

  const WorkspaceReplica& workspace() const { return workspace_; }
  const std::vector<Client>& clients() const { return clients_; }
  const Client& client(std::size_t index) const { return clients_[index]; }
  const std::map<std::size_t, Connection>& connections() const { return connections_; }
  const std::vector<PendingWrite>& pending_writes() const { return pending_writes_; }
  const std::vector<std::string>& violations() const { return violations_; }
  const NetworkStats& stats() const { return stats_; }
  // Every delta storage made durable, in the order it did.
  const std::vector<Bytes>& stored() const { return stored_; }

  static std::string user_id_of(ReplicaId replica) {
    return "user_" + std::to_string(replica.value);
  }

  // --- Client actions.

  // A local edit on client `index`. An edit made online is sent at once.
  crdt::Result<std::optional<Bytes>> edit(
      std::size_t index, const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit) {
    Client& client = clients_[index];
    auto frame = client.session.edit(edit);
    if (frame && *frame && client.connection) send_from_client(index, {**frame});
    return frame;
  }

  void send_presence(std::size_t index, const Json& state) {
    Client& client = clients_[index];
    if (!client.connection) return;
    if (auto frame = client.session.presence(state)) send_from_client(index, {*frame});
  }

  // Opens a connection for a client that has none (and is not cut off).
  void connect(std::size_t index) {
    Client& client = clients_[index];
    if (client.connection || client.partitioned) return;
    const std::size_t id = next_connection_++;
    connections_.emplace(id, Connection{index, ServerSession{}, {}, {}});
    client.connection = id;
    send_from_client(index, {client.session.on_connected()});
  }

  // The client's connection breaks. `half_open`: the server keeps reading
  // what the client had sent; otherwise both queues are lost.
  void drop(std::size_t index, bool half_open) {
    Client& client = clients_[index];
    if (!client.connection) return;
    auto connection = connections_.find(*client.connection);
    client.connection.reset();
    client.session.on_disconnected();
    connection->second.client_attached = false;
    connection->second.to_client.clear();
    if (!half_open || connection->second.to_server.empty() || connection->second.server_closed) {
      connections_.erase(connection);
    }
  }

  void partition(std::size_t index) {
    drop(index, false);
    clients_[index].partitioned = true;
  }

  void heal() {
    for (Client& client : clients_)
      client.partitioned = false;
  }

  void save(std::size_t index) {
    Client& client = clients_[index];
    client.disk = save_to_disk(client.session);
    promise_own_events(client, client.disk.received);
  }

  // The client process dies and starts again from its disk.
  void restart(std::size_t index, bool half_open) {
    drop(index, half_open);
    Client& client = clients_[index];
    if (!(client.disk.received == client.session.received())) ++stats_.lossy_restarts;
    client.session = restore_from_disk(client.config, client.replica, client.disk);
  }

  void after_step() {
    if (!options_.save_after_every_step) return;
    for (std::size_t i = 0; i < clients_.size(); ++i)
      save(i);
  }

  // --- Network and storage.

  // Delivers the next frame client -> server of the pick-th connection that
  // has one (modulo their number); false when none has.
  bool deliver_to_server(std::size_t pick) {
    auto connection =
        nth_connection(pick, [](const Connection& c) { return !c.to_server.empty(); });
    if (connection == connections_.end()) return false;
    const std::size_t id = connection->first;
    Bytes frame = std::move(connection->second.to_server.front());
    connection->second.to_server.pop_front();
    ServerOutput out = connection->second.server.on_frame(frame, &workspace_);
    handle_server_output(id, std::move(out));
    forget_if_finished(id);
    return true;
  }

  bool deliver_to_client(std::size_t pick) {
    auto connection =
        nth_connection(pick, [](const Connection& c) { return !c.to_client.empty(); });
    if (connection == connections_.end()) return false;
    const std::size_t id = connection->first;
    const std::size_t index = connection->second.client;
    Bytes frame = std::move(connection->second.to_client.front());
    connection->second.to_client.pop_front();
    Client& client = clients_[index];
    client.received.count(frame);
    if (auto decoded = decode_message(frame)) {
      if (auto* ack = std::get_if<Ack>(&*decoded)) promise_own_events(client, ack->durable);
    }
    ClientOutput out = client.session.on_frame(frame);
    handle_client_output(index, std::move(out));
    if (client.connection == id) {
      const Connection& after = connections_.at(id);
      if (after.server_closed && after.to_client.empty()) drop(index, false);
    }
    return true;
  }

  // Delivers the next frame of client `index`'s own connection, one way or
  // the other; false when there is none.
  bool deliver_to_server_from(std::size_t index) {
    const auto& connection = clients_[index].connection;
    if (!connection || connections_.at(*connection).to_server.empty()) return false;
    return deliver_to_server(position_among_ready(*connection, /*to_server=*/true));
  }
  bool deliver_to_client_of(std::size_t index) {
    const auto& connection = clients_[index].connection;
    if (!connection || connections_.at(*connection).to_client.empty()) return false;
    return deliver_to_client(position_among_ready(*connection, /*to_server=*/false));
  }

  // Storage completes the pick-th pending write (modulo their number).
  bool complete_write(std::size_t pick) {
    if (pending_writes_.empty()) return false;
    const auto at =
        pending_writes_.begin() + static_cast<std::ptrdiff_t>(pick % pending_writes_.size());
    PendingWrite done = std::move(*at);
    pending_writes_.erase(at);
    stored_.push_back(std::move(done.write.delta));
    auto connection = connections_.find(done.connection);
    if (connection != connections_.end()) {
      handle_server_output(done.connection,
                           connection->second.server.on_durable(done.write.covers));
    }
    return true;
  }

  // One step of whatever is pending: a frame to the server, a frame to a
  // client, else a write; false when nothing is.
  bool step(std::size_t pick) {
    return deliver_to_server(pick) || deliver_to_client(pick) || complete_write(0);
  }

  // Runs the network, connecting nobody, until nothing is in flight and
  // every write is durable. Bounded: false when that takes over `max_steps`.
  bool run_until_quiet(std::size_t max_steps = 100000) {
    for (std::size_t i = 0; i < max_steps; ++i) {
      const bool progressed = step(i);
      after_step();
      if (!progressed) return true;
    }
    return false;
  }

  // Heals every partition, connects every client and runs the network until
  // nothing is in flight, every write is durable and every client is online.
  // Bounded: false when that does not happen within `max_steps`.
  bool settle(std::size_t max_steps = 100000) {
    heal();
    for (std::size_t i = 0; i < max_steps; ++i) {
      for (std::size_t c = 0; c < clients_.size(); ++c)
        connect(c);
      const bool progressed = step(i);
      after_step();
      if (progressed) continue;
      bool online = true;
      for (const Client& client : clients_) {
        online = online && client.session.state() == ConnectionState::online;
      }
      if (online) return true;
    }
    return false;
  }

 private:
  template <class Predicate>
  std::map<std::size_t, Connection>::iterator nth_connection(std::size_t pick, Predicate ready) {
    std::size_t candidates = 0;
    for (const auto& [id, connection] : connections_)
      candidates += ready(connection) ? 1 : 0;
    if (candidates == 0) return connections_.end();
    std::size_t wanted = pick % candidates;
    for (auto it = connections_.begin(); it != connections_.end(); ++it) {
      if (ready(it->second) && wanted-- == 0) return it;
    }
    return connections_.end();
  }

  // The pick that makes deliver_to_* choose connection `id`.
  std::size_t position_among_ready(std::size_t id, bool to_server) const {
    std::size_t position = 0;
    for (const auto& [other_id, connection] : connections_) {
      if (other_id == id) break;
      const auto& queue = to_server ? connection.to_server : connection.to_client;
      position += queue.empty() ? 0 : 1;
    }
    return position;
  }

  void promise_own_events(Client& client, const CausalContext& events) {
    events.for_each_dot([&](crdt::Dot dot) {
      if (dot.replica == client.replica) client.promised.insert(dot);
    });
  }

  void send_from_client(std::size_t index, std::vector<Bytes> frames) {
    if (frames.empty()) return;
    Client& client = clients_[index];
    if (!client.connection) return;
    // Write-ahead: what leaves the client is on its disk first.
    if (!options_.save_after_every_step) save(index);
    Connection& connection = connections_.at(*client.connection);
    for (Bytes& frame : frames) {
      client.sent.count(frame);
      connection.to_server.push_back(std::move(frame));
    }
  }

  void send_to_client(Connection& connection, Bytes frame) {
    if (connection.client_attached) connection.to_client.push_back(std::move(frame));
  }

  void handle_server_output(std::size_t id, ServerOutput out) {
    Connection& connection = connections_.at(id);
    for (Bytes& frame : out.to_peer) {
      if (auto error = decode_message(frame);
          error && std::holds_alternative<ErrorMessage>(*error)) {
        violations_.push_back("the server sent client r" + std::to_string(connection.client + 1) +
                              " an error: " + std::get<ErrorMessage>(*error).message);
      }
      send_to_client(connection, std::move(frame));
    }
    for (const auto* frame : {&out.broadcast, &out.presence}) {
      if (!*frame) continue;
      for (auto& [other_id, other] : connections_) {
        if (other_id == id || other.server_closed) continue;
        if (other.server.state() != ServerSession::State::established) continue;
        send_to_client(other, **frame);
      }
    }
    if (out.persist && !out.broadcast) ++stats_.duplicate_deltas;
    if (out.persist) pending_writes_.push_back(PendingWrite{id, std::move(*out.persist)});
    if (out.close) {
      connection.server_closed = true;
      connection.to_server.clear();
    }
    if (out.hello) {
      const Client& client = clients_[connection.client];
      if (out.hello->replica != client.replica || out.hello->workspace_id != kWorkspaceId) {
        violations_.push_back("client r" + std::to_string(connection.client + 1) +
                              " said hello with another identity");
      }
      ++(workspace_.log().missing_for(out.hello->context) ? stats_.log_catch_ups
                                                          : stats_.fallback_catch_ups);
      const UserIdentity user{user_id_of(out.hello->replica), out.hello->client_name, "#3366cc"};
      handle_server_output(id, connection.server.accept(workspace_, user));
    }
  }

  void handle_client_output(std::size_t index, ClientOutput out) {
    if (out.error) {
      violations_.push_back("client r" + std::to_string(index + 1) + " got or raised an error (" +
                            std::string(to_string(out.error->code)) + "): " + out.error->message);
    }
    for (const Presence& presence : out.presence)
      check_presence(index, presence);
    send_from_client(index, std::move(out.to_server));
    if (out.close) drop(index, false);
  }

  // Presence states name their sender ({"client": i, ...}); the server must
  // have wrapped it with that client's user id (presence_state_of). (A client may get its own
  // presence back from its earlier, half-open connection: that is another
  // connection of the workspace.)
  void check_presence(std::size_t receiver, const Presence& presence) {
    const Json& state = presence.state;
    const bool wrapped = state.is_object() && state.contains("user") && state.contains("state") &&
                         state["state"].is_object();
    const std::size_t sender =
        wrapped ? state["state"].value("client", clients_.size()) : clients_.size();
    if (sender >= clients_.size() || presence.user_id != user_id_of(clients_[sender].replica) ||
        state["user"].value("id", std::string()) != presence.user_id) {
      violations_.push_back("client r" + std::to_string(receiver + 1) + " got presence " +
                            presence.state.dump() + " from user '" + presence.user_id + "'");
    }
  }

  void forget_if_finished(std::size_t id) {
    auto connection = connections_.find(id);
    if (connection == connections_.end()) return;
    // A half-open connection ends once the server has read all it was sent.
    if (!connection->second.client_attached && connection->second.to_server.empty()) {
      connections_.erase(connection);
    }
  }

  NetworkOptions options_;
  WorkspaceReplica workspace_;
  std::vector<Client> clients_;
  std::map<std::size_t, Connection> connections_;
  std::size_t next_connection_ = 0;
  std::vector<PendingWrite> pending_writes_;
  std::vector<Bytes> stored_;
  std::vector<std::string> violations_;
  NetworkStats stats_;
};

}  // namespace trellis::sync::testkit
