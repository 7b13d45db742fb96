#include "trellis/adapters/engineio.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

// crdt's UTF-8 check (crdt/src/entity_validation.cpp), which validates the
// strings of every JSON value the CRDT stores. It is not in crdt's public
// headers yet; it is declared here rather than written a second time.
namespace trellis::crdt {
bool is_valid_utf8(std::string_view text);
}

namespace trellis::adapters {

namespace {

constexpr char kRecordSeparator = '\x1e';
constexpr char kBinaryMarker = 'b';
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

PacketError malformed(std::string message) {
  return PacketError{PacketErrorCode::malformed, std::move(message)};
}

PacketError too_large(std::string message) {
  return PacketError{PacketErrorCode::too_large, std::move(message)};
}

PacketError unsupported(std::string message) {
  return PacketError{PacketErrorCode::unsupported, std::move(message)};
}

std::string byte_hex(char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(byte));
  return text;
}

bool is_packet_type(char c) {
  return c >= '0' && c <= '6';
}

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                                (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                                static_cast<std::uint8_t>(bytes[i + 2]);
    out += kBase64Alphabet[(group >> 18) & 63];
    out += kBase64Alphabet[(group >> 12) & 63];
    out += kBase64Alphabet[(group >> 6) & 63];
    out += kBase64Alphabet[group & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (rest == 2) group |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    out += kBase64Alphabet[(group >> 18) & 63];
    out += kBase64Alphabet[(group >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

constexpr std::array<std::int8_t, 256> base64_values() {
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i) {
    values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return values;
}

// Canonical padded base64 only (what browsers' encoders produce): a length
// that is a multiple of four, '=' only as the last one or two characters,
// and zero bits where the padding leaves some unused.
PacketResult<std::string> decode_base64(std::string_view text) {
  static constexpr auto kValues = base64_values();
  if (text.size() % 4 != 0) {
    return malformed("base64 data has a length that is not a multiple of 4");
  }
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  const std::size_t digits = text.size() - padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    const std::int8_t value = kValues[static_cast<unsigned char>(text[i])];
    if (value < 0) {
      return malformed("base64 data has the character " + byte_hex(text[i]) + " at offset " +
                       std::to_string(i));
    }
    group = (group << 6) | static_cast<std::uint32_t>(value);
    if (i % 4 == 3) {
      out += static_cast<char>(group >> 16);
      out += static_cast<char>((group >> 8) & 0xFF);
      out += static_cast<char>(group & 0xFF);
      group = 0;
    }
  }
  if (padding == 2) {
    if ((group & 0x0F) != 0) return malformed("base64 data has non-zero padding bits");
    out += static_cast<char>(group >> 4);
  } else if (padding == 1) {
    if ((group & 0x03) != 0) return malformed("base64 data has non-zero padding bits");
    out += static_cast<char>(group >> 10);
    out += static_cast<char>((group >> 2) & 0xFF);
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding, as Node's querystring does it
// for the reference server, except that a bad escape is an error.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (text.size() - i < 3) return std::nullopt;
      const int high = hex_digit(text[i + 1]);
      const int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return out;
}

bool is_session_id(std::string_view sid) {
  if (sid.empty() || sid.size() > limits::kMaxSessionIdBytes) return false;
  for (const char c : sid) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

PacketError in_packet(std::size_t index, PacketError error) {
  error.message = "packet " + std::to_string(index) + " of the payload: " + error.message;
  return error;
}

}  // namespace

std::string_view to_string(PacketErrorCode code) {
  switch (code) {
    case PacketErrorCode::malformed:
      return "malformed";
    case PacketErrorCode::too_large:
      return "too_large";
    case PacketErrorCode::unsupported:
      return "unsupported";
  }
  return "unknown";
}

bool is_valid_utf8(std::string_view text) {
  return crdt::is_valid_utf8(text);
}

std::string encode_packet(const EioPacket& packet) {
  if (packet.binary && packet.type == EioType::message) return packet.data;
  std::string out;
  out.reserve(packet.data.size() + 1);
  out += static_cast<char>(packet.type);
  out += packet.data;
  return out;
}

std::string encode_packet(EioPacket&& packet) {
  if (packet.binary && packet.type == EioType::message) return std::move(packet.data);
  packet.data.insert(packet.data.begin(), static_cast<char>(packet.type));
  return std::move(packet.data);
}

PacketResult<EioPacket> decode_text_packet(std::string_view text, const EioLimits& limits) {
  if (text.size() > limits.max_payload_bytes) {
    return too_large("a packet of " + std::to_string(text.size()) + " bytes is over the limit of " +
                     std::to_string(limits.max_payload_bytes));
  }
  if (text.empty()) return malformed("an empty packet has no type");
  const char type = text.front();
  const std::string_view data = text.substr(1);
  if (type == kBinaryMarker) {
    auto bytes = decode_base64(data);
    if (!bytes) return bytes.error();
    return EioPacket{EioType::message, std::move(*bytes), true};
  }
  if (!is_packet_type(type)) return malformed("unknown packet type " + byte_hex(type));
  if (!is_valid_utf8(data)) return malformed("a text packet is not valid UTF-8");
  return EioPacket{static_cast<EioType>(type), std::string(data), false};
}

PacketResult<EioPacket> decode_binary_packet(std::span<const std::uint8_t> frame,
                                             const EioLimits& limits) {
  if (frame.size() > limits.max_payload_bytes) {
    return too_large("a binary packet of " + std::to_string(frame.size()) +
                     " bytes is over the limit of " + std::to_string(limits.max_payload_bytes));
  }
  return EioPacket{EioType::message,
                   std::string(reinterpret_cast<const char*>(frame.data()), frame.size()), true};
}

PacketResult<std::string> encode_payload(std::span<const EioPacket> packets) {
  if (packets.empty()) return malformed("a payload holds at least one packet");
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const EioPacket& packet = packets[i];
    if (i > 0) out += kRecordSeparator;
    if (packet.binary && packet.type == EioType::message) {
      out += kBinaryMarker;
      out += encode_base64(packet.data);
      continue;
    }
    if (packet.data.find(kRecordSeparator) != std::string::npos) {
      return in_packet(i, malformed("text data holds the record separator U+001E"));
    }
    out += static_cast<char>(packet.type);
    out += packet.data;
  }
  return out;
}

PacketResult<std::vector<EioPacket>> decode_payload(std::string_view body,
                                                    const EioLimits& limits) {
  if (body.size() > limits.max_payload_bytes) {
    return too_large("a payload of " + std::to_string(body.size()) +
                     " bytes is over the limit of " + std::to_string(limits.max_payload_bytes));
  }
  if (body.empty()) return malformed("an empty payload holds no packet");
  std::vector<EioPacket> packets;
  std::size_t start = 0;
  for (std::size_t index = 0;; ++index) {
    if (index == limits.max_packets_per_payload) {
      return too_large("a payload holds more than " +
                       std::to_string(limits.max_packets_per_payload) + " packets");
    }
    const std::size_t end = body.find(kRecordSeparator, start);
    const std::string_view segment =
        body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty()) {
      return in_packet(index, malformed("empty (a leading, doubled or trailing separator)"));
    }
    auto packet = decode_text_packet(segment, limits);
    if (!packet) return in_packet(index, packet.error());
    packets.push_back(std::move(*packet));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

std::string open_packet_json(std::string_view sid, const std::vector<std::string>& upgrades,
                             std::uint64_t ping_interval_ms, std::uint64_t ping_timeout_ms,
                             std::uint64_t max_payload) {
  nlohmann::ordered_json handshake;
  handshake["sid"] = sid;
  handshake["upgrades"] = upgrades;
  handshake["pingInterval"] = ping_interval_ms;
  handshake["pingTimeout"] = ping_timeout_ms;
  handshake["maxPayload"] = max_payload;
  return handshake.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

PacketResult<HandshakeQuery> parse_handshake_query(std::string_view query) {
  if (query.size() > limits::kMaxHandshakeQueryBytes) {
    return too_large("a query string of " + std::to_string(query.size()) +
                     " bytes is over the limit of " +
                     std::to_string(limits::kMaxHandshakeQueryBytes));
  }
  std::optional<std::string> eio, transport, sid, t;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view parameter = query.substr(start, end - start);
    start = end + 1;
    if (parameter.empty()) return malformed("the query string has an empty parameter");
    const std::size_t equals = parameter.find('=');
    auto key = percent_decode(parameter.substr(0, equals));
    auto value = percent_decode(equals == std::string_view::npos ? std::string_view{}
                                                                 : parameter.substr(equals + 1));
    if (!key || !value) return malformed("the query string has a malformed percent escape");
    if (key->empty()) return malformed("the query string has a parameter without a name");
    if (!is_valid_utf8(*key) || !is_valid_utf8(*value)) {
      return malformed("the query string decodes to text that is not UTF-8");
    }
    std::optional<std::string>* slot = *key == "EIO"         ? &eio
                                       : *key == "transport" ? &transport
                                       : *key == "sid"       ? &sid
                                       : *key == "t"         ? &t
                                                             : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) return malformed("the query string repeats '" + *key + "'");
    *slot = std::move(*value);
  }
  if (!eio) return unsupported("the query string has no EIO (this server speaks Engine.IO 4)");
  if (*eio != kEngineIoVersion) {
    const bool printable = eio->size() <= 8 && std::all_of(eio->begin(), eio->end(), [](char c) {
                             return c >= '0' && c <= '9';
                           });
    return unsupported("Engine.IO protocol version " +
                       (printable ? *eio : std::string("(not a number)")) +
                       " is not supported (this server speaks 4)");
  }
  if (!transport) return unsupported("the query string names no transport");
  HandshakeQuery parsed{*eio, EioTransport::polling, std::nullopt, std::move(t)};
  if (*transport == "websocket") {
    parsed.transport = EioTransport::websocket;
  } else if (*transport != "polling") {
    return unsupported("unknown transport (polling and websocket are supported)");
  }
  if (sid) {
    if (!is_session_id(*sid)) return malformed("the sid is not 1 to 64 of [A-Za-z0-9_-]");
    parsed.sid = std::move(sid);
  }
  return parsed;
}

}  // namespace trellis::adapters
