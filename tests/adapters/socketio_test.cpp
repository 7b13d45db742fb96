// The Socket.IO v5 codec (socketio.hpp): the protocol's own examples decode
// to the packets it describes, packets encode to exactly what a socket.io v4
// server writes, generated packets survive encode / decode, and every
// malformed shape is refused with an error, never an exception or a crash.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/support/graph_operations.hpp"
#include "trellis/adapters/engineio.hpp"
#include "trellis/adapters/socketio.hpp"

namespace trellis::adapters {
namespace {

using Json = nlohmann::json;
using namespace std::string_view_literals;

const SioLimits kWithBinary{.allow_binary = true};

SioPacket packet(SioType type, std::string nsp, std::optional<std::uint64_t> id, Json data,
                 std::size_t attachments = 0) {
  return SioPacket{type, std::move(nsp), id, std::move(data), attachments};
}

void expect_decodes(std::string_view wire, const SioPacket& expected,
                    const SioLimits& limits = {}) {
  auto decoded = decode_sio_packet(wire, limits);
  ASSERT_TRUE(decoded.ok()) << wire << ": " << decoded.error().message;
  EXPECT_EQ(*decoded, expected) << wire << " decoded to " << encode_sio_packet(*decoded);
}

void expect_refused(std::string_view wire, PacketErrorCode code, std::string_view fragment,
                    const SioLimits& limits = {}) {
  auto decoded = decode_sio_packet(wire, limits);
  ASSERT_FALSE(decoded.ok()) << "accepted " << wire;
  EXPECT_EQ(decoded.error().code, code) << wire << ": " << decoded.error().message;
  EXPECT_NE(decoded.error().message.find(fragment), std::string::npos)
      << wire << ": '" << decoded.error().message << "' does not mention '" << fragment << "'";
}

// ------------------------------------------------------ the spec's examples

TEST(SocketIoDecode, TheProtocolsExamples) {
  expect_decodes("0", packet(SioType::connect, "/", {}, nullptr));
  expect_decodes(R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})",
                 packet(SioType::connect, "/", {}, {{"sid", "wZX3oN0bSVIhsaknAAAI"}}));
  expect_decodes("0/admin,", packet(SioType::connect, "/admin", {}, nullptr));
  expect_decodes(R"(0/admin,{"token":"123"})",
                 packet(SioType::connect, "/admin", {}, {{"token", "123"}}));
  expect_decodes(R"(4{"message":"Not authorized"})",
                 packet(SioType::connect_error, "/", {}, {{"message", "Not authorized"}}));
  expect_decodes(R"(2["hello",1])", packet(SioType::event, "/", {}, Json::array({"hello", 1})));
  expect_decodes(R"(2/admin,["bye"])", packet(SioType::event, "/admin", {}, Json::array({"bye"})));
  expect_decodes(R"(212["foo"])", packet(SioType::event, "/", 12, Json::array({"foo"})));
  expect_decodes(R"(2/admin,13["foo"])",
                 packet(SioType::event, "/admin", 13, Json::array({"foo"})));
  expect_decodes("312[]", packet(SioType::ack, "/", 12, Json::array()));
  expect_decodes(R"(312["bar"])", packet(SioType::ack, "/", 12, Json::array({"bar"})));
  expect_decodes(R"(3/admin,13["bar"])", packet(SioType::ack, "/admin", 13, Json::array({"bar"})));
  expect_decodes("1", packet(SioType::disconnect, "/", {}, nullptr));
  expect_decodes("1/admin,", packet(SioType::disconnect, "/admin", {}, nullptr));
  // A JavaScript number's largest exact integer is the largest ack id.
  expect_decodes(R"(39007199254740991[])",
                 packet(SioType::ack, "/", limits::kMaxSioAckId, Json::array()));
  expect_decodes(R"(20["a"])", packet(SioType::event, "/", 0, Json::array({"a"})));
}

