// Every input goes through each Engine.IO decoder: as a text packet, a
// binary frame, a polling payload and a handshake query. What decodes must
// encode back to something that decodes to the same packets.

#include <string>
#include <vector>

#include "checks.hpp"
#include "invariant.hpp"
#include "trellis/adapters/engineio.hpp"

namespace trellis::fuzz {
namespace {

bool is_sid_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// encode_packet gives a binary frame for a binary message, else a text frame.
adapters::PacketResult<adapters::EioPacket> decode_frame(const adapters::EioPacket& packet) {
  const std::string frame = adapters::encode_packet(packet);
  if (packet.binary) {
    return adapters::decode_binary_packet(
        {reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()});
  }
  return adapters::decode_text_packet(frame);
}

void check_text_packet(std::string_view text) {
  auto packet = adapters::decode_text_packet(text);
  if (!packet.ok()) return;
  require(packet->binary || adapters::is_valid_utf8(packet->data),
          "a decoded text packet holds text that is not UTF-8");
  require(!packet->binary || packet->type == adapters::EioType::message,
          "a binary packet that is not a message");
  auto again = decode_frame(*packet);
  require(again.ok() && *again == *packet, "a text packet does not survive encode/decode");
}

void check_binary_frame(std::span<const std::uint8_t> frame) {
  auto packet = adapters::decode_binary_packet(frame);
  if (!packet.ok()) return;
  require(packet->binary && packet->type == adapters::EioType::message,
          "a binary frame decodes to something other than a binary message");
  require(adapters::encode_packet(*packet) == std::string(frame.begin(), frame.end()),
          "a binary frame does not encode back to its bytes");
}

void check_payload(std::string_view body) {
  auto packets = adapters::decode_payload(body);
  if (!packets.ok()) return;
  require(!packets->empty() && packets->size() <= adapters::limits::kMaxEioPacketsPerPayload,
          "a decoded payload has no packet or too many");
  auto encoded = adapters::encode_payload(*packets);
  require(encoded.ok(), "a decoded payload does not encode");
  auto again = adapters::decode_payload(*encoded);
  require(again.ok() && *again == *packets, "a payload does not survive encode/decode");
}

void check_query(std::string_view query) {
  auto parsed = adapters::parse_handshake_query(query);
  if (!parsed.ok()) return;
  require(parsed->eio == adapters::kEngineIoVersion, "a parsed query names another EIO revision");
  if (parsed->sid) {
    require(!parsed->sid->empty() && parsed->sid->size() <= adapters::limits::kMaxSessionIdBytes,
            "a parsed sid has the wrong length");
    for (char c : *parsed->sid)
      require(is_sid_character(c), "a parsed sid holds a character outside [A-Za-z0-9_-]");
  }
}

}  // namespace

Violation check_engineio(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_text_packet(text);
    check_binary_frame({data, size});
    check_payload(text);
    check_query(text);
  });
}

}  // namespace trellis::fuzz
