// The Engine.IO v4 codec (engineio.hpp): packets, polling payloads, the open
// packet and the handshake query encode as socket.io-client v4 expects and
// decode back, and every malformed or oversized input is refused with an
// error of the right code, never an exception or a crash.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/adapters/engineio.hpp"

namespace trellis::adapters {
namespace {

using namespace std::string_literals;

EioPacket text(EioType type, std::string data = {}) {
  return EioPacket{type, std::move(data)};
}
EioPacket binary(std::string bytes) {
  return EioPacket{EioType::message, std::move(bytes), true};
}

template <class T>
void expect_error(const PacketResult<T>& result, PacketErrorCode code, std::string_view fragment) {
  ASSERT_FALSE(result.ok()) << "accepted input that must be refused";
  EXPECT_EQ(result.error().code, code) << result.error().message;
  EXPECT_NE(result.error().message.find(fragment), std::string::npos)
      << "'" << result.error().message << "' does not mention '" << fragment << "'";
}

// ----------------------------------------------------------------- packets

TEST(EngineIoPacket, TextPacketsAreTheTypeDigitThenTheData) {
  EXPECT_EQ(encode_packet(text(EioType::message, "hello")), "4hello");
  EXPECT_EQ(encode_packet(text(EioType::ping, "probe")), "2probe");
  EXPECT_EQ(encode_packet(text(EioType::pong)), "3");
  EXPECT_EQ(encode_packet(text(EioType::noop)), "6");
  EXPECT_EQ(encode_packet(text(EioType::open, R"({"sid":"x"})")), R"(0{"sid":"x"})");
}

TEST(EngineIoPacket, EncodingAPacketItOwnsGivesTheSameTextInItsOwnBuffer) {
  for (const EioPacket& packet : {text(EioType::message, "hello"), text(EioType::pong),
                                  text(EioType::open, "{}"), binary("\x01\x02"s), binary("")}) {
    EioPacket owned = packet;
    EXPECT_EQ(encode_packet(std::move(owned)), encode_packet(packet));
  }
  // A text with a byte to spare (SyncSnapshot::event_text) is not copied.
  std::string big(1 << 20, 'x');
  big.reserve(big.size() + 1);
  const char* buffer = big.data();
  const std::string encoded = encode_packet(EioPacket{EioType::message, std::move(big)});
  EXPECT_EQ(encoded.data(), buffer);
  EXPECT_EQ(encoded.size(), (1u << 20) + 1);
  EXPECT_EQ(encoded.substr(0, 2), "4x");
}

TEST(EngineIoPacket, BinaryMessagesInWebSocketFramesHaveNoTypeByte) {
  EXPECT_EQ(encode_packet(binary("\x01\x02\x03"s)), "\x01\x02\x03"s);
  const std::vector<std::uint8_t> frame = {1, 2, 3, 4};
  auto decoded = decode_binary_packet(frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, binary("\x01\x02\x03\x04"s));
  auto empty = decode_binary_packet({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, binary(""));
}

TEST(EngineIoPacket, DecodesEveryType) {
  const std::pair<std::string_view, EioPacket> cases[] = {
      {"0{\"sid\":\"a\"}", text(EioType::open, "{\"sid\":\"a\"}")},
      {"1", text(EioType::close)},
      {"2probe", text(EioType::ping, "probe")},
      {"3", text(EioType::pong)},
      {"4hello", text(EioType::message, "hello")},
      {"4\xe2\x82\xac", text(EioType::message, "\xe2\x82\xac")},
      {"5", text(EioType::upgrade)},
      {"6", text(EioType::noop)},
      {"bAQIDBA==", binary("\x01\x02\x03\x04"s)},
      {"b", binary("")},
  };
  for (const auto& [wire, packet] : cases) {
    auto decoded = decode_text_packet(wire);
    ASSERT_TRUE(decoded.ok()) << wire << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, packet) << wire;
  }
}

TEST(EngineIoPacket, RefusesEmptyUnknownAndNonUtf8Packets) {
  expect_error(decode_text_packet(""), PacketErrorCode::malformed, "empty");
  expect_error(decode_text_packet("7"), PacketErrorCode::malformed, "unknown packet type 0x37");
  expect_error(decode_text_packet("x4hello"), PacketErrorCode::malformed, "unknown packet type");
  expect_error(decode_text_packet("\x00"s), PacketErrorCode::malformed, "0x00");
  expect_error(decode_text_packet("abc"), PacketErrorCode::malformed, "unknown packet type");
  // A stray continuation byte, a truncated sequence, an overlong '/', a
  // UTF-16 surrogate and a code point past U+10FFFF.
  for (const std::string_view bad :
       {"4\x80", "4\xe2\x82", "4\xc0\xaf", "4\xed\xa0\x80", "4\xf4\x90\x80\x80", "2probe\xff"}) {
    expect_error(decode_text_packet(bad), PacketErrorCode::malformed, "UTF-8");
  }
}

TEST(EngineIoPacket, RefusesBase64ThatIsNotCanonical) {
  auto three_bytes = decode_text_packet("bAQID");
  ASSERT_TRUE(three_bytes.ok());
  EXPECT_EQ(three_bytes->data, "\x01\x02\x03"s);
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"bAQIDBA=", "multiple of 4"},    // one '=' short
      {"bAQIDBA", "multiple of 4"},     // padding left out
      {"bAQ=DBA==", "character 0x3d"},  // '=' before the end
      {"b=AAA", "character 0x3d at offset 0"},
      {"b====", "character 0x3d"},      //
      {"bA===", "character 0x3d"},      //
      {"bAQID BA=", "character 0x20"},  // a space
      {"bAQ-_", "character 0x2d"},      // base64url is not what browsers send
      {"b\xff\xff\xff\xff", "character 0xff"},
      {"bAR==", "non-zero padding bits"},  // "AQ==" is 0x01; "AR==" has a stray bit
      {"bAQJ=", "non-zero padding bits"},  // "AQI=" is 0x01 0x02
  };
  for (const auto& [wire, fragment] : cases) {
    expect_error(decode_text_packet(wire), PacketErrorCode::malformed, fragment);
  }
}

