// The receive path reads a message once, without checking it as msgpack
// first (graph_decode.cpp), and takes the reader's fast paths for the
// commonest encodings (msgpack_reader.hpp). These tests pin what that must
// not change: a fast path reads exactly what next() reads or leaves the input
// untouched; a message whose msgpack is faulty is refused with the msgpack
// fault, as when the whole input was checked first; strings are still
// checked as UTF-8 wherever their first invalid byte sits.

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "crdt/support/state_comparison.hpp"
#include "crdt/support/valid_encodings.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/limits.hpp"
#include "trellis/crdt/msgpack_reader.hpp"

namespace trellis::crdt::testkit {
namespace {

// One element in every encoding msgpack has for it, and some it never uses.
std::vector<Bytes> single_elements() {
  std::vector<Bytes> elements;
  auto add = [&](auto&& write) {
    MsgpackWriter w;
    write(w);
    elements.push_back(w.bytes());
  };
  for (std::uint64_t value : std::initializer_list<std::uint64_t>{
           0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295u, 4294967296u, UINT64_MAX}) {
    add([&](MsgpackWriter& w) { w.uint(value); });
  }
  for (std::int64_t value :
       std::initializer_list<std::int64_t>{-1, -32, -33, -129, -40000, INT64_MIN}) {
    add([&](MsgpackWriter& w) { w.sint(value); });
  }
  // Signed encodings of values >= 0 read as uint: the fast path leaves them
  // to next().
  add([](MsgpackWriter& w) { w.raw({0xd0, 0x05}); });
  add([](MsgpackWriter& w) { w.raw({0xd3, 0, 0, 0, 0, 0, 0, 1, 0}); });
  for (std::uint32_t size : {0u, 1u, 15u, 16u, 65535u, 65536u}) {
    add([&](MsgpackWriter& w) { w.raw({0xdd}).big_endian(size, 4); });  // array32, any count
    add([&](MsgpackWriter& w) { w.array(size); });
    add([&](MsgpackWriter& w) { w.map(size); });
  }
  for (std::size_t size : std::initializer_list<std::size_t>{0, 1, 31, 32, 255, 256, 70000}) {
    add([&](MsgpackWriter& w) { w.str(std::string(size, 'x')); });
    add([&](MsgpackWriter& w) { w.bin(std::string(size, 'x')); });
  }
  add([](MsgpackWriter& w) { w.raw({0xdb, 0, 0, 0, 2}).raw({'h', 'i'}); });  // str32
  add([](MsgpackWriter& w) { w.nil(); });
  add([](MsgpackWriter& w) { w.boolean(true); });
  add([](MsgpackWriter& w) { w.raw({0xca, 0x3f, 0x80, 0, 0}); });
  for (std::size_t size : std::initializer_list<std::size_t>{1, 2, 3, 4, 8, 16, 17}) {
    add([&](MsgpackWriter& w) { w.ext(1, std::string(size, 'x')); });
  }
  add([](MsgpackWriter& w) { w.raw({0xc7, 0x01, 0x02, 0x00}); });  // ext8 of 1 byte
  add([](MsgpackWriter& w) { w.raw({0xc1}); });
  return elements;
}

// `bytes` and its prefixes that cut a header (up to 9 bytes) or its last byte.
std::vector<Bytes> with_prefixes(const Bytes& bytes) {
  std::vector<Bytes> out;
  for (std::size_t size = 0; size <= bytes.size(); ++size) {
    if (size > 9 && size + 1 < bytes.size()) continue;
    out.emplace_back(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
  }
  return out;
}

// Reads `input` with next(): whether it succeeded, the element and what is left.
struct SlowRead {
  bool ok;
  MsgpackElement element;
  std::size_t remaining;
};

SlowRead slow_read(const Bytes& input) {
  MsgpackReader reader(input);
  SlowRead read{false, {}, 0};
  read.ok = reader.next(read.element);
  read.remaining = reader.remaining();
  return read;
}

// One fast path on `input`: when `fast` reads, next() read an element of
// `kind` that `same` finds equal, ending where it ended; when it does not, it
// consumed nothing and next() read no element of `kind` (or one in an
// encoding the fast path leaves to next(): `left_to_next`).
template <class Fast, class Same>
void expect_as_next(const Bytes& input, MsgpackKind kind, bool left_to_next, Fast fast, Same same) {
  const SlowRead slow = slow_read(input);
  MsgpackReader reader(input);
  if (fast(reader)) {
    ASSERT_TRUE(slow.ok);
    EXPECT_EQ(slow.element.kind, kind);
    same(slow.element);
    EXPECT_EQ(reader.remaining(), slow.remaining);
  } else {
    EXPECT_EQ(reader.remaining(), input.size());
    EXPECT_TRUE(!slow.ok || slow.element.kind != kind || left_to_next);
  }
}

TEST(MsgpackReaderFastPaths, ReadWhatNextReadsOrConsumeNothing) {
  for (const Bytes& element : single_elements()) {
    for (const Bytes& input : with_prefixes(element)) {
      SCOPED_TRACE(hex(input, 0, 16) + " (" + std::to_string(input.size()) + " bytes)");
      const std::uint8_t head = input.empty() ? 0 : input[0];
      std::uint64_t value = 0;
      expect_as_next(
          input, MsgpackKind::uint, head >= 0xd0 && head <= 0xd3,
          [&](MsgpackReader& reader) { return reader.next_uint(value); },
          [&](const MsgpackElement& slow) { EXPECT_EQ(value, slow.uint); });
      std::uint32_t count = 0;
      expect_as_next(
          input, MsgpackKind::array, false,
          [&](MsgpackReader& reader) { return reader.next_array(count); },
          [&](const MsgpackElement& slow) { EXPECT_EQ(count, slow.count); });
      std::int8_t type = 0;
      std::span<const std::uint8_t> payload;
      expect_as_next(
          input, MsgpackKind::ext, head >= 0xc7 && head <= 0xc9,
          [&](MsgpackReader& reader) { return reader.next_fixext(type, payload); },
          [&](const MsgpackElement& slow) {
            EXPECT_EQ(type, slow.ext_type);
            EXPECT_EQ(payload.data(), slow.payload.data());
            EXPECT_EQ(payload.size(), slow.payload.size());
          });
      std::string_view text;
      expect_as_next(
          input, MsgpackKind::str, false,
          [&](MsgpackReader& reader) { return reader.next_str(text); },
          [&](const MsgpackElement& slow) { EXPECT_EQ(text, slow.text()); });
    }
  }
}

// The error a decoder that checks the whole input as msgpack first gives,
// when that check finds a fault.
std::optional<Error> msgpack_fault(const Bytes& bytes) {
  const MsgpackBounds bounds{bytes.size(), bytes.size() / 2, limits::kMaxValueDepth + 8};
  const auto fault = check_msgpack(bytes, bounds);
  if (!fault) return std::nullopt;
  const std::string what(to_string(*fault));
  switch (*fault) {
    case MsgpackFault::too_many_elements:
    case MsgpackFault::too_deep:
      return make_error(ErrorCode::limit_exceeded, "msgpack limit: " + what);
    case MsgpackFault::trailing_bytes:
      return make_error(ErrorCode::malformed, "trailing bytes after the message");
    case MsgpackFault::truncated:
    case MsgpackFault::invalid_byte:
      break;
  }
  return make_error(ErrorCode::malformed, "not valid msgpack: " + what);
}

// Truncations, bytes replaced by ones that change msgpack's structure most
// (container and string headers, 0xc1) and a byte appended.
std::vector<Bytes> damaged(const Bytes& valid) {
  std::vector<Bytes> out;
  for (std::size_t size = 1; size < valid.size(); ++size) {
    out.emplace_back(valid.begin(), valid.begin() + static_cast<std::ptrdiff_t>(size));
  }
  for (std::size_t at = 0; at < valid.size(); ++at) {
    for (std::uint8_t byte : {0x9f, 0xdd, 0x8f, 0xbf, 0xdb, 0xc1, 0x00}) {
      Bytes changed = valid;
      changed[at] = byte;
      out.push_back(std::move(changed));
    }
  }
  Bytes longer = valid;
  longer.push_back(0x00);
  out.push_back(std::move(longer));
  return out;
}

TEST(GraphCodecReadOnce, AMsgpackFaultIsTheErrorAsIfCheckedFirst) {
  std::size_t faulty = 0;
  for (const Bytes& valid : valid_encodings()) {
    for (const Bytes& bytes : damaged(valid)) {
      const auto fault = msgpack_fault(bytes);
      if (!fault) continue;
      ++faulty;
      SCOPED_TRACE(hex(bytes, 0, 96));
      auto decoded = decode(bytes);
      ASSERT_FALSE(decoded.ok());
      EXPECT_EQ(decoded.error().code, fault->code);
      EXPECT_EQ(decoded.error().message, fault->message);
      GraphDoc doc = rich_state();
      auto joined = join_encoded(doc, bytes);
      ASSERT_TRUE(joined.has_value());
      EXPECT_EQ(joined->code, fault->code);
      EXPECT_EQ(joined->message, fault->message);
    }
  }
  EXPECT_GT(faulty, 1000u);  // the damage above does reach the msgpack check
}

// A string of `size` ASCII letters with `byte` at `at` (size > at).
std::string text_with(std::size_t size, std::size_t at, char byte) {
  std::string text(size, 'a');
  text[at] = byte;
  return text;
}

Bytes with_string_value(const std::string& text) {
  return transaction_with_value([text](MsgpackWriter& w) { w.str(text); });
}

TEST(GraphCodecReadOnce, EveryInvalidUtf8ByteIsFoundWhereverItSits) {
  for (std::size_t size = 1; size <= 40; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    EXPECT_TRUE(decode(with_string_value(std::string(size, 'a'))).ok());
    for (std::size_t at = 0; at < size; ++at) {
      SCOPED_TRACE("at " + std::to_string(at));
      // 0xff is never UTF-8; a lone continuation byte neither; a lead byte
      // with no continuation is refused at the end and before ASCII.
      for (char byte : {'\xff', '\x80', '\xc3'}) {
        auto decoded = decode(with_string_value(text_with(size, at, byte)));
        ASSERT_FALSE(decoded.ok());
        EXPECT_EQ(decoded.error().code, ErrorCode::malformed);
        EXPECT_EQ(decoded.error().message, "a string is not UTF-8");
      }
      // A valid two-byte character anywhere in ASCII is accepted.
      if (at + 1 < size) {
        std::string text = text_with(size, at, '\xc3');
        text[at + 1] = '\xa9';
        EXPECT_TRUE(decode(with_string_value(text)).ok());
      }
    }
  }
}

}  // namespace
}  // namespace trellis::crdt::testkit
