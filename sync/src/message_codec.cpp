#include "trellis/sync/message_codec.hpp"

#include <algorithm>
#include <optional>

#include <msgpack.hpp>

#include "trellis/crdt/msgpack_reader.hpp"
#include "trellis/crdt/value_codec.hpp"

// Layouts: docs/protocol.md. A frame is one msgpack array [type, fields...].

namespace trellis::sync {

namespace {

struct ByteWriter {
  Bytes* out;
  void write(const char* data, std::size_t size) {
    out->insert(out->end(), reinterpret_cast<const std::uint8_t*>(data),
                reinterpret_cast<const std::uint8_t*>(data) + size);
  }
};
using Packer = msgpack::packer<ByteWriter>;

void pack_string(Packer& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

void pack_bytes(Packer& packer, const Bytes& bytes) {
  packer.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  packer.pack_bin_body(reinterpret_cast<const char*>(bytes.data()),
                       static_cast<std::uint32_t>(bytes.size()));
}

// [[replica, max_seq, ...], [replica, seq, ...]] with raw replica ids.
void pack_context(Packer& packer, const CausalContext& context) {
  const auto& entries = context.version_vector().entries();
  packer.pack_array(2);
  packer.pack_array(static_cast<std::uint32_t>(entries.size() * 2));
  for (const auto& [replica, seq] : entries) {
    packer.pack_uint64(replica.value);
    packer.pack_uint64(seq);
  }
  packer.pack_array(static_cast<std::uint32_t>(context.cloud().size() * 2));
  for (const auto& dot : context.cloud()) {
    packer.pack_uint64(dot.replica.value);
    packer.pack_uint64(dot.seq);
  }
}

std::size_t bin_header_bytes(std::size_t size) {
  return size <= UINT8_MAX ? 2 : size <= UINT16_MAX ? 3 : 5;
}

struct Encoder {
  Packer& packer;

  void operator()(const Hello& hello) {
    packer.pack_array(7);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::hello));
    packer.pack_uint32(hello.protocol_version);
    pack_string(packer, hello.workspace_id);
    packer.pack_uint64(hello.replica.value);
    if (hello.auth_token) {
      pack_string(packer, *hello.auth_token);
    } else {
      packer.pack_nil();
    }
    pack_context(packer, hello.context);
    pack_string(packer, hello.client_name);
  }
  void operator()(const Welcome& welcome) {
    packer.pack_array(5);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::welcome));
    packer.pack_uint64(welcome.server_replica.value);
    packer.pack_array(3);
    pack_string(packer, welcome.user.id);
    pack_string(packer, welcome.user.name);
    pack_string(packer, welcome.user.color);
    pack_bytes(packer, welcome.catch_up);
    pack_context(packer, welcome.context);
  }
  void operator()(const DeltaMessage& delta) {
    packer.pack_array(3);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::delta));
    pack_bytes(packer, delta.delta);
    pack_context(packer, delta.covers);
  }
  void operator()(const Ack& ack) {
    packer.pack_array(2);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::ack));
    pack_context(packer, ack.durable);
  }
  void operator()(const Presence& presence) {
    packer.pack_array(3);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::presence));
    pack_string(packer, presence.user_id);
    pack_bytes(packer, crdt::encode_value(presence.state));
  }
  void operator()(const ErrorMessage& error) {
    packer.pack_array(4);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::error));
    packer.pack_uint16(static_cast<std::uint16_t>(error.code));
    pack_string(packer, error.message);
    error.keeps_open ? packer.pack_true() : packer.pack_false();
  }
  void operator()(const Batch& batch) {
    std::vector<Bytes> encoded;
    encoded.reserve(batch.messages.size());
    for (const Message& message : batch.messages)
      encoded.push_back(encode_message(message));
    std::vector<std::span<const std::uint8_t>> parts(encoded.begin(), encoded.end());
    pack_batch(packer, parts);
  }

  // [7, [message: bin, ...]]
  static void pack_batch(Packer& packer, std::span<const std::span<const std::uint8_t>> messages) {
    packer.pack_array(2);
    packer.pack_uint8(static_cast<std::uint8_t>(MessageType::batch));
    packer.pack_array(static_cast<std::uint32_t>(messages.size()));
    for (const auto& message : messages) {
      packer.pack_bin(static_cast<std::uint32_t>(message.size()));
      packer.pack_bin_body(reinterpret_cast<const char*>(message.data()),
                           static_cast<std::uint32_t>(message.size()));
    }
  }
};

// ------------------------------------------------------------------ decoding

DecodeError malformed(std::string message) {
  return DecodeError{ProtocolError::malformed_message, std::move(message)};
}
DecodeError too_large(std::string message) {
  return DecodeError{ProtocolError::message_too_large, std::move(message)};
}

