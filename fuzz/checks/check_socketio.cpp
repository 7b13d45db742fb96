// Socket.IO packets: what decode_sio_packet accepts re-encodes to text that
// decodes to the same packet, and the encoding is stable. Each input is
// decoded with the server's limits and with binary packets allowed (the
// attachment header then parses too).

#include <string>

#include "checks.hpp"
#include "invariant.hpp"
#include "trellis/adapters/socketio.hpp"

namespace trellis::fuzz {
namespace {

void check_packet(std::string_view text, const adapters::SioLimits& limits) {
  auto packet = adapters::decode_sio_packet(text, limits);
  if (!packet.ok()) {
    require(!packet.error().message.empty(), "decode_sio_packet refused with an empty message");
    return;
  }
  const std::string encoded = adapters::encode_sio_packet(*packet);
  auto again = adapters::decode_sio_packet(encoded, limits);
  require(again.ok(), "encode_sio_packet(p) does not decode: " +
                          (again.ok() ? std::string() : again.error().message));
  require(*again == *packet, "decode_sio_packet(encode_sio_packet(p)) != p");
  require(adapters::encode_sio_packet(*again) == encoded, "encode_sio_packet is not stable");

  const bool is_event =
      packet->type == adapters::SioType::event || packet->type == adapters::SioType::binary_event;
  const auto name = adapters::event_name(*packet);
  require(name.has_value() == is_event, "event_name disagrees with the packet type");
  if (name) {
    require(adapters::event_args(*packet).size() + 1 == packet->data.size(),
            "event_args is not the payload after the name");
  }
}

}  // namespace

Violation check_socketio(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_packet(text, adapters::SioLimits{});
    adapters::SioLimits binary_allowed;
    binary_allowed.allow_binary = true;
    check_packet(text, binary_allowed);
  });
}

}  // namespace trellis::fuzz
