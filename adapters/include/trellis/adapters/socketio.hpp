#pragma once
// Socket.IO protocol revision 5 (socket.io 3.x and 4.x, default parser) as a
// pure codec. One Socket.IO packet is the text of one Engine.IO message
// packet, so on the wire it carries Engine.IO's "4" in front: 42["foo"].
//
// Wire format:  <type>[<attachments>-][<nsp>,][<id>][<json payload>]
//   type         0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR,
//                5 BINARY_EVENT, 6 BINARY_ACK
//   attachments  binary types only: how many binary Engine.IO messages follow
//   nsp          written only when it is not "/"; always ends with ','
//   id           the ack id, decimal; the ACK answering it repeats it
// Examples:
//   0                                 client joins "/"
//   0{"sid":"wZX3oN0bSVIhsaknAAAI"}   server accepts, with the socket id
//   0/admin,{"token":"123"}           client joins "/admin" with auth data
//   4/admin,{"message":"Invalid namespace"}   server refuses (44/admin,... on the wire)
//   2["hello",1]  2/admin,["bye"]  212["foo"]  (an event asking for ack 12)
//   312["bar"]                        the ack answering 12
//   1/admin,                          leave "/admin"
//   51-["baz",<reference to attachment 0>]  + one binary message
//
// Payload shape per type, checked by the decoder (the receiver must close
// the connection otherwise): CONNECT an optional object; DISCONNECT none;
// EVENT a non-empty array whose first element is the event name, a string
// that is not one of the names socket.io reserves (connect, connect_error,
// disconnect, disconnecting, newListener, removeListener); ACK an array;
// CONNECT_ERROR an object. Only EVENT and BINARY_EVENT may carry an id;
// ACK and BINARY_ACK must. The binary types announce 1 or more attachments.
// Unlike the reference parser, an event name must be a string (the
// reference also accepts a number; socket.io-client never sends one) and
// a namespace or an id must be written canonically (",", no leading zero).
//
// Binary attachments are not supported: trellis events are JSON, and
// socket.io-client only uses the binary types when an argument holds an
// ArrayBuffer or Blob. By default the decoder parses a BINARY_EVENT or
// BINARY_ACK whole, attachment count included (so a malformed one is still
// reported as malformed), and then refuses it as `unsupported` with "binary
// attachments are not supported"; the caller closes the connection, as the
// reference server does on a packet it cannot decode. SioLimits::allow_binary lets a caller
// (the tests) see such packets whole; their attachments are not reassembled.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "trellis/adapters/engineio.hpp"

namespace trellis::adapters {

namespace limits {

// Nesting of arrays and objects in a payload: socket.io events carry graph
// edits a few levels deep; 10,000 nested arrays must not reach the parser.
inline constexpr std::size_t kMaxSioJsonDepth = 32;
// Bytes of a namespace name, "/" included.
inline constexpr std::size_t kMaxSioNamespaceBytes = 256;
// Attachments announced by a binary packet (only parsed, see above).
inline constexpr std::size_t kMaxSioAttachments = 16;
// Largest ack id: JavaScript numbers are exact up to 2^53 - 1.
inline constexpr std::uint64_t kMaxSioAckId = (std::uint64_t{1} << 53) - 1;

}  // namespace limits

struct SioLimits {
  // One packet is one Engine.IO message, so the same bound applies.
  std::size_t max_packet_bytes = limits::kMaxEioPayloadBytes;
  std::size_t max_json_depth = limits::kMaxSioJsonDepth;
  std::size_t max_attachments = limits::kMaxSioAttachments;
  bool allow_binary = false;
};

enum class SioType : std::uint8_t {
  connect = 0,
  disconnect = 1,
  event = 2,
  ack = 3,
  connect_error = 4,
  binary_event = 5,
  binary_ack = 6,
};

// `data` null means "no payload". `attachments` is written for the binary
// types only.
struct SioPacket {
  SioType type;
  std::string nsp = "/";
  std::optional<std::uint64_t> id = std::nullopt;
  nlohmann::json data = nullptr;
  std::size_t attachments = 0;

  friend bool operator==(const SioPacket&, const SioPacket&) = default;
};

// What a socket.io v4 server writes for the packet. The caller keeps to the
// shapes above: nsp starts with '/', id <= kMaxSioAckId. Strings that are not
// UTF-8 are written with U+FFFD in their place, never thrown about.
std::string encode_sio_packet(const SioPacket& packet);

PacketResult<SioPacket> decode_sio_packet(std::string_view text, const SioLimits& limits = {});

// EVENT on "/" with data [name, args...]; set nsp or id on the result.
template <class... Args>
SioPacket make_event(std::string name, Args&&... args) {
  SioPacket packet{SioType::event};
  packet.data = nlohmann::json::array();
  packet.data.push_back(std::move(name));
  (packet.data.push_back(nlohmann::json(std::forward<Args>(args))), ...);
  return packet;
}

// encode_sio_packet(make_event(name, payload)) without copying the payload
// into a packet: what a server sends, the same text for every receiver.
std::string encode_event_text(std::string_view name, const nlohmann::json& payload);

// The event name of an EVENT or BINARY_EVENT packet of the decoder's shape
// (a view into packet.data), nothing otherwise.
std::optional<std::string_view> event_name(const SioPacket& packet);

// The arguments after the name (a view into packet.data); empty for a packet
// that event_name gives no name for.
std::span<const nlohmann::json> event_args(const SioPacket& packet);

}  // namespace trellis::adapters
