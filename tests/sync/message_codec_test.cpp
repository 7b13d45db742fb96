// The sync message codec (message_codec.hpp, layouts in docs/protocol.md):
// every message kind survives encode_message / decode_message, and
// decode_message refuses every malformed shape with the code the protocol
// gives it: message_too_large for a frame or a part past a documented limit,
// malformed_message for everything else.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <msgpack.hpp>

#include "crdt/crdt_testing.hpp"
#include "crdt/support/graph_operations.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "sync/support/frames.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/value_codec.hpp"
#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/messages.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::sync {
namespace {

using crdt::Dot;
using crdt::testkit::MsgpackWriter;

// ------------------------------------------------------------ sample messages

CausalContext context_of(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> vector,
                         std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> cloud) {
  CausalContext context;
  for (auto [replica, seq] : vector)
    context.insert_up_to(ReplicaId{replica}, seq);
  for (auto [replica, seq] : cloud)
    context.insert(Dot{ReplicaId{replica}, seq});
  return context;
}

// A context with both parts non-empty, so every position of the layout exists.
CausalContext sample_context() {
  return context_of({{1, 4}, {7, 2}}, {{1, 6}, {9, 3}});
}

Bytes sample_delta() {
  crdt::GraphDoc doc(ReplicaId{7});
  return crdt::encode(crdt::testing::applied(
      doc.add_node(Json{{"id", "n1"}, {"type", "default"}, {"position", {{"x", 1}, {"y", 2}}}})));
}

Hello sample_hello() {
  return Hello{kProtocolVersion, "ws-1", ReplicaId{7}, "secret", sample_context(), "laptop"};
}
Welcome sample_welcome() {
  return Welcome{ReplicaId{1000}, UserIdentity{"user_7", "Ada", "#ff8800"}, sample_delta(),
                 sample_context()};
}
DeltaMessage sample_delta_message() {
  return DeltaMessage{sample_delta(), sample_context()};
}
Ack sample_ack() {
  return Ack{sample_context()};
}
Presence sample_presence() {
  return Presence{"user_7", Json{{"cursor", {{"x", 10.5}, {"y", -3}}}, {"selection", {"n1"}}}};
}
ErrorMessage sample_error() {
  return ErrorMessage{ProtocolError::invalid_delta, "a delta must cover at least one event", true};
}

// One valid message of every kind (hello twice: with and without a token).
std::vector<Message> sample_messages() {
  Hello anonymous = sample_hello();
  anonymous.auth_token.reset();
  return {sample_hello(), anonymous,         sample_welcome(), sample_delta_message(),
          sample_ack(),   sample_presence(), sample_error()};
}

// Where each kind keeps its context (as an index into the root array).
std::optional<std::size_t> context_position(const Message& message) {
  switch (message.index()) {
    case 0:
      return 5;  // hello
    case 1:
      return 4;  // welcome
    case 2:
      return 2;  // delta
    case 3:
      return 1;  // ack
  }
  return std::nullopt;
}

// ------------------------------------------------------------ msgpack trees

// A msgpack value as a tree: a valid frame taken apart, so that a test can
// change one element and pack it again.
struct Element {
  enum class Kind { nil, boolean, uint, negative, float64, str, bin, array, map };

  Kind kind = Kind::nil;
  std::uint64_t uint = 0;
  std::int64_t negative = 0;
  bool boolean = false;
  double number = 0;
  std::string bytes{};           // str and bin
  std::vector<Element> items{};  // array; map as key, value, key, value...

  static Element of_uint(std::uint64_t value) { return Element{Kind::uint, value}; }
  static Element of_str(std::string text) {
    Element element{Kind::str};
    element.bytes = std::move(text);
    return element;
  }
  static Element of_bin(std::string data) {
    Element element{Kind::bin};
    element.bytes = std::move(data);
    return element;
  }
  static Element of_array(std::vector<Element> items) {
    Element element{Kind::array};
    element.items = std::move(items);
    return element;
  }
};

Element to_element(const msgpack::object& object) {
  using Kind = Element::Kind;
  Element element;
  switch (object.type) {
    case msgpack::type::NIL:
      element.kind = Kind::nil;
      break;
    case msgpack::type::BOOLEAN:
      element.kind = Kind::boolean;
      element.boolean = object.via.boolean;
      break;
    case msgpack::type::POSITIVE_INTEGER:
      element = Element::of_uint(object.via.u64);
      break;
    case msgpack::type::NEGATIVE_INTEGER:
      element.kind = Kind::negative;
      element.negative = object.via.i64;
      break;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      element.kind = Kind::float64;
      element.number = object.via.f64;
      break;
    case msgpack::type::STR:
      element = Element::of_str(std::string(object.via.str.ptr, object.via.str.size));
      break;
    case msgpack::type::BIN:
      element = Element::of_bin(std::string(object.via.bin.ptr, object.via.bin.size));
      break;
    case msgpack::type::ARRAY:
      element.kind = Kind::array;
      for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
        element.items.push_back(to_element(object.via.array.ptr[i]));
      }
      break;
    case msgpack::type::MAP:
      element.kind = Kind::map;
      for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
        element.items.push_back(to_element(object.via.map.ptr[i].key));
        element.items.push_back(to_element(object.via.map.ptr[i].val));
      }
      break;
    default:
      ADD_FAILURE() << "sample frames hold no ext values";
  }
  return element;
}

