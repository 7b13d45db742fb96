#include "trellis/adapters/socketio.hpp"

#include <array>
#include <cstdio>

namespace trellis::adapters {

namespace {

using Json = nlohmann::json;

// Event names socket.io keeps for itself; its parser refuses packets that
// use them, since a handler registered under one would never see them.
constexpr std::array<std::string_view, 6> kReservedEventNames = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};

constexpr std::array<std::string_view, 7> kTypeNames = {
    "CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"};

// Longest ack id in decimal: kMaxSioAckId has 16 digits.
constexpr std::size_t kMaxAckIdDigits = 16;

PacketError malformed(std::string message) {
  return PacketError{PacketErrorCode::malformed, std::move(message)};
}

std::string type_name(SioType type) {
  return std::string(kTypeNames[static_cast<std::size_t>(type)]);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_binary(SioType type) {
  return type == SioType::binary_event || type == SioType::binary_ack;
}

// Deepest nesting of arrays and objects, counted without recursion and
// without parsing, so that hostile nesting costs one linear scan. Brackets
// inside strings do not count; for text that is not JSON the count may be
// off, but then the parser refuses it anyway.
bool nests_deeper_than(std::string_view json, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

PacketResult<Json> parse_payload(std::string_view text, const SioLimits& limits) {
  if (nests_deeper_than(text, limits.max_json_depth)) {
    return malformed("the payload nests arrays and objects deeper than " +
                     std::to_string(limits.max_json_depth) + " levels");
  }
  // nlohmann's lexer takes a NUL byte for the end of input and would accept
  // what follows it unread; raw NUL is valid nowhere in JSON text.
  if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return malformed("the payload is not JSON (a NUL byte at byte " + std::to_string(nul) + ")");
  }
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& error) {
    return malformed("the payload is not JSON (error at byte " + std::to_string(error.byte) + ")");
  } catch (const Json::exception&) {
    // out_of_range: a number too large for a double, such as 1e400.
    return malformed("the payload has a number out of range");
  }
}

bool is_reserved_event_name(std::string_view name) {
  for (const std::string_view reserved : kReservedEventNames) {
    if (name == reserved) return true;
  }
  return false;
}

// The payload shape each type must have (see the header), with what the
// decoder found: `data` is null when the text had no payload.
std::optional<PacketError> check_shape(const SioPacket& packet, bool has_payload) {
  const std::string type = type_name(packet.type);
  const bool may_have_id = packet.type == SioType::event || packet.type == SioType::binary_event;
  const bool needs_id = packet.type == SioType::ack || packet.type == SioType::binary_ack;
  if (packet.id && !may_have_id && !needs_id) return malformed(type + " cannot carry an ack id");
  if (!packet.id && needs_id) return malformed(type + " has no ack id");
  switch (packet.type) {
    case SioType::connect:
      if (has_payload && !packet.data.is_object()) {
        return malformed("a CONNECT payload must be an object");
      }
      break;
    case SioType::disconnect:
      if (has_payload) return malformed("DISCONNECT carries no payload");
      break;
    case SioType::event:
    case SioType::binary_event:
      if (!event_name(packet)) {
        return malformed(type +
                         " payload must be a non-empty array whose first element is a string");
      }
      if (is_reserved_event_name(*event_name(packet))) {
        return malformed(type + " uses an event name reserved by socket.io");
      }
      break;
    case SioType::ack:
    case SioType::binary_ack:
      if (!packet.data.is_array()) return malformed(type + " payload must be an array");
      break;
    case SioType::connect_error:
      if (!packet.data.is_object()) return malformed("a CONNECT_ERROR payload must be an object");
      break;
  }
  return std::nullopt;
}

}  // namespace

std::string encode_sio_packet(const SioPacket& packet) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(packet.type)));
  if (is_binary(packet.type)) {
    out += std::to_string(packet.attachments);
    out += '-';
  }
  if (packet.nsp != "/" && !packet.nsp.empty()) {
    out += packet.nsp;
    out += ',';
  }
  if (packet.id) out += std::to_string(*packet.id);
  if (!packet.data.is_null()) {
    out += packet.data.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return out;
}

