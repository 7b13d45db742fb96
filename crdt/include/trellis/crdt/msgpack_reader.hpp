#pragma once
// Reading msgpack straight from the received bytes, for every decoder of the
// library and of the sync protocol. No tree of msgpack::object is built, so
// decoding costs no memory beyond the value it builds, and a header that
// claims millions of elements costs nothing until the elements are there.
//
// Two parts:
//   - check_msgpack() walks the whole input once without allocating: it
//     holds exactly one complete value, no container nests deeper or
//     declares more elements than the bounds allow, no byte is invalid.
//     Its verdicts are those msgpack-c's parser gave for the same input, in
//     the same stream order, so errors keep their types.
//   - A MsgpackReader hands a decoder one element at a time, in stream order
//     (an array's or map's elements follow its header); the decoder checks
//     each element's kind and range and builds its result directly.
// A decoder may check first and then read, or (graph_decode.cpp) read first,
// trusting no declared count beyond the bytes left, and run the check only
// when reading fails, so that a msgpack fault is still the error reported.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace trellis::crdt {

// What one msgpack element is. Like msgpack-c, a signed encoding of a value
// >= 0 reads as `uint` and one < 0 as `sint`, so every integer has one kind.
enum class MsgpackKind : std::uint8_t {
  nil,
  boolean,
  uint,
  sint,
  float32,
  float64,
  str,
  bin,
  array,
  map,
  ext,
};

// One element as read: scalars carry their value, str / bin / ext their
// payload (pointing into the input), array / map their element count (the
// elements follow in the stream; a map's as key, value, key, value...).
struct MsgpackElement {
  MsgpackKind kind = MsgpackKind::nil;
  bool boolean = false;
  std::uint64_t uint = 0;
  std::int64_t sint = 0;
  double number = 0;  // float32 (widened) and float64
  std::uint32_t count = 0;
  std::int8_t ext_type = 0;
  std::span<const std::uint8_t> payload;

  std::string_view text() const {
    return std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size());
  }
};

// Why check_msgpack() refused an input.
enum class MsgpackFault : std::uint8_t {
  truncated,          // the input ends inside a value
  invalid_byte,       // 0xc1, which msgpack never uses
  too_many_elements,  // an array or map declares more than MsgpackBounds allows
  too_deep,           // more non-empty containers open at once than allowed
  trailing_bytes,     // bytes after the value
};

std::string_view to_string(MsgpackFault fault);

// Limits of check_msgpack(). Decoders derive the counts from the input size:
// every element takes at least one byte, so a larger count cannot be true.
struct MsgpackBounds {
  std::size_t max_array_elements = 0;
  std::size_t max_map_pairs = 0;
  // Non-empty arrays and maps open at once (empty ones do not count), at
  // most kMaxMsgpackDepth.
  std::size_t max_depth = 0;
};

inline constexpr std::size_t kMaxMsgpackDepth = 64;

std::optional<MsgpackFault> check_msgpack(std::span<const std::uint8_t> bytes,
                                          MsgpackBounds bounds);

// Reads elements one after another from a byte span.
class MsgpackReader {
 public:
  explicit MsgpackReader(std::span<const std::uint8_t> bytes)
      : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  // Reads the next element into `element`. Returns false, consuming nothing,
  // when the input ends inside it or its first byte is invalid (never for
  // input that check_msgpack() accepted).
  bool next(MsgpackElement& element) {
    const std::uint8_t* at = at_;
    if (!read_element(at, element)) return false;
    at_ = at;
    return true;
  }
  // Skips one whole value, containers with all their elements.
  bool skip();

  // Fast paths for the encodings nearly every element of a message uses.
  // Each reads the next element only when it is of that kind in one of the
  // encodings named, and otherwise returns false consuming nothing; next()
  // then reads whatever is there. A decoder gets the same element either way.
  bool next_uint(std::uint64_t& value);   // positive fixint, uint 8/16/32/64
  bool next_array(std::uint32_t& count);  // fixarray, array 16/32
  bool next_str(std::string_view& text);  // fixstr, str 8/16/32
  // fixext 1/2/4/8/16: `type` and the payload.
  bool next_fixext(std::int8_t& type, std::span<const std::uint8_t>& payload);