Element parse(const Bytes& frame) {
  const msgpack::object_handle handle =
      msgpack::unpack(reinterpret_cast<const char*>(frame.data()), frame.size());
  return to_element(handle.get());
}

void write(const Element& element, MsgpackWriter& out) {
  using Kind = Element::Kind;
  switch (element.kind) {
    case Kind::nil:
      out.nil();
      return;
    case Kind::boolean:
      out.boolean(element.boolean);
      return;
    case Kind::uint:
      out.uint(element.uint);
      return;
    case Kind::negative:
      out.sint(element.negative);
      return;
    case Kind::float64:
      out.f64(element.number);
      return;
    case Kind::str:
      out.str(element.bytes);
      return;
    case Kind::bin:
      out.bin(element.bytes);
      return;
    case Kind::array:
      out.array(static_cast<std::uint32_t>(element.items.size()));
      for (const Element& item : element.items)
        write(item, out);
      return;
    case Kind::map:
      out.map(static_cast<std::uint32_t>(element.items.size() / 2));
      for (const Element& item : element.items)
        write(item, out);
      return;
  }
}

Bytes pack(const Element& element) {
  MsgpackWriter out;
  write(element, out);
  return out.bytes();
}

using Path = std::vector<std::size_t>;

std::string to_string(const Path& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i)
    out += (i ? "," : "") + std::to_string(path[i]);
  return out + "]";
}

Element& at(Element& root, const Path& path) {
  Element* element = &root;
  for (std::size_t index : path)
    element = &element->items[index];
  return *element;
}

// Every element below the root, parents before children.
void collect_paths(const Element& element, Path& path, std::vector<Path>& out) {
  if (element.kind != Element::Kind::array) return;
  for (std::size_t i = 0; i < element.items.size(); ++i) {
    path.push_back(i);
    out.push_back(path);
    collect_paths(element.items[i], path, out);
    path.pop_back();
  }
}

std::vector<Path> element_paths(const Element& root) {
  std::vector<Path> out;
  Path path;
  collect_paths(root, path, out);
  return out;
}

// Replaces the element at `path` of `frame` and packs the result.
Bytes with_element(const Bytes& frame, const Path& path, Element replacement) {
  Element root = parse(frame);
  at(root, path) = std::move(replacement);
  return pack(root);
}

// ------------------------------------------------------------ assertions

::testing::AssertionResult refused_with(std::span<const std::uint8_t> frame, ProtocolError code,
                                        std::size_t max_frame_bytes = limits::kMaxFrameBytes) {
  auto decoded = decode_message(frame, max_frame_bytes);
  if (decoded) {
    return ::testing::AssertionFailure()
           << "expected " << sync::to_string(code) << ", but the frame decoded to a "
           << testkit::message_name(*decoded);
  }
  if (decoded.error().code != code) {
    return ::testing::AssertionFailure()
           << "expected " << sync::to_string(code) << ", got "
           << sync::to_string(decoded.error().code) << ": " << decoded.error().message;
  }
  return ::testing::AssertionSuccess();
}

void expect_round_trip(const Message& message) {
  const Bytes frame = encode_message(message);
  auto decoded = decode_message(frame);
  ASSERT_TRUE(decoded.ok()) << testkit::message_name(message) << ": " << decoded.error().message;
  EXPECT_TRUE(*decoded == message) << testkit::message_name(message) << " changed in transit";
}

// ------------------------------------------------------------ round trips

TEST(MessageCodec, EveryMessageKindRoundTrips) {
  for (const Message& message : sample_messages())
    expect_round_trip(message);
}

TEST(MessageCodec, EmptyValuesRoundTrip) {
  expect_round_trip(Hello{kProtocolVersion, "", ReplicaId{1}, std::nullopt, {}, ""});
  expect_round_trip(Hello{kProtocolVersion, "w", ReplicaId{1}, std::string(), {}, "c"});
  expect_round_trip(Welcome{ReplicaId{1}, UserIdentity{}, Bytes{}, {}});
  expect_round_trip(DeltaMessage{Bytes{}, {}});
  expect_round_trip(Ack{});
  expect_round_trip(Presence{"", Json(nullptr)});
  expect_round_trip(ErrorMessage{ProtocolError::internal_error, "", false});
}

TEST(MessageCodec, EveryErrorCodeRoundTripsWithBothClosingModes) {
  for (std::uint16_t code = 1; code <= static_cast<std::uint16_t>(ProtocolError::internal_error);
       ++code) {
    for (bool keeps_open : {false, true}) {
      expect_round_trip(ErrorMessage{static_cast<ProtocolError>(code), "text", keeps_open});
    }
  }
}

