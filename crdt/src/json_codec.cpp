#include "json_codec.hpp"

#include "entity_validation.hpp"

#include "trellis/crdt/value_codec.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "trellis/crdt/limits.hpp"

namespace trellis::crdt::codec {

namespace {

constexpr double kPowersOfTen[kMaxDecimalExponent + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                          1e5, 1e6, 1e7, 1e8};

// Mantissas of the decimal extension: 1 byte (fixext2) or 3 bytes (fixext4).
constexpr std::int64_t kMaxMantissa3 = (1 << 23) - 1;
constexpr std::int64_t kMinMantissa3 = -(1 << 23);

Error malformed(std::string message) {
  return make_error(ErrorCode::malformed, std::move(message));
}

void pack_decimal(Packer& packer, std::int64_t mantissa, unsigned exponent) {
  if (mantissa >= -128 && mantissa <= 127) {
    const char data[2] = {static_cast<char>(exponent), static_cast<char>(mantissa)};
    packer.pack_ext(2, kDecimalExt);
    packer.pack_ext_body(data, 2);
    return;
  }
  const auto bits = static_cast<std::uint32_t>(mantissa) & 0xFFFFFFu;
  const char data[4] = {static_cast<char>(exponent), static_cast<char>(bits >> 16),
                        static_cast<char>(bits >> 8), static_cast<char>(bits)};
  packer.pack_ext(4, kDecimalExt);
  packer.pack_ext_body(data, 4);
}

// msgpack-c's pack_float/pack_double write an integral value as an integer,
// which would turn the JSON float 600.0 into the integer 600 (and give equal
// states different bytes). Floats are therefore written here, byte by byte;
// pack_str_body appends raw bytes without a header.
void write_float32(Packer& packer, float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const char bytes[5] = {static_cast<char>(0xca), static_cast<char>(bits >> 24),
                         static_cast<char>(bits >> 16), static_cast<char>(bits >> 8),
                         static_cast<char>(bits)};
  packer.pack_str_body(bytes, sizeof bytes);
}

void write_float64(Packer& packer, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char bytes[9];
  bytes[0] = static_cast<char>(0xcb);
  for (int i = 0; i < 8; ++i)
    bytes[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
  packer.pack_str_body(bytes, sizeof bytes);
}

void pack_double(Packer& packer, double value) {
  const bool float32_exact =
      std::isfinite(value) && static_cast<double>(static_cast<float>(value)) == value;
  // -0.0 compares equal to 0, so a decimal would lose its sign.
  if (std::isfinite(value) && !(value == 0 && std::signbit(value))) {
    for (unsigned exponent = 0; exponent <= kMaxDecimalExponent; ++exponent) {
      const double scaled = value * kPowersOfTen[exponent];
      if (!(std::fabs(scaled) <= static_cast<double>(kMaxMantissa3))) break;
      const auto mantissa = static_cast<std::int64_t>(std::llround(scaled));
      if (static_cast<double>(mantissa) / kPowersOfTen[exponent] == value) {
        // A 3-byte mantissa takes 6 bytes; float32 takes 5 where it is exact.
        if ((mantissa < -128 || mantissa > 127) && float32_exact) break;
        pack_decimal(packer, mantissa, exponent);
        return;
      }
    }
  }
  if (float32_exact) {
    write_float32(packer, static_cast<float>(value));
    return;
  }
  write_float64(packer, value);
}

Result<Json> unpack_decimal(const msgpack::object_ext& ext) {
  if (ext.size != 2 && ext.size != 4) return malformed("decimal extension has a bad size");
  // ext.size counts the payload only; data() skips the type byte.
  const auto* data = reinterpret_cast<const std::uint8_t*>(ext.data());
  const unsigned exponent = data[0];
  if (exponent > kMaxDecimalExponent) return malformed("decimal exponent out of range");
  std::int64_t mantissa;
  if (ext.size == 2) {
    mantissa = static_cast<std::int8_t>(data[1]);
  } else {
    std::int32_t bits = (data[1] << 16) | (data[2] << 8) | data[3];
    if (bits & 0x800000) bits -= 0x1000000;
    mantissa = bits;
  }
  return Json(static_cast<double>(mantissa) / kPowersOfTen[exponent]);
}

Result<Json> unpack_at(const msgpack::object& object, std::size_t depth) {
  if (depth > limits::kMaxValueDepth) {
    return make_error(ErrorCode::limit_exceeded, "value nested too deeply");
  }
  switch (object.type) {
    case msgpack::type::NIL:
      return Json(nullptr);
    case msgpack::type::BOOLEAN:
      return Json(object.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      return Json(object.via.u64);
    case msgpack::type::NEGATIVE_INTEGER:
      return Json(object.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(object.via.f64)) return malformed("a number is not finite");
      return Json(object.via.f64);
    case msgpack::type::STR:
      if (object.via.str.size > limits::kMaxStringBytes) {
        return make_error(ErrorCode::limit_exceeded, "a string is too long");
      }
      if (!is_valid_utf8(std::string_view(object.via.str.ptr, object.via.str.size))) {
        return malformed("a string is not UTF-8");
      }
      return Json(std::string(object.via.str.ptr, object.via.str.size));
    case msgpack::type::ARRAY: {
      if (object.via.array.size > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded, "an array has too many elements");
      }
      Json array = Json::array();
      array.get_ref<Json::array_t&>().reserve(object.via.array.size);
      for (std::uint32_t i = 0; i < object.via.array.size; ++i) {
        auto element = unpack_at(object.via.array.ptr[i], depth + 1);
        if (!element) return element;
        array.push_back(std::move(*element));
      }
      return array;
    }
    case msgpack::type::MAP: {
      if (object.via.map.size > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded, "an object has too many members");
      }
      Json map = Json::object();
      for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
        const auto& pair = object.via.map.ptr[i];
        if (pair.key.type != msgpack::type::STR) return malformed("an object key is not a string");
        if (pair.key.via.str.size > limits::kMaxStringBytes) {
          return make_error(ErrorCode::limit_exceeded, "an object key is too long");
        }
        std::string key(pair.key.via.str.ptr, pair.key.via.str.size);
        if (!is_valid_utf8(key)) return malformed("an object key is not UTF-8");
        auto element = unpack_at(pair.val, depth + 1);
        if (!element) return element;
        if (!map.emplace(std::move(key), std::move(*element)).second) {
          return malformed("an object has a duplicate key");
        }
      }
      return map;
    }
    case msgpack::type::EXT:
      if (object.via.ext.type() == kDecimalExt) return unpack_decimal(object.via.ext);
      return malformed("unexpected extension type in a value");
    case msgpack::type::BIN:
      return malformed("binary data is not a JSON value");
  }
  return malformed("unknown msgpack type");
}

}  // namespace