TEST(SocketIoDecode, BinaryPacketsAreParsedThenRefused) {
  const Json placeholder = {{"_placeholder", true}, {"num", 0}};
  // Over Engine.IO: a message whose text is the Socket.IO packet.
  auto message = decode_text_packet(R"(451-["baz",{"_placeholder":true,"num":0}])");
  ASSERT_TRUE(message.ok());
  ASSERT_EQ(message->type, EioType::message);
  expect_refused(message->data, PacketErrorCode::unsupported,
                 "binary attachments are not supported (BINARY_EVENT with 1 attachment(s))");
  expect_decodes(message->data,
                 packet(SioType::binary_event, "/", {}, Json::array({"baz", placeholder}), 1),
                 kWithBinary);
  expect_decodes(R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
                 packet(SioType::binary_event, "/admin", {},
                        Json::array({"baz", placeholder, {{"_placeholder", true}, {"num", 1}}}), 2),
                 kWithBinary);
  expect_decodes(R"(61-15["bar",{"_placeholder":true,"num":0}])",
                 packet(SioType::binary_ack, "/", 15, Json::array({"bar", placeholder}), 1),
                 kWithBinary);
  expect_refused(R"(61-/admin,1[{"_placeholder":true,"num":0}])", PacketErrorCode::unsupported,
                 "BINARY_ACK");
  // A malformed binary packet is reported as malformed, not as unsupported.
  expect_refused(R"(5["a"])", PacketErrorCode::malformed, "attachment count");
  expect_refused(R"(51["a"])", PacketErrorCode::malformed, "attachment count");
  expect_refused(R"(5-["a"])", PacketErrorCode::malformed, "attachment count");
  expect_refused("51", PacketErrorCode::malformed, "attachment count");
  expect_refused(R"(50-["a"])", PacketErrorCode::malformed, "0 attachments");
  expect_refused(R"(501-["a"])", PacketErrorCode::malformed, "leading zero");
  expect_refused(R"(517-["a"])", PacketErrorCode::too_large, "more than 16 attachments");
  expect_refused(R"(599999999999999999999-["a"])", PacketErrorCode::too_large, "attachments");
  expect_refused(R"(51-{"a":1})", PacketErrorCode::malformed, "BINARY_EVENT payload");
  expect_refused(R"(61-[])", PacketErrorCode::malformed, "BINARY_ACK has no ack id");
}

// ---------------------------------------------------- what the server writes

TEST(SocketIoEncode, WritesWhatASocketIoV4ServerWrites) {
  EXPECT_EQ(encode_sio_packet(packet(SioType::connect, "/", {}, {{"sid", "wZX3oN0bSVIhsaknAAAI"}})),
            R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})");
  EXPECT_EQ(encode_sio_packet(packet(SioType::connect, "/admin", {}, {{"sid", "oSO0"}})),
            R"(0/admin,{"sid":"oSO0"})");
  EXPECT_EQ(encode_sio_packet(packet(SioType::connect, "/admin", {}, nullptr)), "0/admin,");
  EXPECT_EQ(encode_sio_packet(make_event("node_moved", Json{{"id", "n1"}, {"x", 2}})),
            R"(2["node_moved",{"id":"n1","x":2}])");
  EXPECT_EQ(encode_sio_packet(packet(SioType::ack, "/", 12, Json::array())), "312[]");
  EXPECT_EQ(encode_sio_packet(packet(SioType::ack, "/admin", 13, Json::array({"bar"}))),
            R"(3/admin,13["bar"])");
  EXPECT_EQ(
      encode_sio_packet(packet(SioType::connect_error, "/", {}, {{"message", "Not authorized"}})),
      R"(4{"message":"Not authorized"})");
  EXPECT_EQ(encode_sio_packet(packet(SioType::disconnect, "/admin", {}, nullptr)), "1/admin,");
  EXPECT_EQ(
      encode_sio_packet(packet(SioType::binary_event, "/", 14,
                               Json::array({"foo", {{"_placeholder", true}, {"num", 0}}}), 1)),
      R"(51-14["foo",{"_placeholder":true,"num":0}])");

  // Refusing a namespace, as it goes over Engine.IO.
  const SioPacket refusal =
      packet(SioType::connect_error, "/admin", {}, {{"message", "Invalid namespace"}});
  EXPECT_EQ(encode_packet(EioPacket{EioType::message, encode_sio_packet(refusal)}),
            R"(44/admin,{"message":"Invalid namespace"})");
}