TEST(MessageCodec, ValuesAtTheirLimitsRoundTrip) {
  Hello hello = sample_hello();
  hello.workspace_id = std::string(limits::kMaxWorkspaceIdBytes, 'w');
  hello.client_name = std::string(limits::kMaxClientNameBytes, 'c');
  hello.auth_token = std::string(limits::kMaxAuthTokenBytes, 't');
  hello.replica = ReplicaId{std::numeric_limits<std::uint64_t>::max()};
  expect_round_trip(hello);
  const std::string field(limits::kMaxUserFieldBytes, 'u');
  expect_round_trip(Welcome{ReplicaId{1}, UserIdentity{field, field, field}, Bytes(1000, 7), {}});
  expect_round_trip(ErrorMessage{ProtocolError::slow_consumer,
                                 std::string(limits::kMaxErrorTextBytes, 'e'), false});
}

// --- Generated messages: arbitrary strings, contexts, payloads and states.

namespace gen {

rc::Gen<CausalContext> context() {
  return rc::gen::apply(
      [](std::vector<std::pair<std::uint8_t, std::uint8_t>> vector,
         std::vector<std::pair<std::uint8_t, std::uint16_t>> cloud) {
        CausalContext context;
        for (auto [replica, seq] : vector) {
          context.insert_up_to(ReplicaId{replica + 1u}, seq + 1u);
        }
        for (auto [replica, seq] : cloud)
          context.insert(Dot{ReplicaId{replica + 1u}, seq + 1u});
        return context;
      },
      rc::gen::container<std::vector<std::pair<std::uint8_t, std::uint8_t>>>(
          rc::gen::pair(rc::gen::inRange<std::uint8_t>(0, 8), rc::gen::arbitrary<std::uint8_t>())),
      rc::gen::container<std::vector<std::pair<std::uint8_t, std::uint16_t>>>(rc::gen::pair(
          rc::gen::inRange<std::uint8_t>(0, 8), rc::gen::arbitrary<std::uint16_t>())));
}

rc::Gen<std::string> text(std::size_t max_bytes) {
  return rc::gen::resize(static_cast<int>(max_bytes), rc::gen::string<std::string>());
}

rc::Gen<std::optional<std::string>> optional_text(std::size_t max_bytes) {
  return rc::gen::apply(
      [](bool present, std::string value) {
        return present ? std::optional<std::string>(std::move(value)) : std::nullopt;
      },
      rc::gen::arbitrary<bool>(), text(max_bytes));
}

rc::Gen<Bytes> payload() {
  return rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
}

rc::Gen<ReplicaId> replica() {
  return rc::gen::map(rc::gen::inRange<std::uint64_t>(1, std::numeric_limits<std::uint64_t>::max()),
                      [](std::uint64_t value) { return ReplicaId{value}; });
}

rc::Gen<Message> message() {
  return rc::gen::oneOf(
      rc::gen::apply(
          [](std::uint32_t version, std::string workspace, ReplicaId replica,
             std::optional<std::string> token, CausalContext context, std::string name) {
            return Message(Hello{version, std::move(workspace), replica, std::move(token),
                                 std::move(context), std::move(name)});
          },
          rc::gen::arbitrary<std::uint32_t>(), text(limits::kMaxWorkspaceIdBytes), replica(),
          optional_text(limits::kMaxAuthTokenBytes), context(), text(limits::kMaxClientNameBytes)),
      rc::gen::apply(
          [](ReplicaId server, std::string id, std::string name, std::string color, Bytes catch_up,
             CausalContext context) {
            return Message(Welcome{server,
                                   UserIdentity{std::move(id), std::move(name), std::move(color)},
                                   std::move(catch_up), std::move(context)});
          },
          replica(), text(limits::kMaxUserFieldBytes), text(limits::kMaxUserFieldBytes),
          text(limits::kMaxUserFieldBytes), payload(), context()),
      rc::gen::apply(
          [](Bytes delta, CausalContext covers) {
            return Message(DeltaMessage{delta, covers});
          },
          payload(), context()),
      rc::gen::map(context(), [](CausalContext durable) { return Message(Ack{durable}); }),
      rc::gen::apply(
          [](std::string user, Json state) {
            return Message(Presence{user, state});
          },
          text(limits::kMaxUserFieldBytes), crdt::testkit::gen::field_value()),
      rc::gen::apply(
          [](std::uint16_t code, std::string text, bool keeps_open) {
            return Message(ErrorMessage{static_cast<ProtocolError>(code), text, keeps_open});
          },
          rc::gen::inRange<std::uint16_t>(1, 11), text(limits::kMaxErrorTextBytes),
          rc::gen::arbitrary<bool>()));
}

}  // namespace gen

RC_GTEST_PROP(MessageCodec, DecodingAnEncodedMessageGivesItBack, ()) {
  const Message message = *gen::message();
  const Bytes frame = encode_message(message);
  auto decoded = decode_message(frame);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == message);
  // Canonical: the same message encodes to the same bytes again.
  RC_ASSERT(encode_message(*decoded) == frame);
}

// ------------------------------------------------------------ framing

TEST(MessageCodec, EmptyFrameIsMalformed) {
  EXPECT_TRUE(refused_with(Bytes{}, ProtocolError::malformed_message));
}

