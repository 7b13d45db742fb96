#pragma once
// Peer: one connection of a workspace, as the workspace sees it — where its
// frames go. A frame is built once and shared by every peer it fans out to.
// Every method is thread-safe and returns at once: the connection posts the
// work to its own strand and sends from its bounded outbound queue
// (outbound_queue.hpp), which decides what a slow reader gets.

#include <cstdint>
#include <memory>
#include <string>

#include "outbound_queue.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::server {

inline Frame make_frame(crdt::Bytes bytes) {
  return std::make_shared<const crdt::Bytes>(std::move(bytes));
}

class Peer {
 public:
  virtual ~Peer() = default;
  // Welcome, ack, error, joins and leaves: never merged or dropped.
  virtual void send_control(Frame frame) = 0;
  // Another connection's delta: may be merged with others still queued.
  virtual void send_delta(Frame frame) = 0;
  // A user's presence: replaces that user's presence still queued.
  virtual void send_presence(const std::string& user_id, Frame frame) = 0;
  // Sends what is queued, then closes with the close code of `reason`.
  virtual void close(sync::ProtocolError reason) = 0;
};

// A Socket.IO event encoded once as its packet's text
// (adapters::encode_event_text) and shared by every client it goes to.
struct EncodedEvent {
  std::string name;
  std::string text;
};

// A Socket.IO connection, as a workspace sees it: it takes the seed's JSON
// events. Thread-safe like Peer.
class EventPeer {
 public:
  virtual ~EventPeer() = default;
  // One Socket.IO event (`node_change`, `workspace_sync`, ...) for the client.
  virtual void send_event(std::string name, crdt::Json payload) = 0;
  // The same, encoded already.
  virtual void send_encoded(std::shared_ptr<const EncodedEvent> event) = 0;
  // The same, for this client alone: its text is moved to the socket, not
  // copied (a workspace_sync is megabytes).
  virtual void send_encoded_once(EncodedEvent event) = 0;
  // The answer to the client's event that asked for acknowledgement `id`.
  virtual void send_ack(std::uint64_t id, crdt::Json payload) = 0;
  // Another user's presence_update {userId, state}: replaces that user's
  // presence not yet sent (presence is ephemeral; only the latest matters).
  virtual void send_presence(const std::string& user_id, crdt::Json payload) = 0;
};

}  // namespace trellis::server
