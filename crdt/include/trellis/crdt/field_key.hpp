#pragma once
// FieldKey names one last-writer-wins field of a node or edge: either a
// top-level field of the React Flow object (`type`, `position`, `width`,
// `parentId`, `source`, ...) or one key of its `data` object. Each key of
// `data` is its own field, so concurrent edits of two parameters of one node
// both survive. Top-level fields sort before data keys.

#include <compare>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "trellis/crdt/field_name.hpp"

namespace trellis::crdt {

// 16 bytes, aligned to one (FieldName): a field's entry in its entity's map
// holds one.
struct FieldKey {
  enum class Scope : std::uint8_t { top = 0, data = 1 };

  Scope scope = Scope::top;
  FieldName name;

  static FieldKey top(std::string_view name) { return FieldKey{Scope::top, FieldName(name)}; }
  static FieldKey data(std::string_view name) { return FieldKey{Scope::data, FieldName(name)}; }

  bool is_data() const { return scope == Scope::data; }
  friend auto operator<=>(const FieldKey&, const FieldKey&) = default;
};

// A FieldKey that does not own its name: decoders look a field up by the
// bytes they received, and build a FieldKey only for a field that is new.
// Ordered against FieldKey exactly as FieldKey is ordered.
struct FieldKeyView {
  FieldKey::Scope scope = FieldKey::Scope::top;
  std::string_view name;
};

// Names are a few bytes: compared inline, where std::string's compare calls
// out to memcmp.
inline std::strong_ordering compare_names(std::string_view a, std::string_view b) {
  const std::size_t common = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < common; ++i) {
    if (a[i] != b[i]) {
      return static_cast<unsigned char>(a[i]) <=> static_cast<unsigned char>(b[i]);
    }
  }
  return a.size() <=> b.size();
}

inline std::strong_ordering operator<=>(const FieldKey& key, const FieldKeyView& view) {
  if (key.scope != view.scope) return key.scope <=> view.scope;
  return compare_names(key.name, view.name);
}
// Equality of names (and ids, entity_map.hpp), inline: sizes first, then a
// name of up to 16 bytes in two overlapping loads (or three bytes) from each
// side rather than a loop; longer ones through memcmp.
inline bool names_equal(std::string_view a, std::string_view b) {
  const std::size_t size = a.size();
  if (size != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  const auto same = [&](std::size_t at, auto word) {
    decltype(word) left;
    decltype(word) right;
    std::memcpy(&left, x + at, sizeof word);
    std::memcpy(&right, y + at, sizeof word);
    return left == right;
  };
  if (size > 16) return std::memcmp(x, y, size) == 0;
  if (size >= 8) return same(0, std::uint64_t{}) && same(size - 8, std::uint64_t{});
  if (size >= 4) return same(0, std::uint32_t{}) && same(size - 4, std::uint32_t{});
  if (size == 0) return true;
  return x[0] == y[0] && x[size / 2] == y[size / 2] && x[size - 1] == y[size - 1];
}

inline bool operator==(const FieldKey& key, const FieldKeyView& view) {
  return key.scope == view.scope && names_equal(key.name, view.name);
}

// LwwMap's one-byte fingerprint of a key (lww_map.hpp), the same for a
// FieldKey and its view. The names of one node's fields mostly differ in
// their length or their last bytes ("p0".."p4"), which the low byte of this
// sum keeps apart.
inline std::uint8_t lww_key_print(FieldKey::Scope scope, std::string_view name) {
  std::uint32_t print = static_cast<std::uint32_t>(scope) * 0x9Du + name.size();
  for (char c : name)
    print = print * 31u + static_cast<unsigned char>(c);
  return static_cast<std::uint8_t>(print ^ (print >> 8));
}
inline std::uint8_t lww_key_print(const FieldKey& key) {
  return lww_key_print(key.scope, key.name);
}
inline std::uint8_t lww_key_print(const FieldKeyView& view) {
  return lww_key_print(view.scope, view.name);
}

inline FieldKey owned_key(const FieldKeyView& view) {
  return FieldKey{view.scope, FieldName(view.name)};
}

// "name" for top-level fields, "data.name" for data keys (for messages).
std::string to_string(const FieldKey& key);

}  // namespace trellis::crdt