TEST(MessageCodec, EveryTruncationOfAValidFrameIsMalformed) {
  for (const Message& message : sample_messages()) {
    const Bytes frame = encode_message(message);
    std::string wrong;
    for (std::size_t size = 0; size < frame.size(); ++size) {
      auto decoded = decode_message(std::span(frame.data(), size));
      if (decoded) {
        wrong += "\n  first " + std::to_string(size) + " bytes decode";
      } else if (decoded.error().code != ProtocolError::malformed_message) {
        wrong += "\n  first " + std::to_string(size) +
                 " bytes: " + std::string(sync::to_string(decoded.error().code)) + ": " +
                 decoded.error().message;
      }
    }
    EXPECT_TRUE(wrong.empty()) << "truncated " << testkit::message_name(message) << " frame of "
                               << frame.size()
                               << " bytes, not refused as malformed_message:" << wrong;
  }
}

TEST(MessageCodec, TrailingBytesAreMalformed) {
  for (const Message& message : sample_messages()) {
    Bytes frame = encode_message(message);
    Bytes with_nil = frame;
    with_nil.push_back(0xc0);
    EXPECT_TRUE(refused_with(with_nil, ProtocolError::malformed_message))
        << testkit::message_name(message) << " + nil";
    Bytes twice = frame;
    twice.insert(twice.end(), frame.begin(), frame.end());
    EXPECT_TRUE(refused_with(twice, ProtocolError::malformed_message))
        << testkit::message_name(message) << " twice in one frame";
  }
}

TEST(MessageCodec, FrameThatIsNotANonEmptyArrayIsMalformed) {
  EXPECT_TRUE(refused_with(MsgpackWriter().array(0).bytes(), ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().uint(1).bytes(), ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().str("hello").bytes(), ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().map(1).uint(1).uint(2).bytes(),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().nil().bytes(), ProtocolError::malformed_message));
  // 0xc1 is never used by msgpack.
  EXPECT_TRUE(refused_with(MsgpackWriter().raw({0xc1}).bytes(), ProtocolError::malformed_message));
}

TEST(MessageCodec, UnknownMessageTypeIsMalformed) {
  for (std::uint64_t type : {std::uint64_t{0}, std::uint64_t{8}, std::uint64_t{200},
                             std::uint64_t{256 + 3}, std::uint64_t{1} << 40}) {
    EXPECT_TRUE(refused_with(MsgpackWriter().array(2).uint(type).nil().bytes(),
                             ProtocolError::malformed_message))
        << "type " << type;
  }
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).sint(-3).nil().bytes(),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).str("hello").nil().bytes(),
                           ProtocolError::malformed_message));
}

TEST(MessageCodec, WrongElementCountOfAnyArrayIsMalformed) {
  for (const Message& message : sample_messages()) {
    const Bytes frame = encode_message(message);
    const Element root = parse(frame);
    std::vector<Path> arrays = {Path{}};
    for (const Path& path : element_paths(root)) {
      Element copy = root;
      if (at(copy, path).kind == Element::Kind::array) arrays.push_back(path);
    }
    for (const Path& path : arrays) {
      Element shorter = root;
      if (!at(shorter, path).items.empty()) {
        at(shorter, path).items.pop_back();
        EXPECT_TRUE(refused_with(pack(shorter), ProtocolError::malformed_message))
            << testkit::message_name(message) << ": one element fewer in " << to_string(path);
      }
      Element longer = root;
      at(longer, path).items.push_back(Element{});
      EXPECT_TRUE(refused_with(pack(longer), ProtocolError::malformed_message))
          << testkit::message_name(message) << ": one element more in " << to_string(path);
    }
  }
}

TEST(MessageCodec, WrongTypeAtAnyPositionIsMalformed) {
  using Kind = Element::Kind;
  Element map{Kind::map};
  Element negative{Kind::negative};
  negative.negative = -1;
  Element number{Kind::float64};
  number.number = 1.5;
  Element boolean{Kind::boolean};
  const std::vector<std::pair<std::string, Element>> replacements = {
      {"nil", Element{}},
      {"false", boolean},
      {"uint 1", Element::of_uint(1)},
      {"int -1", negative},
      {"float 1.5", number},
      {"str", Element::of_str("x")},
      {"bin", Element::of_bin("x")},
      {"empty array", Element::of_array({})},
      {"empty map", map},
  };
  for (const Message& message : sample_messages()) {
    const Bytes frame = encode_message(message);
    const Element root = parse(frame);
    for (const Path& path : element_paths(root)) {
      Element original = root;
      const Kind kind = at(original, path).kind;
      for (const auto& [name, replacement] : replacements) {
        if (replacement.kind == kind) continue;
        // The auth token is a string or nil (no token).
        const bool is_token = std::holds_alternative<Hello>(message) && path == Path{4};
        if (is_token && (replacement.kind == Kind::nil || replacement.kind == Kind::str)) continue;
        EXPECT_TRUE(
            refused_with(with_element(frame, path, replacement), ProtocolError::malformed_message))
            << testkit::message_name(message) << ": " << name << " at " << to_string(path);
      }
    }
  }
}

TEST(MessageCodec, ReplicaIdZeroIsMalformed) {
  EXPECT_TRUE(refused_with(with_element(encode_message(sample_hello()), {3}, Element::of_uint(0)),
                           ProtocolError::malformed_message))
      << "hello from replica 0";
  EXPECT_TRUE(refused_with(with_element(encode_message(sample_welcome()), {1}, Element::of_uint(0)),
                           ProtocolError::malformed_message))
      << "welcome from server replica 0";
}