template <class T>
using Decoded = crdt::Result<T, DecodeError>;

// Readers of the elements of a frame that check_frame() accepted, in stream
// order. Each checks its element's kind and range; the guard for a missing
// element never fires on checked input.
std::optional<DecodeError> next(crdt::MsgpackReader& reader, crdt::MsgpackElement& element) {
  if (!reader.next(element)) return malformed("the frame ends inside a value");
  return std::nullopt;
}

std::optional<DecodeError> read_uint(crdt::MsgpackReader& reader, const char* what,
                                     std::uint64_t& value) {
  crdt::MsgpackElement element;
  if (auto error = next(reader, element)) return error;
  if (element.kind != crdt::MsgpackKind::uint) {
    return malformed(std::string(what) + " must be an unsigned integer");
  }
  value = element.uint;
  return std::nullopt;
}

std::optional<DecodeError> string_of(const crdt::MsgpackElement& element, const char* what,
                                     std::size_t max_bytes, std::string& text) {
  if (element.kind != crdt::MsgpackKind::str) {
    return malformed(std::string(what) + " must be a string");
  }
  if (element.payload.size() > max_bytes) return too_large(std::string(what) + " is too long");
  text.assign(element.text());
  return std::nullopt;
}

std::optional<DecodeError> read_string(crdt::MsgpackReader& reader, const char* what,
                                       std::size_t max_bytes, std::string& text) {
  crdt::MsgpackElement element;
  if (auto error = next(reader, element)) return error;
  return string_of(element, what, max_bytes, text);
}

std::optional<DecodeError> read_bytes(crdt::MsgpackReader& reader, const char* what, Bytes& bytes) {
  crdt::MsgpackElement element;
  if (auto error = next(reader, element)) return error;
  if (element.kind != crdt::MsgpackKind::bin) {
    return malformed(std::string(what) + " must be binary");
  }
  bytes.assign(element.payload.begin(), element.payload.end());
  return std::nullopt;
}

// True when the next element is an array of exactly `size` elements.
bool read_array_of(crdt::MsgpackReader& reader, std::uint32_t size) {
  crdt::MsgpackElement element;
  return reader.next(element) && element.kind == crdt::MsgpackKind::array && element.count == size;
}

Decoded<CausalContext> read_context(crdt::MsgpackReader& reader) {
  if (!read_array_of(reader, 2)) return malformed("a context is [vector, cloud]");
  std::vector<crdt::Dot> vector;  // (replica, max_seq) entries
  std::size_t total_entries = 0;
  std::vector<crdt::Dot> cloud;
  for (std::uint32_t part = 0; part < 2; ++part) {
    crdt::MsgpackElement list;
    if (auto error = next(reader, list)) return *error;
    if (list.kind != crdt::MsgpackKind::array || list.count % 2 != 0) {
      return malformed("a context part is a flat list of pairs");
    }
    total_entries += list.count / 2;
    if (total_entries > limits::kMaxContextEntries) {
      return too_large("a context has too many entries");
    }
    for (std::uint32_t i = 0; i < list.count; i += 2) {
      std::uint64_t replica;
      if (auto error = read_uint(reader, "a replica id", replica)) return *error;
      std::uint64_t seq;
      if (auto error = read_uint(reader, "a sequence number", seq)) return *error;
      if (replica == 0 || seq == 0) return malformed("replica ids and seqs start at 1");
      (part == 0 ? vector : cloud).push_back(crdt::Dot{ReplicaId{replica}, seq});
    }
  }
  return CausalContext::from_parts(std::move(vector), std::move(cloud));
}

// Each read_<type> starts after the type element; `size` is the element
// count of the message's array, the type included.
Decoded<Message> read_hello(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 7) return malformed("hello has 7 elements");
  Hello hello;
  std::uint64_t version;
  if (auto error = read_uint(reader, "the protocol version", version)) return *error;
  hello.protocol_version = static_cast<std::uint32_t>(std::min<std::uint64_t>(version, UINT32_MAX));
  if (auto error = read_string(reader, "the workspace id", limits::kMaxWorkspaceIdBytes,
                               hello.workspace_id)) {
    return *error;
  }
  std::uint64_t replica;
  if (auto error = read_uint(reader, "the replica id", replica)) return *error;
  if (replica == 0) return malformed("replica id 0 is reserved");
  hello.replica = ReplicaId{replica};
  crdt::MsgpackElement token;
  if (auto error = next(reader, token)) return *error;
  if (token.kind != crdt::MsgpackKind::nil) {
    std::string text;
    if (auto error = string_of(token, "the auth token", limits::kMaxAuthTokenBytes, text)) {
      return *error;
    }
    hello.auth_token = std::move(text);
  }
  auto context = read_context(reader);
  if (!context) return context.error();
  hello.context = std::move(*context);
  if (auto error =
          read_string(reader, "the client name", limits::kMaxClientNameBytes, hello.client_name)) {
    return *error;
  }
  return Message(std::move(hello));
}

