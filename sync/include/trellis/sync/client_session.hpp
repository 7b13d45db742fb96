#pragma once
// ClientSession: the client side of the sync protocol, as a pure state
// machine around the client's replica and its outbox. Local edits apply to
// the replica at once and wait in the outbox until the server acknowledges
// them as durable; on every (re)connect the session sends `hello` with its
// context, joins the `welcome`'s catch-up delta, and resends the outbox.
// Nothing here does I/O: the native client (client/) persists replica and
// outbox and moves frames over a transport. It must persist an edit (and a
// received delta) before any frame that follows it leaves: a client that
// crashed after sending an edit it had not saved would reuse its dot for
// different content.

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/messages.hpp"

namespace trellis::sync {

enum class ConnectionState { offline, connecting, online };

struct OutboxEntry {
  CausalContext covers;  // the local transaction's dot
  Bytes delta;           // encoded
  friend bool operator==(const OutboxEntry&, const OutboxEntry&) = default;
};

struct ClientConfig {
  std::string workspace_id;
  std::string client_name;
  std::optional<std::string> auth_token;
  std::size_t max_frame_bytes = limits::kMaxFrameBytes;
  // The version `hello` announces. An older one (from
  // kOldestProtocolVersion) speaks to a server that does not speak this
  // build's, and gets no `batch` (tests use it to play an older client).
  std::uint32_t protocol_version = kProtocolVersion;
};

// What a frame from the server did.
struct ClientOutput {
  std::vector<Bytes> to_server;       // frames to send, in order
  bool document_changed = false;      // the replica's view may differ
  std::vector<Presence> presence;     // presence updates of other users
  std::optional<ErrorMessage> error;  // the server reported an error
  bool close = false;                 // the connection is over (error or protocol violation)
};

class ClientSession {
 public:
  // `replica`: the restored replica (its ReplicaId is this client's);
  // `received`: the events whose whole delta the replica has joined (see
  // received()); `outbox`: the restored unacknowledged local edits.
  ClientSession(ClientConfig config, crdt::GraphDoc replica, CausalContext received = {},
                std::vector<OutboxEntry> outbox = {});

  const crdt::GraphDoc& doc() const { return doc_; }
  // The events whose deltas this replica has joined in full. It is what
  // `hello` announces, not the replica's causal context: a removal's delta
  // puts the removed add's dot in the context without that add's fields, and
  // a peer must still send those (docs/protocol.md, "Anti-entropy").
  const CausalContext& received() const { return received_; }
  // The unacknowledged local edits, oldest first. Valid until the next call
  // of a non-const member.
  std::span<const OutboxEntry> outbox() const {
    return std::span<const OutboxEntry>(outbox_).subspan(outbox_head_);
  }
  ConnectionState state() const { return state_; }
  const std::optional<UserIdentity>& user() const { return user_; }

  // Applies a local edit: `edit` runs one mutator on the replica and
  // returns its delta. The delta enters the outbox; when online, the frame
  // to send is returned.
  crdt::Result<std::optional<Bytes>> edit(
      const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit);
  // The commonest edit, a parameter: edit() of set_node_data_value(id, key,
  // to_json(value)), with the same outbox entry and frame, its delta
  // encoded straight from the write (crdt::write_node_data_scalar) instead
  // of built as a GraphDoc and then encoded.
  crdt::Result<std::optional<Bytes>> set_node_data_scalar(std::string_view id, std::string_view key,
                                                          const crdt::FieldScalar& value);

  // The transport connected: the `hello` frame to send first.
  Bytes on_connected();
  // One frame from the server: decodes it and hands it to on_message. A
  // frame that does not decode is a protocol violation (close).
  ClientOutput on_frame(std::span<const std::uint8_t> frame);
  // One decoded message from the server. A `batch` is its messages handled
  // in order, their outputs joined: frames to send and presence in order,
  // `error` the last one reported; handling stops at a message that closes.
  // A host that must act between the messages of a batch (the native
  // client journals each before the next) calls this once per message.
  ClientOutput on_message(const Message& message);
  void on_disconnected();

  // A presence update of this user, to send when online.
  std::optional<Bytes> presence(const Json& state) const;

 private:
  ClientOutput protocol_violation(ProtocolError code, std::string message);
  // Puts a local transaction (its dot, its encoded delta) in the outbox;
  // the frame to send when online.
  std::optional<Bytes> enqueue_local(crdt::Dot dot, Bytes delta);
  void drop_acknowledged(const CausalContext& durable);

  ClientConfig config_;
  crdt::GraphDoc doc_;
  CausalContext received_;
  // outbox() is outbox_ from outbox_head_ on: entries before it are
  // acknowledged, emptied, and erased once they are half of the vector
  // (drop_acknowledged).
  std::vector<OutboxEntry> outbox_;
  std::size_t outbox_head_ = 0;
  ConnectionState state_ = ConnectionState::offline;
  std::optional<UserIdentity> user_;
};

}  // namespace trellis::sync