TEST(MessageCodec, ContextWithReplicaZeroOrSeqZeroIsMalformed) {
  for (const Message& message : sample_messages()) {
    const auto context = context_position(message);
    if (!context) continue;
    const Bytes frame = encode_message(message);
    for (std::size_t part : {0u, 1u}) {
      for (std::size_t element : {0u, 1u}) {
        const Path path{*context, part, element};
        EXPECT_TRUE(refused_with(with_element(frame, path, Element::of_uint(0)),
                                 ProtocolError::malformed_message))
            << testkit::message_name(message) << ": " << (element == 0 ? "replica" : "seq")
            << " 0 in the " << (part == 0 ? "version vector" : "cloud");
      }
    }
  }
}

TEST(MessageCodec, UnknownErrorCodeIsMalformed) {
  const Bytes frame = encode_message(sample_error());
  for (std::uint64_t code : {std::uint64_t{0}, std::uint64_t{11}, std::uint64_t{65535},
                             std::uint64_t{65536 + 2}, std::uint64_t{1} << 40}) {
    EXPECT_TRUE(refused_with(with_element(frame, {1}, Element::of_uint(code)),
                             ProtocolError::malformed_message))
        << "error code " << code;
  }
}

TEST(MessageCodec, HelloVersionBeyond32BitsDecodesAsAnUnspokenVersion) {
  auto decoded = decode_message(with_element(encode_message(sample_hello()), {1},
                                             Element::of_uint(std::uint64_t{1} << 32 | 1)));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_NE(std::get<Hello>(*decoded).protocol_version, kProtocolVersion);
}

