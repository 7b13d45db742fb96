#pragma once
// NativeClient: one replica of one workspace, kept in a data directory and
// synchronized with trellisd whenever the server can be reached. It is a
// ClientStore (what survives a crash), a sync::ClientSession (the protocol)
// and a Transport, driven by a reconnect loop on the client's own thread.
//
// Guarantees (docs/client.md has the full story):
//  * edit() applies at once to the local replica and returns only once the
//    edit is in the store's fsync'ed journal; the frame carrying it leaves
//    after that (write-ahead). An edit that edit() accepted is never lost and
//    reaches the server on some later connection, after any number of
//    crashes and restarts.
//  * A delta from the server is joined, then journaled before any frame that
//    follows it leaves and before the callbacks hear of it.
//  * Every connection starts with hello/welcome (the server sends what this
//    replica lacks) and resends the outbox (what the server has not
//    acknowledged). Between connections the client waits an exponential
//    backoff with full jitter (backoff_delay).
//
// Threading: everything runs on the client's thread. The public methods may
// be called from any thread; those that touch the replica hop onto the
// client's thread and wait (they run inline when called from a callback).
// Callbacks run on the client's thread: keep them short, and do not call
// stop() or wait_until() from them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "trellis/client/transport.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/client_session.hpp"

namespace trellis::client {

using crdt::Error;
using crdt::Json;
using sync::ConnectionState;

// Waits between connection attempts: exponential, capped, full jitter.
struct ReconnectPolicy {
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds cap{30'000};
};

// The wait before connection attempt number `attempt` (0 for the first
// retry after a failure): uniform in [0, min(cap, base * 2^attempt)], drawn
// from `random_bits` (uniform 64-bit). Pure; the client feeds it a PRNG.
std::chrono::milliseconds backoff_delay(const ReconnectPolicy& policy, std::uint32_t attempt,
                                        std::uint64_t random_bits);

struct ClientOptions {
  std::filesystem::path data_dir;
  std::string workspace_id;
  // ws://host:port[/v1/sync]; empty: never connect (local reads and edits).
  std::string server_url;
  std::string client_name = "trellis";
  std::optional<std::string> auth_token;
  ReconnectPolicy reconnect;
  // Largest frame accepted from the server.
  std::size_t max_frame_bytes = sync::limits::kMaxFrameBytes;
  // The store is compacted (snapshot rewritten, journal emptied) once its
  // journal is past this many bytes.
  std::uint64_t compact_journal_bytes = std::uint64_t{4} << 20;
  // How long stop() waits for a clean close before it abandons the socket.
  std::chrono::milliseconds stop_timeout{2'000};
  // Defaults to make_websocket_transport.
  TransportFactory transport;
  // A new data directory's replica id; defaults to random_replica_id()
  // (data_dir.hpp).
  std::optional<crdt::ReplicaId> new_replica;
};

// What went wrong, as the client reports it.
struct ClientError {
  enum class Source { server, transport, store };
  Source source = Source::server;
  std::optional<sync::ProtocolError> code;  // a server (or protocol) error's code
  std::string message;
};

std::string to_string(const ClientError& error);

// Another user of the workspace, as the server describes them.
struct PeerPresence {
  sync::UserIdentity user;
  Json state;  // that user's latest own presence (null before the first)

  friend bool operator==(const PeerPresence&, const PeerPresence&) = default;
};

enum class PresenceChange { joined, updated, left };

struct PresenceEvent {
  PresenceChange change = PresenceChange::joined;
  std::string user_id;
  PeerPresence peer;  // empty for `left`
};

// A consistent picture of the client, for wait_until and for display.
struct ClientStatus {
  ConnectionState state = ConnectionState::offline;
  std::size_t outbox_size = 0;             // local edits the server has not acknowledged
  std::uint64_t remote_changes = 0;        // frames from the server that changed the document
  std::optional<sync::UserIdentity> user;  // who the server says we are (after a welcome)
  // Set when the client stopped retrying: the server refused it for good
  // (unauthorized, unsupported_version) or the store failed.
  std::optional<ClientError> halted;
  bool stopped = false;  // stop() ran

  bool synced() const { return state == ConnectionState::online && outbox_size == 0; }
};

struct ClientCallbacks {
  std::function<void(ConnectionState)> state_changed;
  // The server's data changed the document (catch-up or a delta).
  std::function<void()> document_changed;
  std::function<void(const PresenceEvent&)> presence_changed;
  // Errors that do not stop the client (a refused delta, a dropped
  // connection) and the one that halts it.
  std::function<void(const ClientError&)> error;
};

class NativeClient {
 public:
  using EditFunction = std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>;

  // Opens (or creates) the data directory and starts the client's thread,
  // offline. Fails when the directory cannot be opened, belongs to another
  // workspace or is in use by another process.
  static crdt::Result<std::unique_ptr<NativeClient>> open(ClientOptions options,
                                                          ClientCallbacks callbacks = {});

  ~NativeClient();
  NativeClient(const NativeClient&) = delete;
  NativeClient& operator=(const NativeClient&) = delete;

  // Starts the connect / reconnect loop (a no-op without a server URL).
  void connect();

  // One local edit: `edit` runs one GraphDoc mutator and returns its delta.
  // Returns the mutator's error (nothing changed) or a store error (the
  // client halts: it cannot keep its promise any more); nullopt once the
  // edit is applied and durable.
  std::optional<Error> edit(const EditFunction& edit);

  // This user's presence (cursor, selection...): sent now when online, and
  // again after every reconnect. Limited to sync::limits::kMaxClientPresenceBytes.
  std::optional<Error> set_presence(const Json& state);

  // The view React Flow renders ({"nodes": [...], "edges": [...]}).
  Json view() const;
  // Runs `read` on the replica, on the client's thread.
  void read(const std::function<void(const crdt::GraphDoc&)>& read) const;
  // The other users currently connected, by user id.
  std::map<std::string, PeerPresence> peers() const;

  ClientStatus status() const;
  // Blocks until `predicate(status())` holds or `timeout` passes; returns
  // whether it held. Re-evaluated on every status change.
  bool wait_until(const std::function<bool(const ClientStatus&)>& predicate,
                  std::chrono::milliseconds timeout) const;
  // Online with an empty outbox (false as soon as the client halts).
  bool wait_until_synced(std::chrono::milliseconds timeout) const;

  // Closes the connection cleanly (bounded by stop_timeout), stops the
  // thread. Everything edit() accepted is already durable. Idempotent.
  void stop();

  class Impl;

 private:
  explicit NativeClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trellis::client
