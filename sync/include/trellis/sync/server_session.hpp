#pragma once
// ServerSession: the server side of one sync connection, as a pure state
// machine. The host feeds it frames and carries out what it returns: frames
// for this peer, a frame to fan out to the workspace's other connections,
// deltas to make durable, and whether to close. The host owns the
// WorkspaceReplica (one per workspace, touched by one strand) and tells the
// session when storage has made a delta durable, which the session turns
// into an `ack`.
//
//   awaiting_hello --hello ok--> (host: accept or refuse) --> established
//   any state --protocol violation--> closed (after an `error` frame)

#include <optional>
#include <string>
#include <vector>

#include "trellis/sync/messages.hpp"
#include "trellis/sync/workspace_replica.hpp"

namespace trellis::sync {

struct DurableWrite {
  Bytes delta;           // encoded, as received
  CausalContext covers;  // acknowledge these once durable
};

struct ServerOutput {
  std::vector<Bytes> to_peer;      // frames for this connection, in order
  std::optional<Bytes> broadcast;  // one frame for every other connection of the workspace
  // A presence frame of this peer's user for every other connection. Unlike
  // `broadcast` it may be coalesced: a newer one of the same user replaces
  // one not yet sent (presence is ephemeral; only the latest matters).
  std::optional<Bytes> presence;
  std::optional<DurableWrite> persist;  // hand to storage; call on_durable when done
  std::optional<Hello> hello;           // a valid hello: the host must accept() or refuse()
  bool close = false;                   // close the connection after sending to_peer
  std::optional<ProtocolError> error;   // to_peer carries an `error` with this code
};

// The presence state the server sends about a connected user: who it is and
// that user's latest own presence state (null before the first one):
//   {"user": {"id", "username", "color"}, "state": <client state or null>}
// A user who left is announced with a null state instead (user_left_frame).
Json presence_state_of(const UserIdentity& user, Json client_state);
Bytes user_presence_frame(const UserIdentity& user, Json client_state);
Bytes user_left_frame(const std::string& user_id);

class ServerSession {
 public:
  enum class State { awaiting_hello, awaiting_accept, established, closed };

  explicit ServerSession(std::size_t max_frame_bytes = limits::kMaxFrameBytes)
      : max_frame_bytes_(max_frame_bytes) {}

  State state() const { return state_; }
  ReplicaId peer_replica() const { return peer_; }
  const UserIdentity& user() const { return user_; }

  // One frame from the peer.
  ServerOutput on_frame(std::span<const std::uint8_t> frame, WorkspaceReplica* workspace);

  // The host accepts the hello it was given: the session answers `welcome`
  // with what the peer lacks.
  ServerOutput accept(const WorkspaceReplica& workspace, UserIdentity user);
  // The host refuses it (unauthorized, workspace_unavailable, server_busy).
  ServerOutput refuse(ProtocolError code, std::string message);

  // Storage made `covers` durable: the `ack` frame for the peer.
  ServerOutput on_durable(const CausalContext& covers);

 private:
  ServerOutput fail(ProtocolError code, std::string message, bool keeps_open);

  std::size_t max_frame_bytes_;
  State state_ = State::awaiting_hello;
  ReplicaId peer_;
  CausalContext peer_known_;  // the peer's context from hello
  UserIdentity user_;
};

}  // namespace trellis::sync