TEST(MessageCodec, PresenceStateThatIsNotOneEncodedValueIsMalformed) {
  const Bytes frame = encode_message(sample_presence());
  Bytes trailing = crdt::encode_value(Json(1));
  trailing.push_back(0xc0);
  const std::string with_trailing(trailing.begin(), trailing.end());
  EXPECT_TRUE(refused_with(with_element(frame, {2}, Element::of_bin(with_trailing)),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(with_element(frame, {2}, Element::of_bin("")),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(with_element(frame, {2}, Element::of_bin("\xc1")),
                           ProtocolError::malformed_message));
}

// ------------------------------------------------------------ limits

// A string field at its limit decodes; one byte more is message_too_large.
void expect_string_limit(const Message& message, const Path& path, std::size_t limit,
                         const char* what) {
  const Bytes frame = encode_message(message);
  auto at_limit =
      decode_message(with_element(frame, path, Element::of_str(std::string(limit, 'x'))));
  EXPECT_TRUE(at_limit.ok()) << what << " of " << limit
                             << " bytes: " << (at_limit ? "" : at_limit.error().message);
  EXPECT_TRUE(refused_with(with_element(frame, path, Element::of_str(std::string(limit + 1, 'x'))),
                           ProtocolError::message_too_large))
      << what << " of " << limit + 1 << " bytes";
}

TEST(MessageCodec, StringsPastTheirLimitsAreTooLarge) {
  expect_string_limit(sample_hello(), {2}, limits::kMaxWorkspaceIdBytes, "workspace id");
  expect_string_limit(sample_hello(), {4}, limits::kMaxAuthTokenBytes, "auth token");
  expect_string_limit(sample_hello(), {6}, limits::kMaxClientNameBytes, "client name");
  expect_string_limit(sample_welcome(), {2, 0}, limits::kMaxUserFieldBytes, "user id");
  expect_string_limit(sample_welcome(), {2, 1}, limits::kMaxUserFieldBytes, "user name");
  expect_string_limit(sample_welcome(), {2, 2}, limits::kMaxUserFieldBytes, "user color");
  expect_string_limit(sample_presence(), {1}, limits::kMaxUserFieldBytes, "presence user id");
  expect_string_limit(sample_error(), {2}, limits::kMaxErrorTextBytes, "error text");
}

// A presence state (a JSON string) whose encoding is exactly `size` bytes.
std::string presence_state_of_size(std::size_t size) {
  const std::size_t overhead = crdt::encode_value(Json(std::string(size, 'p'))).size() - size;
  const Bytes bytes = crdt::encode_value(Json(std::string(size - overhead, 'p')));
  EXPECT_EQ(bytes.size(), size);
  return std::string(bytes.begin(), bytes.end());
}

TEST(MessageCodec, PresenceStatePastItsLimitIsTooLarge) {
  const Bytes frame = encode_message(sample_presence());
  auto at_limit = decode_message(
      with_element(frame, {2}, Element::of_bin(presence_state_of_size(limits::kMaxPresenceBytes))));
  EXPECT_TRUE(at_limit.ok()) << (at_limit ? "" : at_limit.error().message);
  EXPECT_TRUE(refused_with(
      with_element(frame, {2},
                   Element::of_bin(presence_state_of_size(limits::kMaxPresenceBytes + 1))),
      ProtocolError::message_too_large));
}

TEST(MessageCodec, FramePastTheFrameLimitIsTooLarge) {
  for (const Message& message : sample_messages()) {
    const Bytes frame = encode_message(message);
    EXPECT_TRUE(decode_message(frame, frame.size()).ok()) << testkit::message_name(message);
    EXPECT_TRUE(refused_with(frame, ProtocolError::message_too_large, frame.size() - 1))
        << testkit::message_name(message);
  }
  // The default limit, with a delta payload of exactly 16 MiB.
  const Bytes huge =
      encode_message(DeltaMessage{Bytes(limits::kMaxFrameBytes, 0), sample_context()});
  EXPECT_TRUE(refused_with(huge, ProtocolError::message_too_large));
}

// Headers that announce far more than the frame holds: refused without
// allocating what they announce (ASan would see it). The frame is a few
// bytes and breaks no documented limit: it is malformed.
TEST(MessageCodec, DeclaredLengthsTheFrameCannotHoldAreMalformed) {
  const std::vector<std::pair<std::string, Bytes>> frames = {
      {"root array32 of 2^32-1 elements",
       MsgpackWriter().raw({0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}).bytes()},
      {"root map32 of 2^32-1 pairs",
       MsgpackWriter().raw({0xdf, 0xff, 0xff, 0xff, 0xff, 0x01}).bytes()},
      {"hello with a str32 workspace id of 4 GiB",
       MsgpackWriter().array(7).uint(1).uint(1).raw({0xdb, 0xff, 0xff, 0xff, 0xff, 'w'}).bytes()},
      {"delta with a bin32 payload of 4 GiB",
       MsgpackWriter().array(3).uint(3).raw({0xc6, 0xff, 0xff, 0xff, 0xff, 0x00}).bytes()},
      {"ack with a context part of 2^32-1 elements",
       MsgpackWriter().array(2).uint(4).array(2).raw({0xdd, 0xff, 0xff, 0xff, 0xff, 0x01}).bytes()},
      {"an ext32 of 4 GiB",
       MsgpackWriter().array(2).uint(4).raw({0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}).bytes()},
      {"str16 of 65535 bytes holding 1",
       MsgpackWriter().array(2).uint(5).raw({0xda, 0xff, 0xff, 'u'}).bytes()},
  };
  for (const auto& [what, frame] : frames) {
    EXPECT_TRUE(refused_with(frame, ProtocolError::malformed_message)) << what;
  }
}

TEST(MessageCodec, NestingDeeperThanAnyMessageIsMalformed) {
  MsgpackWriter deep;
  for (int level = 0; level < 12; ++level)
    deep.array(1);
  deep.nil();
  EXPECT_TRUE(refused_with(deep.bytes(), ProtocolError::malformed_message));
}

// An ack whose context has the given version-vector entries and cloud dots.
Bytes ack_frame(const std::vector<Dot>& vector, const std::vector<Dot>& cloud) {
  MsgpackWriter out;
  out.array(2).uint(static_cast<std::uint64_t>(MessageType::ack)).array(2);
  out.array(static_cast<std::uint32_t>(vector.size() * 2));
  for (const Dot& dot : vector)
    out.uint(dot.replica.value).uint(dot.seq);
  out.array(static_cast<std::uint32_t>(cloud.size() * 2));
  for (const Dot& dot : cloud)
    out.uint(dot.replica.value).uint(dot.seq);
  return out.bytes();
}

TEST(MessageCodec, ContextPastTheEntryLimitIsTooLarge) {
  std::vector<Dot> dots;
  for (std::uint64_t i = 1; i <= limits::kMaxContextEntries + 1; ++i) {
    dots.push_back(Dot{ReplicaId{1}, 2 * i});
  }
  EXPECT_TRUE(refused_with(ack_frame({}, dots), ProtocolError::message_too_large))
      << "65,537 cloud dots";
  std::vector<Dot> replicas;
  for (std::uint64_t i = 1; i <= limits::kMaxContextEntries + 1; ++i) {
    replicas.push_back(Dot{ReplicaId{i}, 1});
  }
  EXPECT_TRUE(refused_with(ack_frame(replicas, {}), ProtocolError::message_too_large))
      << "65,537 version vector entries";
  dots.pop_back();
  EXPECT_TRUE(decode_message(ack_frame({}, dots)).ok()) << "65,536 cloud dots";
  replicas.pop_back();
  EXPECT_TRUE(decode_message(ack_frame(replicas, {})).ok()) << "65,536 replicas";
}

// protocol.hpp: "Entries (replicas plus cloud dots) of one causal context":
// the limit is on both parts together.
TEST(MessageCodec, ContextWhoseReplicasPlusCloudDotsPassTheLimitIsTooLarge) {
  std::vector<Dot> replicas;
  std::vector<Dot> cloud;
  for (std::uint64_t i = 1; i <= limits::kMaxContextEntries / 2 + 1; ++i) {
    replicas.push_back(Dot{ReplicaId{i}, 1});
    cloud.push_back(Dot{ReplicaId{i}, 3});
  }
  EXPECT_TRUE(refused_with(ack_frame(replicas, cloud), ProtocolError::message_too_large))
      << replicas.size() << " replicas + " << cloud.size() << " cloud dots";
}

// Decodes `frame`, an ack, and reports how long it took; the test asserts
// only the result (a quadratic decoder shows as a slow test).
CausalContext decode_hostile_ack(const Bytes& frame, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  auto decoded = decode_message(frame);
  const auto elapsed =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  std::cout << "[ measure  ] " << what << ": " << frame.size() << " bytes decoded in "
            << elapsed.count() << " ms\n";
  if (!decoded) {
    ADD_FAILURE() << what << ": " << decoded.error().message;
    return {};
  }
  return std::get<Ack>(*decoded).durable;
}

TEST(MessageCodec, CloudDotsInReverseOrderDecode) {
  std::vector<Dot> cloud;
  for (std::uint64_t i = 60000; i >= 1; --i)
    cloud.push_back(Dot{ReplicaId{1 + i % 3}, 2 * i + 1});
  std::vector<Dot> sorted = cloud;
  std::sort(sorted.begin(), sorted.end());
  CausalContext expected;
  for (const Dot& dot : sorted)
    expected.insert(dot);
  EXPECT_EQ(decode_hostile_ack(ack_frame({}, cloud), "60,000 cloud dots in reverse order"),
            expected);
}

TEST(MessageCodec, VersionVectorEntriesInReverseOrderDecode) {
  std::vector<Dot> vector;
  CausalContext expected;
  for (std::uint64_t replica = limits::kMaxContextEntries; replica >= 1; --replica) {
    vector.push_back(Dot{ReplicaId{replica}, 5});
  }
  for (auto it = vector.rbegin(); it != vector.rend(); ++it) {
    expected.insert_up_to(it->replica, it->seq);
  }
  EXPECT_EQ(decode_hostile_ack(ack_frame(vector, {}), "65,536 replicas in reverse order"),
            expected);
}

// Sorted, and still hostile: each first dot of a new replica extends the
// version vector, and folding the cloud into it must not rescan the 30,000
// dots that stay in the cloud every time.
TEST(MessageCodec, CloudOfFirstDotsAfterALongCloudDecodes) {
  constexpr std::uint64_t kHalf = 30000;
  std::vector<Dot> cloud;
  for (std::uint64_t i = 1; i <= kHalf; ++i)
    cloud.push_back(Dot{ReplicaId{1}, 2 * i});
  for (std::uint64_t replica = 2; replica <= kHalf + 1; ++replica) {
    cloud.push_back(Dot{ReplicaId{replica}, 1});
  }
  // Built the cheap way round: the first dots as version vector entries.
  CausalContext expected;
  for (std::uint64_t replica = 2; replica <= kHalf + 1; ++replica) {
    expected.insert_up_to(ReplicaId{replica}, 1);
  }
  for (std::uint64_t i = 1; i <= kHalf; ++i)
    expected.insert(Dot{ReplicaId{1}, 2 * i});
  EXPECT_EQ(decode_hostile_ack(ack_frame({}, cloud),
                               "30,000 gapped dots of one replica + 30,000 replicas' first dots"),
            expected);
}

// Sorted, and still hostile: the cloud's first dots belong to replicas that
// sort before every version-vector entry, so each one that extends the
// vector lands at its front. 65,536 entries in all: the documented limit.
TEST(MessageCodec, CloudOfFirstDotsOfReplicasBelowTheVersionVectorDecodes) {
  constexpr std::uint64_t kHalf = limits::kMaxContextEntries / 2;
  constexpr std::uint64_t kHigh = 1u << 20;
  std::vector<Dot> vector;
  std::vector<Dot> cloud;
  CausalContext expected;
  for (std::uint64_t i = 1; i <= kHalf; ++i) {
    cloud.push_back(Dot{ReplicaId{i}, 1});
    expected.insert_up_to(ReplicaId{i}, 1);
  }
  for (std::uint64_t i = 1; i <= kHalf; ++i) {
    vector.push_back(Dot{ReplicaId{kHigh + i}, 1});
    expected.insert_up_to(ReplicaId{kHigh + i}, 1);
  }
  EXPECT_EQ(decode_hostile_ack(ack_frame(vector, cloud),
                               "32,768 high replicas in the vector + 32,768 lower replicas' "
                               "first dots in the cloud"),
            expected);
}

// ------------------------------------------------------------ batch

// Every kind a server sends, in one batch.
Batch sample_batch() {
  return Batch{{sample_welcome(), sample_presence(), sample_delta_message(), sample_ack(),
                sample_delta_message(), sample_error()}};
}

// [7, [m: bin, ...]] with the messages as given.
Bytes batch_of_frames(const std::vector<Bytes>& frames) {
  std::vector<std::span<const std::uint8_t>> parts(frames.begin(), frames.end());
  return encode_batch(parts);
}

TEST(MessageCodec, BatchRoundTripsWithItsMessagesInOrder) {
  expect_round_trip(sample_batch());
  expect_round_trip(Batch{{sample_ack()}});
  const auto decoded = decode_message(encode_message(sample_batch()));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  const auto& messages = std::get<Batch>(*decoded).messages;
  ASSERT_EQ(messages.size(), 6u);
  EXPECT_EQ(messages[0], Message(sample_welcome()));
  EXPECT_EQ(messages[2], Message(sample_delta_message()));
  EXPECT_EQ(messages[5], Message(sample_error()));
}

// The server batches frames it already encoded; that must be the same bytes
// as encoding the messages as a batch, and within the size it announces.
TEST(MessageCodec, EncodeBatchOfEncodedMessagesIsTheBatchEncoding) {
  const Batch batch = sample_batch();
  std::vector<Bytes> frames;
  std::size_t bound = kBatchHeaderBytes;
  for (const Message& message : batch.messages) {
    frames.push_back(encode_message(message));
    bound += batch_entry_bytes(frames.back().size());
  }
  const Bytes bytes = batch_of_frames(frames);
  EXPECT_EQ(bytes, encode_message(batch));
  EXPECT_LE(bytes.size(), bound);
  EXPECT_GE(bytes.size() + 4, bound);  // the header is 3 to 7 bytes
}

TEST(MessageCodec, BatchEntryBytesCountTheBinHeader) {
  for (std::size_t size : {std::size_t{1}, std::size_t{255}, std::size_t{256}, std::size_t{65535},
                           std::size_t{65536}, std::size_t{100000}}) {
    const Bytes message(size, 0xc0);
    const Bytes one = batch_of_frames({message});
    EXPECT_EQ(one.size() - 3, batch_entry_bytes(size)) << size << " bytes";
  }
}

TEST(MessageCodec, BatchOfManyMessagesUsesLongerArrayHeadersAndRoundTrips) {
  Batch batch;
  for (std::uint64_t i = 1; i <= 70; ++i)
    batch.messages.push_back(Ack{context_of({{i, i}}, {})});
  expect_round_trip(batch);
}

TEST(MessageCodec, EmptyBatchIsMalformed) {
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).uint(7).array(0).bytes(),
                           ProtocolError::malformed_message));
}

