#include "trellis/sync/message_codec.hpp"

#include <algorithm>

#include <msgpack.hpp>

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

Decoded<std::uint64_t> read_uint(const msgpack::object& object, const char* what) {
  if (object.type != msgpack::type::POSITIVE_INTEGER) {
    return malformed(std::string(what) + " must be an unsigned integer");
  }
  return object.via.u64;
}

Decoded<std::string> read_string(const msgpack::object& object, const char* what,
                                 std::size_t max_bytes) {
  if (object.type != msgpack::type::STR) return malformed(std::string(what) + " must be a string");
  if (object.via.str.size > max_bytes) return too_large(std::string(what) + " is too long");
  return std::string(object.via.str.ptr, object.via.str.size);
}

Decoded<Bytes> read_bytes(const msgpack::object& object, const char* what) {
  if (object.type != msgpack::type::BIN) return malformed(std::string(what) + " must be binary");
  const auto* data = reinterpret_cast<const std::uint8_t*>(object.via.bin.ptr);
  return Bytes(data, data + object.via.bin.size);
}

const msgpack::object_array* read_array(const msgpack::object& object, std::uint32_t size) {
  if (object.type != msgpack::type::ARRAY || object.via.array.size != size) return nullptr;
  return &object.via.array;
}

Decoded<CausalContext> read_context(const msgpack::object& object) {
  const msgpack::object_array* parts = read_array(object, 2);
  if (!parts) return malformed("a context is [vector, cloud]");
  std::vector<crdt::Dot> vector;  // (replica, max_seq) entries
  std::size_t total_entries = 0;
  std::vector<crdt::Dot> cloud;
  for (std::uint32_t part = 0; part < 2; ++part) {
    const msgpack::object& list = parts->ptr[part];
    if (list.type != msgpack::type::ARRAY || list.via.array.size % 2 != 0) {
      return malformed("a context part is a flat list of pairs");
    }
    total_entries += list.via.array.size / 2;
    if (total_entries > limits::kMaxContextEntries) {
      return too_large("a context has too many entries");
    }
    for (std::uint32_t i = 0; i < list.via.array.size; i += 2) {
      auto replica = read_uint(list.via.array.ptr[i], "a replica id");
      if (!replica) return replica.error();
      auto seq = read_uint(list.via.array.ptr[i + 1], "a sequence number");
      if (!seq) return seq.error();
      if (*replica == 0 || *seq == 0) return malformed("replica ids and seqs start at 1");
      (part == 0 ? vector : cloud).push_back(crdt::Dot{ReplicaId{*replica}, *seq});
    }
  }
  return CausalContext::from_parts(std::move(vector), std::move(cloud));
}

Decoded<Message> read_hello(const msgpack::object_array& array) {
  if (array.size != 7) return malformed("hello has 7 elements");
  Hello hello;
  auto version = read_uint(array.ptr[1], "the protocol version");
  if (!version) return version.error();
  hello.protocol_version =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(*version, UINT32_MAX));
  auto workspace = read_string(array.ptr[2], "the workspace id", limits::kMaxWorkspaceIdBytes);
  if (!workspace) return workspace.error();
  hello.workspace_id = std::move(*workspace);
  auto replica = read_uint(array.ptr[3], "the replica id");
  if (!replica) return replica.error();
  if (*replica == 0) return malformed("replica id 0 is reserved");
  hello.replica = ReplicaId{*replica};
  if (array.ptr[4].type != msgpack::type::NIL) {
    auto token = read_string(array.ptr[4], "the auth token", limits::kMaxAuthTokenBytes);
    if (!token) return token.error();
    hello.auth_token = std::move(*token);
  }
  auto context = read_context(array.ptr[5]);
  if (!context) return context.error();
  hello.context = std::move(*context);
  auto name = read_string(array.ptr[6], "the client name", limits::kMaxClientNameBytes);
  if (!name) return name.error();
  hello.client_name = std::move(*name);
  return Message(std::move(hello));
}

Decoded<Message> read_welcome(const msgpack::object_array& array) {
  if (array.size != 5) return malformed("welcome has 5 elements");
  Welcome welcome;
  auto replica = read_uint(array.ptr[1], "the server replica id");
  if (!replica) return replica.error();
  if (*replica == 0) return malformed("replica id 0 is reserved");
  welcome.server_replica = ReplicaId{*replica};
  const msgpack::object_array* user = read_array(array.ptr[2], 3);
  if (!user) return malformed("the user is [id, name, color]");
  std::string* fields[3] = {&welcome.user.id, &welcome.user.name, &welcome.user.color};
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto text = read_string(user->ptr[i], "a user field", limits::kMaxUserFieldBytes);
    if (!text) return text.error();
    *fields[i] = std::move(*text);
  }
  auto catch_up = read_bytes(array.ptr[3], "the catch-up delta");
  if (!catch_up) return catch_up.error();
  welcome.catch_up = std::move(*catch_up);
  auto context = read_context(array.ptr[4]);
  if (!context) return context.error();
  welcome.context = std::move(*context);
  return Message(std::move(welcome));
}

