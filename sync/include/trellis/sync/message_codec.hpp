#pragma once
// msgpack encoding of sync messages (docs/protocol.md has the layouts):
// each message is an array whose first element is its type number.
// decode_message is strict like crdt::decode: a malformed, truncated or
// oversized frame gives a ProtocolError-coded error, never a crash or an
// allocation out of proportion to the frame. Deltas inside messages stay
// encoded (bytes): they are decoded by crdt::decode / crdt::join_encoded
// where they are applied. A `batch` decodes with each of its messages
// decoded as strictly: one malformed message makes the whole batch
// malformed (with that message's error code), and so does a batch inside a
// batch or an empty one.

#include <cstdint>
#include <span>
#include <string>

#include "trellis/crdt/result.hpp"
#include "trellis/sync/messages.hpp"

namespace trellis::sync {

enum class MessageType : std::uint8_t {
  hello = 1,
  welcome = 2,
  delta = 3,
  ack = 4,
  presence = 5,
  error = 6,
  batch = 7,
};

struct DecodeError {
  ProtocolError code;  // malformed_message or message_too_large
  std::string message;
};

Bytes encode_message(const Message& message);

// Bytes of a batch frame besides its entries: at most this many.
inline constexpr std::size_t kBatchHeaderBytes = 7;
// Bytes one encoded message of `message_bytes` takes inside a batch frame:
// itself and the msgpack `bin` header that wraps it.
std::size_t batch_entry_bytes(std::size_t message_bytes);
// One `batch` frame holding `messages`, each an encoded message other than a
// batch, in order. The messages are copied as they are, not decoded: a
// server batches the shared frames it would otherwise have sent one by one.
// At most kBatchHeaderBytes plus the batch_entry_bytes of each message.
Bytes encode_batch(std::span<const std::span<const std::uint8_t>> messages);

// A causal context alone, in the layout messages use (for stores that keep
// contexts beside deltas).
Bytes encode_context(const CausalContext& context);
crdt::Result<CausalContext, DecodeError> decode_context(std::span<const std::uint8_t> bytes);

crdt::Result<Message, DecodeError> decode_message(
    std::span<const std::uint8_t> frame, std::size_t max_frame_bytes = limits::kMaxFrameBytes);

}  // namespace trellis::sync