TEST(SocketIoEncode, StringsThatAreNotUtf8AreReplacedNotThrown) {
  const SioPacket bad = make_event("e", std::string("\xff"));
  EXPECT_EQ(encode_sio_packet(bad), "2[\"e\",\"\xef\xbf\xbd\"]");
}

TEST(SocketIoEncode, EventTextIsTheEncodedEventPacket) {
  for (const Json& payload :
       {Json{{"nodeId", "n\"1"}, {"data", {{"width", 2.5}}}, {"userId", "u"}}, Json(nullptr),
        Json::array({1, "x"}), Json(std::string("\xff")), Json{{"\xfe", "\u00e9"}}}) {
    EXPECT_EQ(encode_event_text("node_data_update", payload),
              encode_sio_packet(make_event("node_data_update", payload)))
        << payload.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  EXPECT_EQ(encode_event_text("a\"b", Json{{"k", 1}}), R"(2["a\"b",{"k":1}])");
}

TEST(SocketIoHelpers, MakeEventAndItsViews) {
  SioPacket event = make_event("edit", Json{{"op", "add_node"}}, 3, "x");
  event.nsp = "/workspace";
  event.id = 7;
  EXPECT_EQ(encode_sio_packet(event), R"(2/workspace,7["edit",{"op":"add_node"},3,"x"])");
  ASSERT_TRUE(event_name(event).has_value());
  EXPECT_EQ(*event_name(event), "edit");
  const auto args = event_args(event);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], (Json{{"op", "add_node"}}));
  EXPECT_EQ(args[1], 3);
  EXPECT_EQ(args[2], "x");

  EXPECT_TRUE(event_args(make_event("ping")).empty());
  const SioPacket ack = packet(SioType::ack, "/", 1, Json::array({"edit"}));
  EXPECT_FALSE(event_name(ack).has_value());
  EXPECT_TRUE(event_args(ack).empty());
  EXPECT_FALSE(event_name(packet(SioType::event, "/", {}, Json::array({1}))).has_value());
}

// ------------------------------------------------------------- refusals

TEST(SocketIoDecode, RefusesEmptyAndUnknownTypes) {
  expect_refused("", PacketErrorCode::malformed, "empty");
  expect_refused("7", PacketErrorCode::malformed, "unknown Socket.IO packet type 0x37");
  expect_refused("9[\"a\"]", PacketErrorCode::malformed, "unknown");
  expect_refused("x", PacketErrorCode::malformed, "unknown");
  expect_refused("/admin,", PacketErrorCode::malformed, "unknown");
}

TEST(SocketIoDecode, RefusesBadNamespacesAndIds) {
  expect_refused("0/admin", PacketErrorCode::malformed, "not followed by ','");
  expect_refused(R"(2/admin["a"])", PacketErrorCode::malformed, "not followed by ','");
  expect_refused("2/\xff,[\"a\"]", PacketErrorCode::malformed, "namespace is not valid UTF-8");
  expect_refused("0/" + std::string(limits::kMaxSioNamespaceBytes, 'a') + ",",
                 PacketErrorCode::too_large, "namespace");
  EXPECT_TRUE(
      decode_sio_packet("0/" + std::string(limits::kMaxSioNamespaceBytes - 1, 'a') + ",").ok());
  // Ack ids: past 2^53 - 1, past uint64, non-canonical, on types without acks.
  expect_refused(R"(29007199254740992["a"])", PacketErrorCode::malformed, "2^53 - 1");
  expect_refused(R"(218446744073709551616["a"])", PacketErrorCode::malformed, "2^53 - 1");
  expect_refused(R"(299999999999999999999999999999["a"])", PacketErrorCode::malformed, "2^53");
  expect_refused(R"(2012["a"])", PacketErrorCode::malformed, "leading zero");
  expect_refused("01{}", PacketErrorCode::malformed, "CONNECT cannot carry an ack id");
  expect_refused("1/admin,5", PacketErrorCode::malformed, "DISCONNECT cannot carry an ack id");
  expect_refused(R"(412{"message":"x"})", PacketErrorCode::malformed, "CONNECT_ERROR cannot");
  expect_refused(R"(3["a"])", PacketErrorCode::malformed, "ACK has no ack id");
  expect_refused(R"(21-["a"])", PacketErrorCode::malformed, "not JSON");
}