TEST(EngineIoPacket, RefusesPacketsOverTheLimit) {
  const EioLimits limits{.max_payload_bytes = 8};
  EXPECT_TRUE(decode_text_packet("41234567", limits).ok());
  expect_error(decode_text_packet("412345678", limits), PacketErrorCode::too_large, "limit of 8");
  const std::vector<std::uint8_t> frame(9, 0);
  expect_error(decode_binary_packet(frame, limits), PacketErrorCode::too_large, "limit of 8");
  const std::string large = "4" + std::string(limits::kMaxEioPayloadBytes, 'a');
  expect_error(decode_text_packet(large), PacketErrorCode::too_large, "1000000");
}

// ---------------------------------------------------------------- payloads

TEST(EngineIoPayload, TheSpecExampleDecodesAndEncodesBack) {
  const std::string body =
      "4hello\x1e"
      "4\xe2\x82\xac\x1e"
      "bAQIDBA==";
  auto packets = decode_payload(body);
  ASSERT_TRUE(packets.ok()) << packets.error().message;
  const std::vector<EioPacket> expected = {text(EioType::message, "hello"),
                                           text(EioType::message, "\xe2\x82\xac"),
                                           binary("\x01\x02\x03\x04"s)};
  EXPECT_EQ(*packets, expected);
  auto encoded = encode_payload(expected);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, body);
}

TEST(EngineIoPayload, ASocketIoSessionBodyDecodes) {
  auto packets = decode_payload(
      "42[\"hello\"]\x1e"
      "42[\"world\"]\x1e"
      "2");
  ASSERT_TRUE(packets.ok());
  ASSERT_EQ(packets->size(), 3u);
  EXPECT_EQ((*packets)[1], text(EioType::message, "2[\"world\"]"));
  EXPECT_EQ((*packets)[2], text(EioType::ping));
}