  bool at_end() const { return at_ == end_; }
  std::size_t remaining() const { return static_cast<std::size_t>(end_ - at_); }

 private:
  bool read_element(const std::uint8_t*& at, MsgpackElement& element) const;

  const std::uint8_t* at_;
  const std::uint8_t* end_;
};

namespace msgpack_detail {

// `width` is 1, 2, 4 or 8: one load each, not a loop over the bytes.
static_assert(std::endian::native == std::endian::little, "loads are byte-swapped");
inline std::uint64_t load_big_endian(const std::uint8_t* at, std::size_t width) {
  switch (width) {
    case 1:
      return at[0];
    case 2: {
      std::uint16_t value;
      std::memcpy(&value, at, sizeof value);
      return __builtin_bswap16(value);
    }
    case 4: {
      std::uint32_t value;
      std::memcpy(&value, at, sizeof value);
      return __builtin_bswap32(value);
    }
    default: {
      std::uint64_t value;
      std::memcpy(&value, at, sizeof value);
      return __builtin_bswap64(value);
    }
  }
}

}  // namespace msgpack_detail

inline bool MsgpackReader::next_uint(std::uint64_t& value) {
  if (at_ == end_) return false;
  const std::uint8_t head = *at_;
  if (head <= 0x7f) {
    value = head;
    ++at_;
    return true;
  }
  if (head < 0xcc || head > 0xcf) return false;
  const std::size_t width = std::size_t{1} << (head - 0xcc);
  if (remaining() <= width) return false;
  value = msgpack_detail::load_big_endian(at_ + 1, width);
  at_ += 1 + width;
  return true;
}

inline bool MsgpackReader::next_array(std::uint32_t& count) {
  if (at_ == end_) return false;
  const std::uint8_t head = *at_;
  if ((head & 0xf0) == 0x90) {
    count = head & 0x0f;
    ++at_;
    return true;
  }
  if (head != 0xdc && head != 0xdd) return false;
  const std::size_t width = head == 0xdc ? 2 : 4;
  if (remaining() <= width) return false;
  count = static_cast<std::uint32_t>(msgpack_detail::load_big_endian(at_ + 1, width));
  at_ += 1 + width;
  return true;
}

inline bool MsgpackReader::next_fixext(std::int8_t& type, std::span<const std::uint8_t>& payload) {
  if (at_ == end_) return false;
  const std::uint8_t head = *at_;
  if (head < 0xd4 || head > 0xd8) return false;
  const std::size_t size = std::size_t{1} << (head - 0xd4);
  if (remaining() < 2 + size) return false;
  type = static_cast<std::int8_t>(at_[1]);
  payload = std::span<const std::uint8_t>(at_ + 2, size);
  at_ += 2 + size;
  return true;
}

inline bool MsgpackReader::next_str(std::string_view& text) {
  if (at_ == end_) return false;
  const std::uint8_t head = *at_;
  std::size_t header = 1;
  std::uint64_t size;
  if ((head & 0xe0) == 0xa0) {
    size = head & 0x1f;
  } else if (head >= 0xd9 && head <= 0xdb) {
    const std::size_t width = std::size_t{1} << (head - 0xd9);
    if (remaining() <= width) return false;
    size = msgpack_detail::load_big_endian(at_ + 1, width);
    header += width;
  } else {
    return false;
  }
  if (remaining() - header < size) return false;
  text =
      std::string_view(reinterpret_cast<const char*>(at_ + header), static_cast<std::size_t>(size));
  at_ += header + size;
  return true;
}