TEST(SocketIoDecode, RefusesPayloadsThatAreNotJson) {
  const std::string_view not_json[] = {
      R"(2["a")",     R"(2[foo])",     R"(2["a"]x)", R"(2["a"],)", R"(2['a'])", "2[\"a\"]\x00"sv,
      R"(2["a",01])", R"(2["a",NaN])", R"(2["\x"])", R"(2{"a"})",  "2\x01"};
  for (const std::string_view wire : not_json) {
    expect_refused(wire, PacketErrorCode::malformed, "not JSON");
  }
  expect_refused("2[\"\xff\"]", PacketErrorCode::malformed, "not JSON");
  expect_refused("2[\"a\xed\xa0\x80\"]", PacketErrorCode::malformed, "not JSON");
  expect_refused(R"(2["a",1e400])", PacketErrorCode::malformed, "out of range");
}

TEST(SocketIoDecode, RefusesDeepJsonQuicklyWithoutRecursing) {
  const std::string deep = "2[\"a\"," + std::string(10'000, '[') + std::string(10'000, ']') + "]";
  const auto start = std::chrono::steady_clock::now();
  expect_refused(deep, PacketErrorCode::malformed, "deeper than 32 levels");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  // Unbalanced nesting too, and objects.
  expect_refused("2" + std::string(1'000'000 - 1, '['), PacketErrorCode::malformed, "deeper");
  std::string objects = "0";
  for (int i = 0; i < 40; ++i)
    objects += "{\"k\":";
  objects += "1" + std::string(40, '}');
  expect_refused(objects, PacketErrorCode::malformed, "deeper");

  // 32 levels pass, 33 do not; brackets inside strings do not count.
  const std::string at_limit = "2[\"a\"," + std::string(31, '[') + std::string(31, ']') + "]";
  EXPECT_TRUE(decode_sio_packet(at_limit).ok());
  const std::string past_limit = "2[\"a\"," + std::string(32, '[') + std::string(32, ']') + "]";
  expect_refused(past_limit, PacketErrorCode::malformed, "deeper than 32");
  const std::string in_string = "2[\"a\",\"" + std::string(100, '[') + "\\\"" + "\"]";
  EXPECT_TRUE(decode_sio_packet(in_string).ok());
  EXPECT_TRUE(decode_sio_packet(past_limit, SioLimits{.max_json_depth = 33}).ok());
}

TEST(SocketIoDecode, RefusesTheWrongPayloadShapeForEachType) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"0[]", "CONNECT payload must be an object"},
      {R"(0"x")", "CONNECT payload must be an object"},
      {"0null", "CONNECT payload must be an object"},
      {"1{}", "DISCONNECT carries no payload"},
      {"1/admin,[]", "DISCONNECT carries no payload"},
      {"2", "EVENT payload must be a non-empty array"},
      {"2[]", "EVENT payload must be a non-empty array"},
      {"2{}", "EVENT payload must be a non-empty array"},
      {"2[1]", "first element is a string"},
      {"2[null,\"a\"]", "first element is a string"},
      {R"(2"hello")", "EVENT payload"},
      {R"(2["connect"])", "reserved"},
      {R"(2["disconnect",1])", "reserved"},
      {R"(2["newListener"])", "reserved"},
      {"31", "ACK payload must be an array"},
      {"31{}", "ACK payload must be an array"},
      {"31\"a\"", "ACK payload must be an array"},
      {"4", "CONNECT_ERROR payload must be an object"},
      {R"(4"Not authorized")", "CONNECT_ERROR payload must be an object"},
      {"4[]", "CONNECT_ERROR payload must be an object"},
  };
  for (const auto& [wire, fragment] : cases) {
    expect_refused(wire, PacketErrorCode::malformed, fragment);
  }
}