Decoded<Message> read_welcome(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 5) return malformed("welcome has 5 elements");
  Welcome welcome;
  std::uint64_t replica;
  if (auto error = read_uint(reader, "the server replica id", replica)) return *error;
  if (replica == 0) return malformed("replica id 0 is reserved");
  welcome.server_replica = ReplicaId{replica};
  if (!read_array_of(reader, 3)) return malformed("the user is [id, name, color]");
  for (std::string* field : {&welcome.user.id, &welcome.user.name, &welcome.user.color}) {
    if (auto error = read_string(reader, "a user field", limits::kMaxUserFieldBytes, *field)) {
      return *error;
    }
  }
  if (auto error = read_bytes(reader, "the catch-up delta", welcome.catch_up)) return *error;
  auto context = read_context(reader);
  if (!context) return context.error();
  welcome.context = std::move(*context);
  return Message(std::move(welcome));
}

Decoded<Message> read_delta(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 3) return malformed("delta has 3 elements");
  DeltaMessage delta;
  if (auto error = read_bytes(reader, "the delta", delta.delta)) return *error;
  auto covers = read_context(reader);
  if (!covers) return covers.error();
  delta.covers = std::move(*covers);
  return Message(std::move(delta));
}

Decoded<Message> read_ack(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 2) return malformed("ack has 2 elements");
  auto durable = read_context(reader);
  if (!durable) return durable.error();
  return Message(Ack{std::move(*durable)});
}

Decoded<Message> read_presence(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 3) return malformed("presence has 3 elements");
  Presence presence;
  if (auto error = read_string(reader, "the presence user id", limits::kMaxUserFieldBytes,
                               presence.user_id)) {
    return *error;
  }
  crdt::MsgpackElement state;
  if (auto error = next(reader, state)) return *error;
  if (state.kind != crdt::MsgpackKind::bin) return malformed("the presence state must be binary");
  if (state.payload.size() > limits::kMaxPresenceBytes) {
    return too_large("presence state too large");
  }
  auto value = crdt::decode_value(state.payload);
  if (!value) return malformed("presence state: " + value.error().message);
  presence.state = std::move(*value);
  return Message(std::move(presence));
}

Decoded<Message> read_error(crdt::MsgpackReader& reader, std::uint32_t size) {
  if (size != 4) return malformed("error has 4 elements");
  ErrorMessage error;
  std::uint64_t code;
  if (auto failed = read_uint(reader, "the error code", code)) return *failed;
  if (code < 1 || code > static_cast<std::uint64_t>(ProtocolError::internal_error)) {
    return malformed("unknown error code");
  }
  error.code = static_cast<ProtocolError>(code);
  if (auto failed =
          read_string(reader, "the error text", limits::kMaxErrorTextBytes, error.message)) {
    return *failed;
  }
  crdt::MsgpackElement keeps_open;
  if (auto failed = next(reader, keeps_open)) return *failed;
  if (keeps_open.kind != crdt::MsgpackKind::boolean) return malformed("keeps_open must be a bool");
  error.keeps_open = keeps_open.boolean;
  return Message(std::move(error));
}

crdt::Result<Message, DecodeError> decode_one(std::span<const std::uint8_t> frame,
                                              std::size_t max_frame_bytes, bool batch_allowed);

// A batch's messages are frames of their own inside the batch's frame, so
// they are within its size limit; each is checked and decoded alone.
Decoded<Message> read_batch(crdt::MsgpackReader& reader, std::uint32_t size,
                            std::size_t max_frame_bytes) {
  if (size != 2) return malformed("batch has 2 elements");
  crdt::MsgpackElement list;
  if (auto error = next(reader, list)) return *error;
  if (list.kind != crdt::MsgpackKind::array) return malformed("a batch holds an array of messages");
  if (list.count == 0) return malformed("a batch holds at least one message");
  if (list.count > limits::kMaxBatchMessages) return too_large("a batch has too many messages");
  // Not reserved from the count: a message decodes to far more bytes than
  // the two an empty `bin` takes, and a bad one would be found too late.
  Batch batch;
  for (std::uint32_t i = 0; i < list.count; ++i) {
    crdt::MsgpackElement part;
    if (auto error = next(reader, part)) return *error;
    if (part.kind != crdt::MsgpackKind::bin) return malformed("a batched message must be binary");
    auto message = decode_one(part.payload, max_frame_bytes, false);
    if (!message) {
      return DecodeError{message.error().code,
                         "batched message " + std::to_string(i) + ": " + message.error().message};
    }
    batch.messages.push_back(std::move(*message));
  }
  return Message(std::move(batch));
}