Decoded<Message> read_delta(const msgpack::object_array& array) {
  if (array.size != 3) return malformed("delta has 3 elements");
  DeltaMessage delta;
  auto bytes = read_bytes(array.ptr[1], "the delta");
  if (!bytes) return bytes.error();
  delta.delta = std::move(*bytes);
  auto covers = read_context(array.ptr[2]);
  if (!covers) return covers.error();
  delta.covers = std::move(*covers);
  return Message(std::move(delta));
}

Decoded<Message> read_ack(const msgpack::object_array& array) {
  if (array.size != 2) return malformed("ack has 2 elements");
  auto durable = read_context(array.ptr[1]);
  if (!durable) return durable.error();
  return Message(Ack{std::move(*durable)});
}

Decoded<Message> read_presence(const msgpack::object_array& array) {
  if (array.size != 3) return malformed("presence has 3 elements");
  Presence presence;
  auto user = read_string(array.ptr[1], "the presence user id", limits::kMaxUserFieldBytes);
  if (!user) return user.error();
  presence.user_id = std::move(*user);
  const msgpack::object& state = array.ptr[2];
  if (state.type != msgpack::type::BIN) return malformed("the presence state must be binary");
  if (state.via.bin.size > limits::kMaxPresenceBytes) return too_large("presence state too large");
  auto value = crdt::decode_value(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(state.via.bin.ptr), state.via.bin.size));
  if (!value) return malformed("presence state: " + value.error().message);
  presence.state = std::move(*value);
  return Message(std::move(presence));
}

Decoded<Message> read_error(const msgpack::object_array& array) {
  if (array.size != 4) return malformed("error has 4 elements");
  ErrorMessage error;
  auto code = read_uint(array.ptr[1], "the error code");
  if (!code) return code.error();
  if (*code < 1 || *code > static_cast<std::uint64_t>(ProtocolError::internal_error)) {
    return malformed("unknown error code");
  }
  error.code = static_cast<ProtocolError>(*code);
  auto text = read_string(array.ptr[2], "the error text", limits::kMaxErrorTextBytes);
  if (!text) return text.error();
  error.message = std::move(*text);
  if (array.ptr[3].type != msgpack::type::BOOLEAN) return malformed("keeps_open must be a bool");
  error.keeps_open = array.ptr[3].via.boolean;
  return Message(std::move(error));
}

// Parses one msgpack value bounded by the input size (see decode_message).
crdt::Result<msgpack::object, DecodeError> parse_bounded(std::span<const std::uint8_t> bytes,
                                                         msgpack::zone& zone) {
  if (bytes.empty()) return malformed("empty input");
  const std::size_t size = bytes.size();
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, 8);
  std::size_t offset = 0;
  msgpack::object root;
  try {
    bool referenced = false;
    root = msgpack::unpack(
        zone, reinterpret_cast<const char*>(bytes.data()), size, offset, referenced,
        [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limit);
  } catch (const std::exception& error) {
    // The parser's limits are the input's own size: a count past them is a
    // length the frame cannot hold, i.e. a malformed frame.
    return malformed(std::string("not valid msgpack: ") + error.what());
  }
  if (offset != size) return malformed("trailing bytes after the message");
  return root;
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
  msgpack::zone zone;
  auto root = parse_bounded(bytes, zone);
  if (!root) return root.error();
  return read_context(*root);
}

Bytes encode_message(const Message& message) {
  Bytes out;
  ByteWriter writer{&out};
  Packer packer(writer);
  std::visit(Encoder{packer}, message);
  return out;
}

crdt::Result<Message, DecodeError> decode_message(std::span<const std::uint8_t> frame,
                                                  std::size_t max_frame_bytes) {
  if (frame.size() > max_frame_bytes) return too_large("frame is larger than the limit");
  // Every msgpack element takes at least one byte: no count may exceed the
  // frame size, so a forged length cannot make the parser allocate.
  msgpack::zone zone;
  auto parsed = parse_bounded(frame, zone);
  if (!parsed) return parsed.error();
  const msgpack::object& root = *parsed;
  if (root.type != msgpack::type::ARRAY || root.via.array.size == 0) {
    return malformed("a message is a non-empty array");
  }
  auto type = read_uint(root.via.array.ptr[0], "the message type");
  if (!type) return type.error();
  switch (static_cast<MessageType>(*type)) {
    case MessageType::hello:
      return read_hello(root.via.array);
    case MessageType::welcome:
      return read_welcome(root.via.array);
    case MessageType::delta:
      return read_delta(root.via.array);
    case MessageType::ack:
      return read_ack(root.via.array);
    case MessageType::presence:
      return read_presence(root.via.array);
    case MessageType::error:
      return read_error(root.via.array);
  }
  return malformed("unknown message type " + std::to_string(*type));
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