inline bool MsgpackReader::read_element(const std::uint8_t*& at, MsgpackElement& element) const {
  using msgpack_detail::load_big_endian;
  if (at == end_) return false;
  const std::uint8_t head = *at++;
  const auto left = [&] { return static_cast<std::size_t>(end_ - at); };
  // Reads a big-endian number of `width` bytes after the head byte.
  auto number = [&](std::size_t width, std::uint64_t& out) {
    if (left() < width) return false;
    out = load_big_endian(at, width);
    at += width;
    return true;
  };
  auto payload = [&](std::uint64_t size) {
    if (left() < size) return false;
    element.payload = std::span<const std::uint8_t>(at, static_cast<std::size_t>(size));
    at += size;
    return true;
  };
  auto signed_value = [&](std::int64_t value) {
    if (value >= 0) {
      element.kind = MsgpackKind::uint;
      element.uint = static_cast<std::uint64_t>(value);
    } else {
      element.kind = MsgpackKind::sint;
      element.sint = value;
    }
    return true;
  };
  auto ext = [&](std::uint64_t size) {
    if (left() < 1 + size) return false;
    element.kind = MsgpackKind::ext;
    element.ext_type = static_cast<std::int8_t>(*at++);
    return payload(size);
  };
  std::uint64_t value = 0;
  if (head <= 0x7f) {
    element.kind = MsgpackKind::uint;
    element.uint = head;
    return true;
  }
  if (head >= 0xe0) return signed_value(static_cast<std::int8_t>(head));
  if ((head & 0xe0) == 0xa0) {
    element.kind = MsgpackKind::str;
    return payload(head & 0x1f);
  }
  if ((head & 0xf0) == 0x90 || (head & 0xf0) == 0x80) {
    element.kind = (head & 0xf0) == 0x90 ? MsgpackKind::array : MsgpackKind::map;
    element.count = head & 0x0f;
    return true;
  }
  switch (head) {
    case 0xc0:
      element.kind = MsgpackKind::nil;
      return true;
    case 0xc2:
    case 0xc3:
      element.kind = MsgpackKind::boolean;
      element.boolean = head == 0xc3;
      return true;
    case 0xc4:
    case 0xc5:
    case 0xc6:
      element.kind = MsgpackKind::bin;
      return number(std::size_t{1} << (head - 0xc4), value) && payload(value);
    case 0xc7:
    case 0xc8:
    case 0xc9:
      return number(std::size_t{1} << (head - 0xc7), value) && ext(value);
    case 0xca: {
      if (!number(4, value)) return false;
      float single;
      const auto bits = static_cast<std::uint32_t>(value);
      std::memcpy(&single, &bits, sizeof single);
      element.kind = MsgpackKind::float32;
      element.number = single;
      return true;
    }
    case 0xcb: {
      if (!number(8, value)) return false;
      element.kind = MsgpackKind::float64;
      std::memcpy(&element.number, &value, sizeof element.number);
      return true;
    }
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      if (!number(std::size_t{1} << (head - 0xcc), value)) return false;
      element.kind = MsgpackKind::uint;
      element.uint = value;
      return true;
    case 0xd0:
      return number(1, value) && signed_value(static_cast<std::int8_t>(value));
    case 0xd1:
      return number(2, value) && signed_value(static_cast<std::int16_t>(value));
    case 0xd2:
      return number(4, value) && signed_value(static_cast<std::int32_t>(value));
    case 0xd3:
      return number(8, value) && signed_value(static_cast<std::int64_t>(value));
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return ext(std::size_t{1} << (head - 0xd4));
    case 0xd9:
    case 0xda:
    case 0xdb:
      element.kind = MsgpackKind::str;
      return number(std::size_t{1} << (head - 0xd9), value) && payload(value);
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
      element.kind = head <= 0xdd ? MsgpackKind::array : MsgpackKind::map;
      if (!number(head == 0xdc || head == 0xde ? 2 : 4, value)) return false;
      element.count = static_cast<std::uint32_t>(value);
      return true;
    default:  // 0xc1
      return false;
  }
}

}  // namespace trellis::crdt