// Checks a frame as msgpack before anything is read from it, without
// allocating: one complete value, no trailing bytes, containers at most 8
// deep, and no count beyond the frame size (every element takes at least
// one byte). A count past that is a length the frame cannot hold, i.e. a
// malformed frame.
std::optional<DecodeError> check_frame(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return malformed("empty input");
  const crdt::MsgpackBounds bounds{bytes.size(), bytes.size() / 2, 8};
  const auto fault = crdt::check_msgpack(bytes, bounds);
  if (!fault) return std::nullopt;
  if (*fault == crdt::MsgpackFault::trailing_bytes) {
    return malformed("trailing bytes after the message");
  }
  return malformed("not valid msgpack: " + std::string(crdt::to_string(*fault)));
}

}  // namespace

Bytes encode_context(const CausalContext& context) {
  Bytes out;
  ByteWriter writer{&out};
  Packer packer(writer);
  pack_context(packer, context);
  return out;
}

crdt::Result<CausalContext, DecodeError> decode_context(std::span<const std::uint8_t> bytes) {
  if (auto error = check_frame(bytes)) return *error;
  crdt::MsgpackReader reader(bytes);
  return read_context(reader);
}

namespace {

crdt::Result<Message, DecodeError> decode_one(std::span<const std::uint8_t> frame,
                                              std::size_t max_frame_bytes, bool batch_allowed) {
  if (frame.size() > max_frame_bytes) return too_large("frame is larger than the limit");
  if (auto error = check_frame(frame)) return *error;
  crdt::MsgpackReader reader(frame);
  crdt::MsgpackElement root;
  if (auto error = next(reader, root)) return *error;
  if (root.kind != crdt::MsgpackKind::array || root.count == 0) {
    return malformed("a message is a non-empty array");
  }
  std::uint64_t type;
  if (auto error = read_uint(reader, "the message type", type)) return *error;
  // Cast only a byte: 257 must not read as hello.
  if (type > UINT8_MAX) return malformed("unknown message type " + std::to_string(type));
  switch (static_cast<MessageType>(type)) {
    case MessageType::hello:
      return read_hello(reader, root.count);
    case MessageType::welcome:
      return read_welcome(reader, root.count);
    case MessageType::delta:
      return read_delta(reader, root.count);
    case MessageType::ack:
      return read_ack(reader, root.count);
    case MessageType::presence:
      return read_presence(reader, root.count);
    case MessageType::error:
      return read_error(reader, root.count);
    case MessageType::batch:
      if (!batch_allowed) return malformed("a batch cannot hold a batch");
      return read_batch(reader, root.count, max_frame_bytes);
  }
  return malformed("unknown message type " + std::to_string(type));
}

}  // namespace

Bytes encode_message(const Message& message) {
  Bytes out;
  ByteWriter writer{&out};
  Packer packer(writer);
  std::visit(Encoder{packer}, message);
  return out;
}

std::size_t batch_entry_bytes(std::size_t message_bytes) {
  return bin_header_bytes(message_bytes) + message_bytes;
}

Bytes encode_batch(std::span<const std::span<const std::uint8_t>> messages) {
  Bytes out;
  std::size_t size = kBatchHeaderBytes;
  for (const auto& message : messages)
    size += batch_entry_bytes(message.size());
  out.reserve(size);
  ByteWriter writer{&out};
  Packer packer(writer);
  Encoder::pack_batch(packer, messages);
  return out;
}

crdt::Result<Message, DecodeError> decode_message(std::span<const std::uint8_t> frame,
                                                  std::size_t max_frame_bytes) {
  return decode_one(frame, max_frame_bytes, true);
}

std::string_view to_string(ProtocolError code) {
  switch (code) {
    case ProtocolError::unsupported_version:
      return "unsupported_version";
    case ProtocolError::malformed_message:
      return "malformed_message";
    case ProtocolError::unexpected_message:
      return "unexpected_message";
    case ProtocolError::message_too_large:
      return "message_too_large";
    case ProtocolError::invalid_delta:
      return "invalid_delta";
    case ProtocolError::unauthorized:
      return "unauthorized";
    case ProtocolError::workspace_unavailable:
      return "workspace_unavailable";
    case ProtocolError::server_busy:
      return "server_busy";
    case ProtocolError::slow_consumer:
      return "slow_consumer";
    case ProtocolError::internal_error:
      return "internal_error";
  }
  return "unknown";
}

}  // namespace trellis::sync
