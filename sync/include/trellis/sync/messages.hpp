#pragma once
// The messages of the Trellis sync protocol, as values. One message travels
// in one binary WebSocket frame, encoded by message_codec.hpp. The handshake
// in two sentences: the client opens with `hello` (its protocol version,
// workspace, replica id and causal context); the server answers `welcome`
// with the delta the client lacks and its own context, after which the
// client sends the local edits the server lacks. From then on both sides
// stream `delta`s, the server `ack`s what it has made durable, and
// `presence` carries ephemeral per-user state. A server may put several
// messages for one client into one `batch` frame (protocol version 2).

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/replica_id.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::sync {

using crdt::Bytes;
using crdt::CausalContext;
using crdt::Json;
using crdt::ReplicaId;

// client -> server, first message of every connection.
struct Hello {
  std::uint32_t protocol_version = kProtocolVersion;
  std::string workspace_id;
  ReplicaId replica;
  std::optional<std::string> auth_token;
  CausalContext context;  // every event the client's replica has seen
  std::string client_name;

  friend bool operator==(const Hello&, const Hello&) = default;
};

// The identity the server gives a connection's user (as in the seed:
// id "user_…", display name, "#RRGGBB" color).
struct UserIdentity {
  std::string id;
  std::string name;
  std::string color;

  friend bool operator==(const UserIdentity&, const UserIdentity&) = default;
};

// server -> client, the answer to hello.
struct Welcome {
  ReplicaId server_replica;
  UserIdentity user;
  Bytes catch_up;         // an encoded GraphDoc delta: what the client lacks
  CausalContext context;  // every event the server has seen

  friend bool operator==(const Welcome&, const Welcome&) = default;
};

// Either direction: a delta group, and the transaction dots it covers (the
// sender's own events for a client, any events for the server).
struct DeltaMessage {
  Bytes delta;  // an encoded GraphDoc delta
  CausalContext covers;

  friend bool operator==(const DeltaMessage&, const DeltaMessage&) = default;
};

// server -> client: these events of the client are durable on the server;
// the client may drop them from its outbox.
struct Ack {
  CausalContext durable;

  friend bool operator==(const Ack&, const Ack&) = default;
};

// Either direction: ephemeral state of one user (cursor, selection,
// viewport...). From a client the user id is ignored (the server knows who
// sent it); from the server a null state means the user left. Never stored.
struct Presence {
  std::string user_id;
  Json state;

  friend bool operator==(const Presence&, const Presence&) = default;
};

struct ErrorMessage {
  ProtocolError code = ProtocolError::internal_error;
  std::string message;
  bool keeps_open = false;  // false: the sender closes the connection after it

  friend bool operator==(const ErrorMessage&, const ErrorMessage&) = default;
};

struct Batch;

using Message = std::variant<Hello, Welcome, DeltaMessage, Ack, Presence, ErrorMessage, Batch>;

// server -> client (protocol version 2 and later): several messages in one
// frame, to be handled in order exactly as if each had come in a frame of
// its own. It saves the server a socket write per message when messages
// queue up for a connection. A batch holds at least one message and never
// a batch; it is sent only to a client whose hello announced a version
// that reads batches (reads_batches).
struct Batch {
  std::vector<Message> messages;

  friend bool operator==(const Batch&, const Batch&) = default;
};

}  // namespace trellis::sync