std::string encode_event_text(std::string_view name, const nlohmann::json& payload) {
  std::string out = "2[";
  out += nlohmann::json(name).dump(-1, ' ', false, Json::error_handler_t::replace);
  out += ',';
  out += payload.dump(-1, ' ', false, Json::error_handler_t::replace);
  out += ']';
  return out;
}

PacketResult<SioPacket> decode_sio_packet(std::string_view text, const SioLimits& limits) {
  if (text.size() > limits.max_packet_bytes) {
    return PacketError{PacketErrorCode::too_large, "a Socket.IO packet of " +
                                                       std::to_string(text.size()) +
                                                       " bytes is over the limit of " +
                                                       std::to_string(limits.max_packet_bytes)};
  }
  if (text.empty()) return malformed("an empty Socket.IO packet has no type");
  if (text[0] < '0' || text[0] > '6') {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[0]));
    return malformed(std::string("unknown Socket.IO packet type ") + hex);
  }
  SioPacket packet{static_cast<SioType>(text[0] - '0')};
  std::size_t pos = 1;
  const auto digits_at = [&](std::size_t start) {
    std::size_t end = start;
    while (end < text.size() && is_digit(text[end])) {
      ++end;
    }
    return text.substr(start, end - start);
  };

  if (is_binary(packet.type)) {
    const std::string_view count = digits_at(pos);
    if (count.empty() || pos + count.size() >= text.size() || text[pos + count.size()] != '-') {
      return malformed(type_name(packet.type) + " has no attachment count ('<n>-')");
    }
    if (count.size() > 1 && count[0] == '0') {
      return malformed("the attachment count has a leading zero");
    }
    if (count.size() > 3 || std::stoul(std::string(count)) > limits.max_attachments) {
      return PacketError{PacketErrorCode::too_large,
                         "more than " + std::to_string(limits.max_attachments) + " attachments"};
    }
    packet.attachments = std::stoul(std::string(count));
    if (packet.attachments == 0) return malformed("a binary packet announces 0 attachments");
    pos += count.size() + 1;
  }

  if (pos < text.size() && text[pos] == '/') {
    const std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) return malformed("the namespace is not followed by ','");
    const std::string_view nsp = text.substr(pos, comma - pos);
    if (nsp.size() > limits::kMaxSioNamespaceBytes) {
      return PacketError{
          PacketErrorCode::too_large,
          "a namespace is longer than " + std::to_string(limits::kMaxSioNamespaceBytes) + " bytes"};
    }
    if (!is_valid_utf8(nsp)) return malformed("the namespace is not valid UTF-8");
    packet.nsp = std::string(nsp);
    pos = comma + 1;
  }

  if (const std::string_view id = digits_at(pos); !id.empty()) {
    if (id.size() > 1 && id[0] == '0') return malformed("the ack id has a leading zero");
    const std::uint64_t value = id.size() <= kMaxAckIdDigits ? std::stoull(std::string(id)) : 0;
    if (id.size() > kMaxAckIdDigits || value > limits::kMaxSioAckId) {
      return malformed("the ack id is larger than 2^53 - 1");
    }
    packet.id = value;
    pos += id.size();
  }

  const bool has_payload = pos < text.size();
  if (has_payload) {
    auto data = parse_payload(text.substr(pos), limits);
    if (!data) return data.error();
    packet.data = std::move(*data);
  }
  if (auto error = check_shape(packet, has_payload)) return std::move(*error);
  if (is_binary(packet.type) && !limits.allow_binary) {
    return PacketError{PacketErrorCode::unsupported,
                       "binary attachments are not supported (" + type_name(packet.type) +
                           " with " + std::to_string(packet.attachments) + " attachment(s))"};
  }
  return packet;
}

std::optional<std::string_view> event_name(const SioPacket& packet) {
  if (packet.type != SioType::event && packet.type != SioType::binary_event) return std::nullopt;
  if (!packet.data.is_array() || packet.data.empty() || !packet.data.front().is_string()) {
    return std::nullopt;
  }
  return std::string_view(packet.data.front().get_ref<const std::string&>());
}

std::span<const nlohmann::json> event_args(const SioPacket& packet) {
  if (!event_name(packet)) return {};
  const auto& elements = packet.data.get_ref<const Json::array_t&>();
  return std::span<const nlohmann::json>(elements).subspan(1);
}

}  // namespace trellis::adapters
