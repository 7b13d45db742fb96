#pragma once
// MsgpackWriter builds msgpack bytes element by element, for codec tests that
// need inputs the encoder never writes (wrong types, unsorted keys, forged
// lengths). format_of() reads back the format number of an encoding;
// element_count() and with_element_replaced() address the elements of an
// encoding in pre-order (map keys and values included) to swap one of them
// for a value of another type.

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {

class MsgpackWriter {
 public:
  MsgpackWriter& array(std::uint32_t size) { return packer_.pack_array(size), *this; }
  MsgpackWriter& map(std::uint32_t size) { return packer_.pack_map(size), *this; }
  MsgpackWriter& uint(std::uint64_t value) { return packer_.pack_uint64(value), *this; }
  MsgpackWriter& sint(std::int64_t value) { return packer_.pack_int64(value), *this; }
  MsgpackWriter& nil() { return packer_.pack_nil(), *this; }
  MsgpackWriter& boolean(bool value) {
    return (value ? packer_.pack_true() : packer_.pack_false()), *this;
  }
  // Floats are written byte by byte: msgpack-c's pack_double/pack_float
  // write an integral value (1.0, -0.0) as an integer.
  MsgpackWriter& f64(double value) {
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return raw({0xcb}).big_endian(bits, 8);
  }
  MsgpackWriter& f32(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return raw({0xca}).big_endian(bits, 4);
  }
  MsgpackWriter& str(std::string_view text) {
    packer_.pack_str(static_cast<std::uint32_t>(text.size()));
    packer_.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
    return *this;
  }
  MsgpackWriter& bin(std::string_view data) {
    packer_.pack_bin(static_cast<std::uint32_t>(data.size()));
    packer_.pack_bin_body(data.data(), static_cast<std::uint32_t>(data.size()));
    return *this;
  }
  MsgpackWriter& ext(std::int8_t type, std::string_view payload) {
    packer_.pack_ext(payload.size(), type);
    packer_.pack_ext_body(payload.data(), static_cast<std::uint32_t>(payload.size()));
    return *this;
  }
  // Bytes written as they are (headers with forged lengths, invalid bytes).
  MsgpackWriter& raw(std::initializer_list<std::uint8_t> bytes) {
    for (std::uint8_t byte : bytes)
      buffer_.write(reinterpret_cast<const char*>(&byte), 1);
    return *this;
  }
  MsgpackWriter& raw(std::span<const std::uint8_t> bytes) {
    buffer_.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return *this;
  }

  MsgpackWriter& big_endian(std::uint64_t value, int size) {
    for (int i = size - 1; i >= 0; --i) {
      const auto byte = static_cast<char>(value >> (8 * i));
      buffer_.write(&byte, 1);
    }
    return *this;
  }

  Bytes bytes() const {
    return Bytes(reinterpret_cast<const std::uint8_t*>(buffer_.data()),
                 reinterpret_cast<const std::uint8_t*>(buffer_.data()) + buffer_.size());
  }

 private:
  msgpack::sbuffer buffer_;
  msgpack::packer<msgpack::sbuffer> packer_{buffer_};
};

// The format number an encoding starts with, or nothing when it is not a
// msgpack array starting with an unsigned integer.
inline std::optional<std::uint64_t> format_of(std::span<const std::uint8_t> bytes) {
  try {
    const msgpack::object_handle handle =
        msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const msgpack::object& root = handle.get();
    if (root.type != msgpack::type::ARRAY || root.via.array.size == 0) return std::nullopt;
    const msgpack::object& format = root.via.array.ptr[0];
    if (format.type != msgpack::type::POSITIVE_INTEGER) return std::nullopt;
    return format.via.u64;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

namespace detail {

inline void repack(const msgpack::object& object, msgpack::packer<msgpack::sbuffer>& packer,
                   msgpack::sbuffer& buffer, std::size_t& next, std::size_t target,
                   const Bytes& replacement) {
  if (next++ == target) {
    buffer.write(reinterpret_cast<const char*>(replacement.data()), replacement.size());
    return;
  }
  switch (object.type) {
    case msgpack::type::ARRAY:
      packer.pack_array(object.via.array.size);
      for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
        repack(object.via.array.ptr[i], packer, buffer, next, target, replacement);
      }
      return;
    case msgpack::type::MAP:
      packer.pack_map(object.via.map.size);
      for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
        repack(object.via.map.ptr[i].key, packer, buffer, next, target, replacement);
        repack(object.via.map.ptr[i].val, packer, buffer, next, target, replacement);
      }
      return;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: {
      // Byte by byte, as MsgpackWriter does: msgpack-c would write an
      // integral float as an integer.
      MsgpackWriter writer;
      if (object.type == msgpack::type::FLOAT32) {
        writer.f32(static_cast<float>(object.via.f64));
      } else {
        writer.f64(object.via.f64);
      }
      const Bytes bytes = writer.bytes();
      buffer.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      return;
    }
    default:
      packer.pack(object);
  }
}

}  // namespace detail

// `bytes` (one msgpack value) with its element number `index` replaced by the
// msgpack value `replacement`; an index past the last element changes
// nothing (the value is re-packed as it was).
inline Bytes with_element_replaced(const Bytes& bytes, std::size_t index,
                                   const Bytes& replacement) {
  const msgpack::object_handle handle =
      msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  std::size_t next = 0;
  detail::repack(handle.get(), packer, buffer, next, index, replacement);
  return Bytes(reinterpret_cast<const std::uint8_t*>(buffer.data()),
               reinterpret_cast<const std::uint8_t*>(buffer.data()) + buffer.size());
}

inline std::size_t element_count(const Bytes& bytes) {
  const msgpack::object_handle handle =
      msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  std::size_t next = 0;
  detail::repack(handle.get(), packer, buffer, next, SIZE_MAX, {});
  return next;
}

}  // namespace trellis::crdt::testkit