TEST(EngineIoPayload, RefusesEmptySegmentsWithTheirIndex) {
  expect_error(decode_payload(""), PacketErrorCode::malformed, "empty payload");
  expect_error(decode_payload("4a\x1e"), PacketErrorCode::malformed, "packet 1 of the payload");
  expect_error(decode_payload("\x1e"
                              "4a"),
               PacketErrorCode::malformed, "packet 0 of the payload");
  expect_error(decode_payload("4a\x1e\x1e"
                              "4b"),
               PacketErrorCode::malformed, "separator");
  expect_error(decode_payload("\x1e"), PacketErrorCode::malformed, "separator");
}

TEST(EngineIoPayload, RefusesABadPacketAnywhereInIt) {
  expect_error(decode_payload("4a\x1e"
                              "9b"),
               PacketErrorCode::malformed, "packet 1 of the payload: unknown");
  expect_error(decode_payload("4a\x1e"
                              "4b\x1e"
                              "bA="),
               PacketErrorCode::malformed, "packet 2");
  expect_error(decode_payload("4a\x1e"
                              "4\xff"),
               PacketErrorCode::malformed, "UTF-8");
}

TEST(EngineIoPayload, RefusesTooManyPacketsAndTooManyBytes) {
  std::string body = "6";
  for (std::size_t i = 1; i < limits::kMaxEioPacketsPerPayload; ++i)
    body +=
        "\x1e"
        "6";
  auto at_limit = decode_payload(body);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  EXPECT_EQ(at_limit->size(), limits::kMaxEioPacketsPerPayload);
  expect_error(decode_payload(body + "\x1e"
                                     "6"),
               PacketErrorCode::too_large, "more than 1000 packets");

  const std::string large = "4" + std::string(limits::kMaxEioPayloadBytes, 'a');
  expect_error(decode_payload(large), PacketErrorCode::too_large, "limit of 1000000");
  const EioLimits small{.max_payload_bytes = 16, .max_packets_per_payload = 2};
  expect_error(decode_payload("4a\x1e"
                              "4b\x1e"
                              "4c",
                              small),
               PacketErrorCode::too_large, "more than 2 packets");
  expect_error(decode_payload("4aaaaaaaaaaaaaaaa", small), PacketErrorCode::too_large,
               "limit of 16");
}

TEST(EngineIoPayload, AMillionSeparatorsAreRefusedQuickly) {
  const std::string body(limits::kMaxEioPayloadBytes, '\x1e');
  const auto start = std::chrono::steady_clock::now();
  expect_error(decode_payload(body), PacketErrorCode::malformed, "separator");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

TEST(EngineIoPayload, EncodingRefusesWhatCouldNotBeSplitBack) {
  expect_error(encode_payload({}), PacketErrorCode::malformed, "at least one packet");
  const std::vector<EioPacket> packets = {text(EioType::message,
                                               "a\x1e"
                                               "b")};
  expect_error(encode_payload(packets), PacketErrorCode::malformed, "record separator");
  // Binary data may hold it: base64 hides it.
  const std::vector<EioPacket> bytes = {binary("\x1e\x1e")};
  auto encoded = encode_payload(bytes);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, "bHh4=");
}

// ------------------------------------------------------ handshake and open

TEST(EngineIoHandshake, OpenPacketHasTheReferenceServersKeysInOrder) {
  EXPECT_EQ(open_packet_json("lv_VI97HAXpY6yYWAAAC", {"websocket"}, 25000, 5000, 1000000),
            R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
            R"("pingTimeout":5000,"maxPayload":1000000})");
  EXPECT_EQ(open_packet_json("s", {}, 1, 2, 3),
            R"({"sid":"s","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})");
}

