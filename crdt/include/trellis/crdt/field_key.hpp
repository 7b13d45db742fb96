#pragma once
// FieldKey names one last-writer-wins field of a node or edge: either a
// top-level field of the React Flow object (`type`, `position`, `width`,
// `parentId`, `source`, ...) or one key of its `data` object. Each key of
// `data` is its own field, so concurrent edits of two parameters of one node
// both survive. Top-level fields sort before data keys.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace trellis::crdt {

struct FieldKey {
  enum class Scope : std::uint8_t { top = 0, data = 1 };

  Scope scope = Scope::top;
  std::string name;

  static FieldKey top(std::string_view name) { return FieldKey{Scope::top, std::string(name)}; }
  static FieldKey data(std::string_view name) { return FieldKey{Scope::data, std::string(name)}; }

  bool is_data() const { return scope == Scope::data; }
  friend auto operator<=>(const FieldKey&, const FieldKey&) = default;
};

// "name" for top-level fields, "data.name" for data keys (for messages).
std::string to_string(const FieldKey& key);

}  // namespace trellis::crdt
