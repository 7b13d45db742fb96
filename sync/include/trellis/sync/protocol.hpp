#pragma once
// Constants of the Trellis sync protocol (docs/protocol.md): its version,
// its error codes, and the limits every peer enforces. Each limit is enforced
// in one place, the message decoder (message_codec.cpp), except where noted.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trellis::sync {

// The protocol version this build speaks; carried by `hello`. Version 2 is
// version 1 plus the server's `batch` message: a client announcing 2 reads
// batches, and a server sends them to no client that announced 1.
inline constexpr std::uint32_t kProtocolVersion = 2;
// The oldest version a server still speaks: it answers a `hello` of any
// version from kOldestProtocolVersion to kProtocolVersion.
inline constexpr std::uint32_t kOldestProtocolVersion = 1;
// The first version whose clients read `batch` messages.
inline constexpr std::uint32_t kBatchProtocolVersion = 2;

// True when a client that announced `version` in hello reads `batch`.
constexpr bool reads_batches(std::uint32_t version) {
  return version >= kBatchProtocolVersion;
}

// Codes of the `error` message. The numbers are part of the protocol.
enum class ProtocolError : std::uint16_t {
  unsupported_version = 1,    // hello's version is not spoken here; connection closes
  malformed_message = 2,      // a frame is not a valid message; connection closes
  unexpected_message = 3,     // a valid message at the wrong time (delta before hello, ...)
  message_too_large = 4,      // a frame or one of its parts is past a limit; connection closes
  invalid_delta = 5,          // a delta that does not decode or violates the rules; stays open
  unauthorized = 6,           // the auth hook refused hello; connection closes
  workspace_unavailable = 7,  // workspace id invalid or the server cannot load it
  server_busy = 8,            // too many connections or workspaces; try again later
  slow_consumer = 9,          // the peer fell too far behind; reconnect and resync
  internal_error = 10,
};

std::string_view to_string(ProtocolError code);

namespace limits {

// Bytes of one frame (one message). Default of trellisd's --max-frame-bytes.
inline constexpr std::size_t kMaxFrameBytes = 16u << 20;
// Bytes of a workspace id, of a client name, of an auth token.
inline constexpr std::size_t kMaxWorkspaceIdBytes = 128;
inline constexpr std::size_t kMaxClientNameBytes = 256;
inline constexpr std::size_t kMaxAuthTokenBytes = 4096;
// Bytes of a user id, name or color in `welcome` and `presence`.
inline constexpr std::size_t kMaxUserFieldBytes = 256;
// Bytes of one presence state once encoded (cursor, selection, viewport).
inline constexpr std::size_t kMaxPresenceBytes = 16u << 10;
// Bytes of a client's own presence state: the server wraps it with the
// user's identity (presence_state_of), and the wrapped state must still fit
// kMaxPresenceBytes (three user fields of at most 256 bytes plus keys).
inline constexpr std::size_t kMaxClientPresenceBytes = kMaxPresenceBytes - 1024;
// Bytes of an error message text.
inline constexpr std::size_t kMaxErrorTextBytes = 1024;
// Entries (replicas plus cloud dots) of one causal context in a message.
inline constexpr std::size_t kMaxContextEntries = 1u << 16;
// Messages in one `batch`. The frame limit bounds a batch's bytes; this
// bounds the per-message work a small frame can ask for (an empty `bin`
// takes two bytes, but is malformed as a message anyway).
inline constexpr std::size_t kMaxBatchMessages = 1u << 16;

}  // namespace limits

}  // namespace trellis::sync