TEST(EngineIoHandshake, ParsesWhatSocketIoClientSends) {
  auto first = parse_handshake_query("EIO=4&transport=polling&t=N8hyd6w");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, (HandshakeQuery{"4", EioTransport::polling, std::nullopt, "N8hyd6w"}));

  auto upgrade = parse_handshake_query("EIO=4&transport=websocket&sid=lv_VI97HAXpY6yYWAAAC");
  ASSERT_TRUE(upgrade.ok()) << upgrade.error().message;
  EXPECT_EQ(*upgrade,
            (HandshakeQuery{"4", EioTransport::websocket, "lv_VI97HAXpY6yYWAAAC", std::nullopt}));

  // Percent escapes, '+' for a space, the client's own parameters ignored.
  auto escaped = parse_handshake_query("token=a%2Bb+c&EIO=%34&transport=web%73ocket&t=&j=0&flag");
  ASSERT_TRUE(escaped.ok()) << escaped.error().message;
  EXPECT_EQ(*escaped, (HandshakeQuery{"4", EioTransport::websocket, std::nullopt, ""}));
}

TEST(EngineIoHandshake, RefusesOtherVersionsAndTransports) {
  expect_error(parse_handshake_query("EIO=3&transport=polling"), PacketErrorCode::unsupported,
               "version 3");
  expect_error(parse_handshake_query("EIO=abc&transport=polling"), PacketErrorCode::unsupported,
               "(not a number)");
  expect_error(parse_handshake_query("transport=polling"), PacketErrorCode::unsupported, "no EIO");
  expect_error(parse_handshake_query(""), PacketErrorCode::unsupported, "no EIO");
  expect_error(parse_handshake_query("EIO=4"), PacketErrorCode::unsupported, "no transport");
  expect_error(parse_handshake_query("EIO=4&transport=flashsocket"), PacketErrorCode::unsupported,
               "unknown transport");
  expect_error(parse_handshake_query("EIO=4&transport=Polling"), PacketErrorCode::unsupported,
               "unknown transport");
}

TEST(EngineIoHandshake, RefusesMalformedQueries) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"EIO=4&transport=polling&sid=a+b", "sid"},
      {"EIO=4&transport=polling&sid=", "sid"},
      {"EIO=4&transport=polling&sid=%22%3E", "sid"},
      {"EIO=4&transport=polling&EIO=4", "repeats 'EIO'"},
      {"EIO=4&transport=polling&transport=websocket", "repeats 'transport'"},
      {"EIO=4&transport=polling&sid=a&sid=b", "repeats 'sid'"},
      {"EIO=4&transport=polling&%45IO=4", "repeats 'EIO'"},
      {"EIO=4&transport=polling&x=%G1", "percent escape"},
      {"EIO=4&transport=polling&x=%4", "percent escape"},
      {"EIO=4&transport=polling&x=%", "percent escape"},
      {"EIO=4&&transport=polling", "empty parameter"},
      {"EIO=4&transport=polling&", "empty parameter"},
      {"&EIO=4&transport=polling", "empty parameter"},
      {"EIO=4&transport=polling&=x", "without a name"},
      {"EIO=4&transport=polling&x=%ff", "UTF-8"},
      {"EIO=4&transport=polling&x=%C0%AF", "UTF-8"},
  };
  for (const auto& [query, fragment] : cases) {
    expect_error(parse_handshake_query(query), PacketErrorCode::malformed, fragment);
  }
  const std::string long_sid = "EIO=4&transport=polling&sid=" + std::string(65, 'a');
  expect_error(parse_handshake_query(long_sid), PacketErrorCode::malformed, "sid");
  EXPECT_TRUE(parse_handshake_query("EIO=4&transport=polling&sid=" + std::string(64, 'a')).ok());
  const std::string long_query =
      "EIO=4&transport=polling&x=" + std::string(limits::kMaxHandshakeQueryBytes, 'a');
  expect_error(parse_handshake_query(long_query), PacketErrorCode::too_large, "4096");
}

// -------------------------------------------------------------- properties

