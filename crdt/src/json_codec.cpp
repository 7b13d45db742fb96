#include "json_codec.hpp"

#include "assign_scalar.hpp"
#include "entity_validation.hpp"

#include "trellis/crdt/value_codec.hpp"

#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>
#include <variant>

#include "trellis/crdt/limits.hpp"

namespace trellis::crdt::codec {

namespace {

constexpr double kPowersOfTen[kMaxDecimalExponent + 1] = {1e0, 1e1, 1e2, 1e3, 1e4,
                                                          1e5, 1e6, 1e7, 1e8};

// Mantissas of the decimal extension: 1 byte (fixext2) or 3 bytes (fixext4).
constexpr std::int64_t kMaxMantissa3 = (1 << 23) - 1;
constexpr std::int64_t kMinMantissa3 = -(1 << 23);

// Elements an array may reserve before they are read (values are read from
// unchecked input too, graph_decode.cpp).
constexpr std::uint32_t kTrustedCount = 16;

Error malformed(std::string message) {
  return make_error(ErrorCode::malformed, std::move(message));
}

template <class AnyPacker>
void pack_decimal(AnyPacker& packer, std::int64_t mantissa, unsigned exponent) {
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
template <class AnyPacker>
void write_float32(AnyPacker& packer, float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const char bytes[5] = {static_cast<char>(0xca), static_cast<char>(bits >> 24),
                         static_cast<char>(bits >> 16), static_cast<char>(bits >> 8),
                         static_cast<char>(bits)};
  packer.pack_str_body(bytes, sizeof bytes);
}

template <class AnyPacker>
void write_float64(AnyPacker& packer, double value) {
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  char bytes[9];
  bytes[0] = static_cast<char>(0xcb);
  for (int i = 0; i < 8; ++i)
    bytes[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
  packer.pack_str_body(bytes, sizeof bytes);
}

template <class AnyPacker>
void pack_double(AnyPacker& packer, double value) {
  const bool float32_exact =
      std::isfinite(value) && static_cast<double>(static_cast<float>(value)) == value;
  // -0.0 compares equal to 0, so a decimal would lose its sign.
  if (std::isfinite(value) && !(value == 0 && std::signbit(value))) {
    for (unsigned exponent = 0; exponent <= kMaxDecimalExponent; ++exponent) {
      const double scaled = value * kPowersOfTen[exponent];
      if (!(std::fabs(scaled) <= static_cast<double>(kMaxMantissa3))) break;
      // Rounded half away from zero, inline (llround is a call into libm).
      const auto mantissa = static_cast<std::int64_t>(scaled + std::copysign(0.5, scaled));
      // A mantissa that round-trips lies within a few ulps of `scaled`
      // (|scaled| < 2^23: under 1e-8 away); a farther one cannot, and the
      // division that would say so is skipped.
      if (std::fabs(scaled - static_cast<double>(mantissa)) > 1e-6) continue;
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

Result<Json> decimal_value(std::span<const std::uint8_t> data) {
  if (data.size() != 2 && data.size() != 4) return malformed("decimal extension has a bad size");
  double value;
  if (!read_decimal(data, value)) return malformed("decimal exponent out of range");
  return Json(value);
}

}  // namespace

std::optional<Error> check_text(std::string_view text, const char* what) {
  if (is_valid_text(text)) return std::nullopt;
  if (text.size() > limits::kMaxStringBytes) {
    return make_error(ErrorCode::limit_exceeded, std::string(what) + " is too long");
  }
  return malformed(std::string(what) + " is not UTF-8");
}

namespace {

Result<std::string> checked_text(const MsgpackElement& element, const char* what) {
  if (auto error = check_text(element.text(), what)) return *error;
  return std::string(element.text());
}

Result<Json> value_at(MsgpackReader& reader, const MsgpackElement& element, std::size_t depth);

// The next value of a container at `depth`.
Result<Json> next_value(MsgpackReader& reader, std::size_t depth) {
  MsgpackElement element;
  if (!reader.next(element)) return malformed("the input ends inside a value");
  return value_at(reader, element, depth);
}

Result<Json> value_at(MsgpackReader& reader, const MsgpackElement& element, std::size_t depth) {
  if (depth > limits::kMaxValueDepth) {
    return make_error(ErrorCode::limit_exceeded, "value nested too deeply");
  }
  switch (element.kind) {
    case MsgpackKind::nil:
      return Json(nullptr);
    case MsgpackKind::boolean:
      return Json(element.boolean);
    case MsgpackKind::uint:
      return Json(element.uint);
    case MsgpackKind::sint:
      return Json(element.sint);
    case MsgpackKind::float32:
    case MsgpackKind::float64:
      if (!std::isfinite(element.number)) return malformed("a number is not finite");
      return Json(element.number);
    case MsgpackKind::str: {
      auto text = checked_text(element, "a string");
      if (!text) return text.error();
      return Json(std::move(*text));
    }
    case MsgpackKind::array: {
      if (element.count > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded, "an array has too many elements");
      }
      Json array = Json::array();
      // Only a small count is trusted before its elements are read: nested
      // headers would multiply it.
      auto& elements = array.get_ref<Json::array_t&>();
      if (element.count <= kTrustedCount) elements.reserve(element.count);
      for (std::uint32_t i = 0; i < element.count; ++i) {
        auto value = next_value(reader, depth + 1);
        if (!value) return value;
        elements.push_back(std::move(*value));
      }
      return array;
    }
    case MsgpackKind::map: {
      if (element.count > limits::kMaxContainerElements) {
        return make_error(ErrorCode::limit_exceeded, "an object has too many members");
      }
      Json map = Json::object();
      for (std::uint32_t i = 0; i < element.count; ++i) {
        MsgpackElement key_element;
        if (!reader.next(key_element)) return malformed("the input ends inside a value");
        if (key_element.kind != MsgpackKind::str) return malformed("an object key is not a string");
        auto key = checked_text(key_element, "an object key");
        if (!key) return key.error();
        auto value = next_value(reader, depth + 1);
        if (!value) return value;
        if (!map.emplace(std::move(*key), std::move(*value)).second) {
          return malformed("an object has a duplicate key");
        }
      }
      return map;
    }
    case MsgpackKind::ext:
      if (element.ext_type == kDecimalExt) return decimal_value(element.payload);
      return malformed("unexpected extension type in a value");
    case MsgpackKind::bin:
      return malformed("binary data is not a JSON value");
  }
  return malformed("unknown msgpack type");
}

}  // namespace

bool read_decimal(std::span<const std::uint8_t> payload, double& value) {
  if (payload.size() != 2 && payload.size() != 4) return false;
  const unsigned exponent = payload[0];
  if (exponent > kMaxDecimalExponent) return false;
  std::int64_t mantissa;
  if (payload.size() == 2) {
    mantissa = static_cast<std::int8_t>(payload[1]);
  } else {
    std::int32_t bits = (payload[1] << 16) | (payload[2] << 8) | payload[3];
    if (bits & 0x800000) bits -= 0x1000000;
    mantissa = bits;
  }
  value = static_cast<double>(mantissa) / kPowersOfTen[exponent];
  return true;
}

namespace {

// The bytes of a scalar, for every packer: pack_value_onto's scalar cases
// and pack_scalar, so that a value has one layout whichever form it came in.
template <class AnyPacker>
void pack_scalar_onto(AnyPacker& packer, const FieldScalar& value) {
  std::visit(
      [&](auto scalar) {
        using T = decltype(scalar);
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          packer.pack_nil();
        } else if constexpr (std::is_same_v<T, bool>) {
          scalar ? packer.pack_true() : packer.pack_false();
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          packer.pack_int64(scalar);
        } else if constexpr (std::is_same_v<T, std::uint64_t>) {
          packer.pack_uint64(scalar);
        } else if constexpr (std::is_same_v<T, double>) {
          pack_double(packer, scalar);
        } else {
          packer.pack_str(static_cast<std::uint32_t>(scalar.size()));
          packer.pack_str_body(scalar.data(), static_cast<std::uint32_t>(scalar.size()));
        }
      },
      value);
}

// The one implementation of both packers' overloads below.
template <class AnyPacker>
void pack_value_onto(AnyPacker& packer, const Json& value) {
  switch (value.type()) {
    case Json::value_t::array:
      packer.pack_array(static_cast<std::uint32_t>(value.size()));
      for (const auto& element : value)
        pack_value_onto(packer, element);
      return;
    case Json::value_t::object:
      packer.pack_map(static_cast<std::uint32_t>(value.size()));
      for (const auto& [key, element] : value.items()) {
        packer.pack_str(static_cast<std::uint32_t>(key.size()));
        packer.pack_str_body(key.data(), static_cast<std::uint32_t>(key.size()));
        pack_value_onto(packer, element);
      }
      return;
    case Json::value_t::binary:
    case Json::value_t::discarded:
      // Mutators and decoders never admit these (entity_validation.cpp).
      packer.pack_nil();
      return;
    default:
      pack_scalar_onto(packer, *scalar_of(value));
      return;
  }
}

template <class AnyPacker>
void pack_tombstone_onto(AnyPacker& packer) {
  const char zero = 0;
  packer.pack_ext(1, kTombstoneExt);
  packer.pack_ext_body(&zero, 1);
}

template <class AnyPacker>
void pack_field_value_onto(AnyPacker& packer, const std::optional<Json>& value) {
  if (value) {
    pack_value_onto(packer, *value);
  } else {
    pack_tombstone_onto(packer);
  }
}

template <class AnyPacker>
void pack_field_value_onto(AnyPacker& packer, const std::optional<FieldValue>& value) {
  if (!value) {
    pack_tombstone_onto(packer);
  } else if (const Json* boxed = value->boxed()) {
    pack_value_onto(packer, *boxed);
  } else {
    pack_scalar_onto(packer, *value->scalar());
  }
}

// A scalar read off the wire into a field value, in place where it can be.
void store_scalar(std::optional<Json>& value, const FieldScalar& scalar) {
  value.emplace(to_json(scalar));
}
void store_scalar(std::optional<FieldValue>& value, const FieldScalar& scalar) {
  assign_scalar(value, scalar);
}

// read_field_value for either form of a field value.
template <class Value>
std::optional<Error> read_field_value_into(MsgpackReader& reader, std::optional<Value>& value) {
  // The commonest values first: integers and strings (value_at's checks).
  std::uint64_t number;
  if (reader.next_uint(number)) {
    store_scalar(value, number);
    return std::nullopt;
  }
  std::string_view text;
  if (reader.next_str(text)) {
    if (auto error = check_text(text, "a string")) return error;
    store_scalar(value, text);
    return std::nullopt;
  }
  MsgpackElement element;
  if (reader.next_fixext(element.ext_type, element.payload)) {
    element.kind = MsgpackKind::ext;
    if (element.ext_type == kDecimalExt) {
      double decimal;
      if (!read_decimal(element.payload, decimal)) {
        return decimal_value(element.payload).error();
      }
      store_scalar(value, decimal);
      return std::nullopt;
    }
  } else if (!reader.next(element)) {
    return malformed("the input ends inside a value");
  }
  if (element.kind == MsgpackKind::ext && element.ext_type == kTombstoneExt) {
    if (element.payload.size() != 1 || element.payload[0] != 0) {
      return malformed("tombstone extension has a bad payload");
    }
    value.reset();
    return std::nullopt;
  }
  auto read = value_at(reader, element, 1);
  if (!read) return read.error();
  value.emplace(std::move(*read));
  return std::nullopt;
}

}  // namespace

void pack_value(Packer& packer, const Json& value) {
  pack_value_onto(packer, value);
}

void pack_field_value(Packer& packer, const std::optional<Json>& value) {
  pack_field_value_onto(packer, value);
}

std::size_t packed_bound(const std::optional<Json>& value) {
  if (!value) return 3;  // fixext1
  const std::optional<FieldScalar> scalar = scalar_of(*value);
  return scalar ? packed_bound(*scalar) : 0;
}

void pack_field_value(ReservedPacker& packer, const std::optional<Json>& value) {
  pack_field_value_onto(packer, value);
}

void pack_field_value(Packer& packer, const std::optional<FieldValue>& value) {
  pack_field_value_onto(packer, value);
}

std::size_t packed_bound(const FieldScalar& value) {
  const std::string_view* text = std::get_if<std::string_view>(&value);
  return text ? 5 + text->size() : 9;
}

void pack_scalar(ReservedPacker& packer, const FieldScalar& value) {
  pack_scalar_onto(packer, value);
}

std::optional<Error> check_encoding(std::span<const std::uint8_t> bytes, std::size_t max_depth) {
  // Every element takes at least one byte (a map pair two): no count may
  // exceed the input size, so a forged count is refused at its header.
  const MsgpackBounds bounds{bytes.size(), bytes.size() / 2, max_depth};
  const auto fault = check_msgpack(bytes, bounds);
  if (!fault) return std::nullopt;
  switch (*fault) {
    case MsgpackFault::too_many_elements:
    case MsgpackFault::too_deep:
      return make_error(ErrorCode::limit_exceeded,
                        "msgpack limit: " + std::string(to_string(*fault)));
    case MsgpackFault::trailing_bytes:
      return malformed("trailing bytes after the message");
    case MsgpackFault::truncated:
    case MsgpackFault::invalid_byte:
      break;
  }
  return malformed("not valid msgpack: " + std::string(to_string(*fault)));
}

Result<Json> read_value(MsgpackReader& reader) {
  return next_value(reader, 1);
}

std::optional<Error> read_field_value(MsgpackReader& reader, std::optional<Json>& value) {
  return read_field_value_into(reader, value);
}

std::optional<Error> read_field_value(MsgpackReader& reader, std::optional<FieldValue>& value) {
  return read_field_value_into(reader, value);
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
  if (auto error = codec::check_encoding(bytes, limits::kMaxValueDepth + 1)) return *error;
  MsgpackReader reader(bytes);
  return codec::read_value(reader);
}

}  // namespace trellis::crdt
