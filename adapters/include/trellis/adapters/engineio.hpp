#pragma once
// Engine.IO protocol revision 4, the transport framing under Socket.IO v5, as
// a pure codec: strings and bytes in, packets or a PacketError out. No
// sockets; the server feeds it WebSocket frames and polling request bodies.
//
// Wire format (what socket.io-client v4 sends and expects):
//   text packet     <type digit><data>      "4hello", "2probe", "3", "6"
//                   types: 0 open, 1 close, 2 ping, 3 pong, 4 message,
//                   5 upgrade, 6 noop; data is UTF-8 text
//   binary packet   a WebSocket binary frame is a message whose data is the
//                   frame's bytes, with no type byte (revision 4 dropped it)
//   polling payload packets joined by the record separator U+001E; a binary
//                   message in it is "b" + base64(data):
//                   "4hello" "\x1e" "4€" "\x1e" "bAQIDBA=="
//   handshake       GET /socket.io/?EIO=4&transport=polling[&sid=..][&t=..]
//                   answered by an open packet whose data is
//                   {"sid":"..","upgrades":["websocket"],"pingInterval":25000,
//                    "pingTimeout":20000,"maxPayload":1000000}
//
// Decoding is strict: an empty packet, an unknown type, text that is not
// UTF-8, base64 that is not canonical, an empty segment (a doubled or
// trailing separator) or input over a limit is an error, never a crash.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/result.hpp"

namespace trellis::adapters {

// What went wrong with bytes from the wire. `malformed` and `too_large` mean
// the peer broke the protocol (close it; HTTP 400 / 413 on polling);
// `unsupported` means a valid request for something this server does not do
// (another protocol revision, an unknown transport, binary attachments).
enum class PacketErrorCode {
  malformed,
  too_large,
  unsupported,
};

std::string_view to_string(PacketErrorCode code);

struct PacketError {
  PacketErrorCode code;
  std::string message;

  friend bool operator==(const PacketError&, const PacketError&) = default;
};

template <class T>
using PacketResult = crdt::Result<T, PacketError>;

namespace limits {

// Bytes of one polling body or one WebSocket message, like the reference
// server's maxHttpBufferSize (and announced to clients as maxPayload).
inline constexpr std::size_t kMaxEioPayloadBytes = 1'000'000;
// Packets in one polling body: a browser batches what it queued while a
// POST was in flight, far fewer than this.
inline constexpr std::size_t kMaxEioPacketsPerPayload = 1000;
// Bytes of the handshake query string, and of a session id in it.
inline constexpr std::size_t kMaxHandshakeQueryBytes = 4096;
inline constexpr std::size_t kMaxSessionIdBytes = 64;

}  // namespace limits

struct EioLimits {
  std::size_t max_payload_bytes = limits::kMaxEioPayloadBytes;
  std::size_t max_packets_per_payload = limits::kMaxEioPacketsPerPayload;
};

enum class EioType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

// `binary` is meaningful for message packets only: their data is then raw
// bytes. Packets of the other types are always text.
struct EioPacket {
  EioType type;
  std::string data;
  bool binary = false;

  friend bool operator==(const EioPacket&, const EioPacket&) = default;
};

// One packet for one WebSocket frame: a binary message gives the frame's raw
// bytes (send as a binary frame), anything else "<type><data>" (send as text).
// Text data must be UTF-8; the encoders do not check what the server made.
std::string encode_packet(const EioPacket& packet);
// The same, reusing the packet's text: the type goes in front in place
// (no copy of a large message when its text has a byte of spare capacity,
// as SyncSnapshot::event_text leaves).
std::string encode_packet(EioPacket&& packet);

// A WebSocket text frame, or one segment of a polling payload ("b" + base64
// is a binary message there; the reference parser accepts it in both places).
PacketResult<EioPacket> decode_text_packet(std::string_view text, const EioLimits& limits = {});

// A WebSocket binary frame: a message with these bytes as binary data.
PacketResult<EioPacket> decode_binary_packet(std::span<const std::uint8_t> frame,
                                             const EioLimits& limits = {});

// A polling response body. Fails for an empty list (send a noop instead) and
// for text data holding the separator, which no decoder could split back;
// Socket.IO text never does, because JSON escapes control characters.
PacketResult<std::string> encode_payload(std::span<const EioPacket> packets);

// A polling request body: one or more packets separated by U+001E.
PacketResult<std::vector<EioPacket>> decode_payload(std::string_view body,
                                                    const EioLimits& limits = {});

// The data of the open packet, keys in the reference server's order.
std::string open_packet_json(std::string_view sid, const std::vector<std::string>& upgrades,
                             std::uint64_t ping_interval_ms, std::uint64_t ping_timeout_ms,
                             std::uint64_t max_payload);

// The only revision this codec speaks.
inline constexpr std::string_view kEngineIoVersion = "4";

enum class EioTransport { polling, websocket };

// What the query string of an Engine.IO request says. Other parameters (the
// client's own `query` option, `j`, `b64`) are checked for well-formed
// percent escapes and otherwise ignored.
struct HandshakeQuery {
  std::string eio;  // always kEngineIoVersion once parsed
  EioTransport transport;
  std::optional<std::string> sid;  // absent on the first request of a session
  std::optional<std::string> t;    // the client's cache buster, unused

  friend bool operator==(const HandshakeQuery&, const HandshakeQuery&) = default;
};

// `query` is the part of the target after '?'. Keys and values are
// percent-decoded ('+' is a space, as in forms). Malformed: a bad escape, a
// decoded key or value that is not UTF-8, an empty parameter ("a&&b"), a
// repeated EIO/transport/sid/t, a sid outside [A-Za-z0-9_-]{1,64}, a query
// over kMaxHandshakeQueryBytes. Unsupported: a missing EIO or one other than
// 4, a missing transport or one other than polling/websocket.
PacketResult<HandshakeQuery> parse_handshake_query(std::string_view query);

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF): the check text packets get.
bool is_valid_utf8(std::string_view text);

}  // namespace trellis::adapters