TEST(SocketIoDecode, RefusesOversizedPackets) {
  const std::string large = "2[\"a\",\"" + std::string(limits::kMaxEioPayloadBytes, 'x') + "\"]";
  expect_refused(large, PacketErrorCode::too_large, "limit of 1000000");
  expect_refused(R"(2["abc"])", PacketErrorCode::too_large, "limit of 4",
                 SioLimits{.max_packet_bytes = 4});
}

// -------------------------------------------------------------- properties

namespace sio_gen {

// JSON strings: the characters JSON must escape, separators, non-ASCII.
rc::Gen<std::string> json_text() {
  return rc::gen::oneOf(
      rc::gen::container<std::string>(rc::gen::inRange<char>(0, 0x7F)),
      rc::gen::element<std::string>("", "\xe2\x82\xac", "\"\\/\b\f\n\r\t", "\x1e\x1f", "[{,}]",
                                    "_placeholder", "\xf0\x9f\x8c\xb3 trellis"));
}

rc::Gen<Json> json_value() {
  return rc::gen::oneOf(
      crdt::testkit::gen::field_value(),
      rc::gen::map(json_text(), [](std::string text) { return Json(std::move(text)); }),
      rc::gen::map(rc::gen::arbitrary<std::int64_t>(), [](std::int64_t v) { return Json(v); }),
      rc::gen::map(rc::gen::arbitrary<std::uint64_t>(), [](std::uint64_t v) { return Json(v); }),
      rc::gen::map(rc::gen::pair(json_text(), crdt::testkit::gen::field_value()), [](auto entry) {
        return Json{{entry.first, entry.second}};
      }));
}

rc::Gen<Json> json_array() {
  return rc::gen::map(rc::gen::resize(6, rc::gen::container<std::vector<Json>>(json_value())),
                      [](std::vector<Json> values) { return Json(std::move(values)); });
}

rc::Gen<Json> json_object() {
  return rc::gen::map(rc::gen::resize(6, rc::gen::container<std::map<std::string, Json>>(
                                             json_text(), json_value())),
                      [](std::map<std::string, Json> entries) { return Json(std::move(entries)); });
}

rc::Gen<std::string> event_name() {
  return rc::gen::suchThat(json_text(), [](const std::string& name) {
    return name != "connect" && name != "connect_error" && name != "disconnect" &&
           name != "disconnecting" && name != "newListener" && name != "removeListener";
  });
}

rc::Gen<std::string> nsp() {
  return rc::gen::oneOf(
      rc::gen::just(std::string("/")),
      rc::gen::map(rc::gen::container<std::string>(
                       rc::gen::element<char>('a', 'z', '0', '/', '_', '-', '.', '[', '{', '"')),
                   [](std::string rest) { return "/" + rest; }),
      rc::gen::element<std::string>("/admin", "/\xc3\xa9t\xc3\xa9", "/workspace/demo"));
}

rc::Gen<std::uint64_t> ack_id() {
  return rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 1000),
                        rc::gen::inRange<std::uint64_t>(0, limits::kMaxSioAckId + 1),
                        rc::gen::just(limits::kMaxSioAckId));
}

rc::Gen<std::optional<std::uint64_t>> optional_ack_id() {
  return rc::gen::oneOf(rc::gen::just(std::optional<std::uint64_t>()),
                        rc::gen::map(ack_id(), [](std::uint64_t id) { return std::optional(id); }));
}