void pack_value(Packer& packer, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      packer.pack_nil();
      return;
    case Json::value_t::boolean:
      value.get<bool>() ? packer.pack_true() : packer.pack_false();
      return;
    case Json::value_t::number_unsigned:
      packer.pack_uint64(value.get<std::uint64_t>());
      return;
    case Json::value_t::number_integer:
      packer.pack_int64(value.get<std::int64_t>());
      return;
    case Json::value_t::number_float:
      pack_double(packer, value.get<double>());
      return;
    case Json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      packer.pack_str(static_cast<std::uint32_t>(text.size()));
      packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
      return;
    }
    case Json::value_t::array:
      packer.pack_array(static_cast<std::uint32_t>(value.size()));
      for (const auto& element : value)
        pack_value(packer, element);
      return;
    case Json::value_t::object:
      packer.pack_map(static_cast<std::uint32_t>(value.size()));
      for (const auto& [key, element] : value.items()) {
        packer.pack_str(static_cast<std::uint32_t>(key.size()));
        packer.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        pack_value(packer, element);
      }
      return;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      // Mutators and decoders never admit these (entity_validation.cpp).
      packer.pack_nil();
      return;
  }
}

void pack_field_value(Packer& packer, const std::optional<Json>& value) {
  if (value) {
    pack_value(packer, *value);
    return;
  }
  const char zero = 0;
  packer.pack_ext(1, kTombstoneExt);
  packer.pack_ext_body(&zero, 1);
}

Result<Json> unpack_value(const msgpack::object& object) {
  return unpack_at(object, 1);
}

Result<std::optional<Json>> unpack_field_value(const msgpack::object& object) {
  if (object.type == msgpack::type::EXT && object.via.ext.type() == kTombstoneExt) {
    if (object.via.ext.size != 1 || object.via.ext.data()[0] != 0) {
      return malformed("tombstone extension has a bad payload");
    }
    return std::optional<Json>();
  }
  auto value = unpack_value(object);
  if (!value) return value.error();
  return std::optional<Json>(std::move(*value));
}

}  // namespace trellis::crdt::codec

namespace trellis::crdt {

Bytes encode_value(const Json& value) {
  Bytes out;
  codec::ByteWriter writer{&out};
  codec::Packer packer(writer);
  codec::pack_value(packer, value);
  return out;
}

Result<Json> decode_value(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return make_error(ErrorCode::malformed, "empty input");
  if (bytes.size() > limits::kMaxEncodedBytes) {
    return make_error(ErrorCode::limit_exceeded, "value is too large");
  }
  const std::size_t size = bytes.size();
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, limits::kMaxValueDepth + 1);
  msgpack::zone zone;
  std::size_t offset = 0;
  msgpack::object object;
  try {
    bool referenced = false;
    object = msgpack::unpack(
        zone, reinterpret_cast<const char*>(bytes.data()), size, offset, referenced,
        [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limit);
  } catch (const msgpack::size_overflow& error) {
    return make_error(ErrorCode::limit_exceeded, std::string("msgpack limit: ") + error.what());
  } catch (const std::exception& error) {
    return make_error(ErrorCode::malformed, std::string("not valid msgpack: ") + error.what());
  }
  if (offset != size) return make_error(ErrorCode::malformed, "trailing bytes after the value");
  return codec::unpack_value(object);
}

}  // namespace trellis::crdt