namespace eio_gen {

// UTF-8 text of any code point (ASCII most often, so that short strings
// still hit the separator-free common case), surrogates excluded.
rc::Gen<std::string> utf8_text() {
  const auto code_point = rc::gen::weightedOneOf<std::uint32_t>({
      {6, rc::gen::inRange<std::uint32_t>(0, 0x80)},
      {2, rc::gen::inRange<std::uint32_t>(0x80, 0xD800)},
      {1, rc::gen::inRange<std::uint32_t>(0xE000, 0x10000)},
      {1, rc::gen::inRange<std::uint32_t>(0x10000, 0x110000)},
  });
  return rc::gen::map(rc::gen::container<std::vector<std::uint32_t>>(code_point),
                      [](const std::vector<std::uint32_t>& code_points) {
                        std::string out;
                        for (const std::uint32_t c : code_points) {
                          if (c < 0x80) {
                            out += static_cast<char>(c);
                          } else if (c < 0x800) {
                            out += static_cast<char>(0xC0 | (c >> 6));
                            out += static_cast<char>(0x80 | (c & 0x3F));
                          } else if (c < 0x10000) {
                            out += static_cast<char>(0xE0 | (c >> 12));
                            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (c & 0x3F));
                          } else {
                            out += static_cast<char>(0xF0 | (c >> 18));
                            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
                            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (c & 0x3F));
                          }
                        }
                        return out;
                      });
}

rc::Gen<EioType> type() {
  return rc::gen::element(EioType::open, EioType::close, EioType::ping, EioType::pong,
                          EioType::message, EioType::upgrade, EioType::noop);
}

// A packet as a polling payload can carry it: text without the separator.
rc::Gen<EioPacket> packet() {
  return rc::gen::oneOf(rc::gen::apply(
                            [](EioType type, std::string data) {
                              std::erase(data, '\x1e');
                              return EioPacket{type, std::move(data)};
                            },
                            type(), utf8_text()),
                        rc::gen::map(rc::gen::string<std::string>(), [](std::string bytes) {
                          return EioPacket{EioType::message, std::move(bytes), true};
                        }));
}

}  // namespace eio_gen

RC_GTEST_PROP(EngineIoProperties, DecodingAnEncodedPacketGivesItBack, ()) {
  const EioPacket packet = *eio_gen::packet();
  const std::string frame = encode_packet(packet);
  auto decoded = packet.binary
                     ? decode_binary_packet(std::span(
                           reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size()))
                     : decode_text_packet(frame);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == packet);
}

RC_GTEST_PROP(EngineIoProperties, DecodingAnEncodedPayloadGivesItBack, ()) {
  const auto packets = *rc::gen::resize(
      20, rc::gen::nonEmpty(rc::gen::container<std::vector<EioPacket>>(eio_gen::packet())));
  auto body = encode_payload(packets);
  RC_ASSERT(body.ok());
  auto decoded = decode_payload(*body);
  if (!decoded.ok()) RC_FAIL(decoded.error().message);
  RC_ASSERT(*decoded == packets);
}

RC_GTEST_PROP(EngineIoProperties, DecodersNeverThrowOnArbitraryText, ()) {
  // Arbitrary bytes, and bytes drawn mostly from the characters that matter
  // to the grammar so that near-valid input is common.
  const std::string input = *rc::gen::oneOf(
      rc::gen::string<std::string>(), rc::gen::container<std::string>(rc::gen::element<char>(
                                          '0', '4', '6', '7', 'b', 'A', 'Q', '=', '+', '/', '\x1e',
                                          '%', '&', 'E', 'I', 'O', '\xc3', '\xa9', '\xff')));
  const auto ok_or_error = [](const auto& result) {
    return result.ok() || !result.error().message.empty();
  };
  RC_ASSERT(ok_or_error(decode_text_packet(input)));
  RC_ASSERT(ok_or_error(decode_payload(input)));
  RC_ASSERT(ok_or_error(parse_handshake_query(input)));
  auto packets = decode_payload(input);
  if (packets.ok()) {
    // Whatever decodes encodes back to a body that decodes the same.
    auto body = encode_payload(*packets);
    RC_ASSERT(body.ok());
    RC_ASSERT(*decode_payload(*body) == *packets);
  }
}

}  // namespace
}  // namespace trellis::adapters