// Packets of every type, in the shape the decoder accepts for it.
rc::Gen<SioPacket> packet() {
  return rc::gen::mapcat(rc::gen::inRange(0, 7), [](int type) -> rc::Gen<SioPacket> {
    const auto base = [type](std::string nsp) {
      SioPacket packet{static_cast<SioType>(type)};
      packet.nsp = std::move(nsp);
      return packet;
    };
    switch (static_cast<SioType>(type)) {
      case SioType::connect:
        return rc::gen::apply(
            [base](std::string nsp, bool has_data, Json data) {
              SioPacket packet = base(std::move(nsp));
              if (has_data) packet.data = std::move(data);
              return packet;
            },
            nsp(), rc::gen::arbitrary<bool>(), json_object());
      case SioType::disconnect:
        return rc::gen::map(nsp(), base);
      case SioType::connect_error:
        return rc::gen::apply(
            [base](std::string nsp, std::string message) {
              SioPacket packet = base(std::move(nsp));
              packet.data = {{"message", std::move(message)}};
              return packet;
            },
            nsp(), json_text());
      case SioType::event:
      case SioType::binary_event:
        return rc::gen::apply(
            [base, type](std::string nsp, std::optional<std::uint64_t> id, std::string name,
                         Json args, std::size_t attachments) {
              SioPacket packet = base(std::move(nsp));
              packet.id = id;
              packet.data = Json::array({std::move(name)});
              for (auto& arg : args)
                packet.data.push_back(std::move(arg));
              if (type == 5) packet.attachments = attachments;
              return packet;
            },
            nsp(), optional_ack_id(), event_name(), json_array(),
            rc::gen::inRange<std::size_t>(1, limits::kMaxSioAttachments + 1));
      case SioType::ack:
      case SioType::binary_ack:
        return rc::gen::apply(
            [base, type](std::string nsp, std::uint64_t id, Json args, std::size_t attachments) {
              SioPacket packet = base(std::move(nsp));
              packet.id = id;
              packet.data = std::move(args);
              if (type == 6) packet.attachments = attachments;
              return packet;
            },
            nsp(), ack_id(), json_array(),
            rc::gen::inRange<std::size_t>(1, limits::kMaxSioAttachments + 1));
    }
    return rc::gen::map(nsp(), base);
  });
}

}  // namespace sio_gen

RC_GTEST_PROP(SocketIoProperties, DecodingAnEncodedPacketGivesItBack, ()) {
  const SioPacket original = *sio_gen::packet();
  const std::string wire = encode_sio_packet(original);
  auto decoded = decode_sio_packet(wire, kWithBinary);
  if (!decoded.ok()) RC_FAIL(wire + ": " + decoded.error().message);
  RC_ASSERT(*decoded == original);
  // And through Engine.IO, as one message of a polling payload.
  const std::vector<EioPacket> body = {EioPacket{EioType::message, wire}};
  auto payload = decode_payload(*encode_payload(body));
  RC_ASSERT(payload.ok());
  RC_ASSERT(decode_sio_packet(payload->front().data, kWithBinary).ok());
}

RC_GTEST_PROP(SocketIoProperties, DecodeNeverThrowsOnArbitraryText, ()) {
  const std::string input = *rc::gen::oneOf(
      rc::gen::string<std::string>(), rc::gen::container<std::string>(rc::gen::element<char>(
                                          '0', '1', '2', '3', '5', '9', '-', '/', ',', '[', ']',
                                          '{', '}', '"', '\\', ':', 'a', '\xff')));
  auto decoded = decode_sio_packet(input, kWithBinary);
  if (decoded.ok()) {
    // What decodes is in canonical shape: it encodes and decodes the same.
    auto again = decode_sio_packet(encode_sio_packet(*decoded), kWithBinary);
    RC_ASSERT(again.ok());
    RC_ASSERT(*again == *decoded);
  } else {
    RC_ASSERT(!decoded.error().message.empty());
  }
}

RC_GTEST_PROP(SocketIoProperties, DecodeNeverThrowsOnMutatedPackets, ()) {
  std::string wire = encode_sio_packet(*sio_gen::packet());
  const auto edits = *rc::gen::container<std::vector<std::pair<std::size_t, char>>>(
      rc::gen::pair(rc::gen::arbitrary<std::size_t>(), rc::gen::arbitrary<char>()));
  for (const auto& [where, byte] : edits) {
    const std::size_t at = where % (wire.size() + 1);
    switch (where % 3) {
      case 0:
        wire.insert(wire.begin() + static_cast<std::ptrdiff_t>(at), byte);
        break;
      case 1:
        if (at < wire.size()) wire.erase(at, 1);
        break;
      default:
        if (at < wire.size()) wire[at] = byte;
    }
  }
  auto decoded = decode_sio_packet(wire, kWithBinary);
  const bool packet_or_explained_error = decoded.ok() || !decoded.error().message.empty();
  RC_ASSERT(packet_or_explained_error);
}

}  // namespace
}  // namespace trellis::adapters
