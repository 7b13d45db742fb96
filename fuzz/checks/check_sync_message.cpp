#include <string>
#include <variant>

#include "checks.hpp"
#include "crdt_state_checks.hpp"
#include "invariant.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::fuzz {
namespace {

// A decoded message re-encodes to bytes that decode to it, and encoding is
// stable from then on (the input itself may use longer msgpack forms).
void require_message_round_trip(const sync::Message& message) {
  const sync::Bytes bytes = sync::encode_message(message);
  auto again = sync::decode_message(bytes);
  require(again.ok(), "encode_message(m) does not decode: " +
                          (again.ok() ? std::string() : again.error().message));
  require(*again == message, "decode_message(encode_message(m)) != m");
  require(sync::encode_message(*again) == bytes, "encode_message is not stable");
}

void check_context_bytes(std::span<const std::uint8_t> bytes) {
  auto context = sync::decode_context(bytes);
  if (!context.ok()) return;
  const sync::Bytes encoded = sync::encode_context(*context);
  auto again = sync::decode_context(encoded);
  require(again.ok() && *again == *context, "decode_context(encode_context(c)) != c");
}

// The CRDT payloads stay encoded in the message; check them as the receiver
// will decode them.
void check_payloads(const sync::Message& message) {
  if (const auto* delta = std::get_if<sync::DeltaMessage>(&message)) {
    check_encoded_state(delta->delta);
  } else if (const auto* welcome = std::get_if<sync::Welcome>(&message)) {
    check_encoded_state(welcome->catch_up);
  }
}

}  // namespace

Violation check_sync_message(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    const std::span<const std::uint8_t> frame(data, size);
    check_context_bytes(frame);
    auto message = sync::decode_message(frame);
    if (!message.ok()) {
      require(!message.error().message.empty(), "decode_message refused with an empty message");
      return;
    }
    require_message_round_trip(*message);
    if (const auto* batch = std::get_if<sync::Batch>(&*message)) {
      require(!batch->messages.empty(), "a batch decoded with no message");
      for (const sync::Message& inner : batch->messages) {
        require(!std::holds_alternative<sync::Batch>(inner), "a batch decoded inside a batch");
        check_payloads(inner);
      }
    } else {
      check_payloads(*message);
    }
  });
}

}  // namespace trellis::fuzz