TEST(MessageCodec, BatchInsideABatchIsMalformed) {
  const Bytes inner = encode_message(Batch{{sample_ack()}});
  EXPECT_TRUE(refused_with(batch_of_frames({encode_message(sample_ack()), inner}),
                           ProtocolError::malformed_message));
}

TEST(MessageCodec, BatchOfWrongShapeIsMalformed) {
  const Bytes ack = encode_message(sample_ack());
  const std::string ack_text(ack.begin(), ack.end());
  // Wrong element counts, a list that is not an array, a message not in bin.
  EXPECT_TRUE(
      refused_with(MsgpackWriter().array(1).uint(7).bytes(), ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().array(3).uint(7).array(1).bin(ack_text).nil().bytes(),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).uint(7).bin(ack_text).bytes(),
                           ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).uint(7).array(1).str(ack_text).bytes(),
                           ProtocolError::malformed_message));
  // A message inline as an array rather than wrapped in bin.
  EXPECT_TRUE(refused_with(
      MsgpackWriter().array(2).uint(7).array(1).array(2).uint(4).array(2).array(0).array(0).bytes(),
      ProtocolError::malformed_message));
  EXPECT_TRUE(refused_with(MsgpackWriter().array(2).uint(7).array(1).bin("").bytes(),
                           ProtocolError::malformed_message));
}

TEST(MessageCodec, BatchWithOneMalformedMessageIsRefusedWithThatMessagesCode) {
  const Bytes ack = encode_message(sample_ack());
  Bytes truncated = encode_message(sample_delta_message());
  truncated.pop_back();
  EXPECT_TRUE(
      refused_with(batch_of_frames({ack, truncated, ack}), ProtocolError::malformed_message));
  Bytes unknown = MsgpackWriter().array(2).uint(9).nil().bytes();
  EXPECT_TRUE(refused_with(batch_of_frames({ack, unknown}), ProtocolError::malformed_message));
  // A part past its limit keeps its code: message_too_large.
  ErrorMessage long_error = sample_error();
  long_error.message = std::string(limits::kMaxErrorTextBytes + 1, 'e');
  EXPECT_TRUE(refused_with(batch_of_frames({ack, encode_message(long_error)}),
                           ProtocolError::message_too_large));
}

TEST(MessageCodec, EveryTruncationOfABatchIsMalformed) {
  const Bytes frame = encode_message(sample_batch());
  std::string wrong;
  for (std::size_t size = 0; size < frame.size(); ++size) {
    auto decoded = decode_message(std::span(frame.data(), size));
    if (decoded || decoded.error().code != ProtocolError::malformed_message) {
      wrong += " " + std::to_string(size);
    }
  }
  EXPECT_TRUE(wrong.empty()) << "prefixes of a " << frame.size()
                             << "-byte batch not refused as malformed_message:" << wrong;
  Bytes with_nil = frame;
  with_nil.push_back(0xc0);
  EXPECT_TRUE(refused_with(with_nil, ProtocolError::malformed_message));
}

TEST(MessageCodec, BatchPastTheFrameLimitIsTooLarge) {
  const Bytes frame = encode_message(sample_batch());
  EXPECT_TRUE(refused_with(frame, ProtocolError::message_too_large, frame.size() - 1));
}

}  // namespace
}  // namespace trellis::sync
