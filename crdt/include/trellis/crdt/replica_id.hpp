#pragma once
// ReplicaId names one replica (one client install, one server) for the lifetime
// of its state. It is injected by the caller, never generated here: the library
// has no randomness. 0 is reserved for "no replica" (a delta or a read-only
// state that cannot originate mutations).

#include <compare>
#include <cstdint>
#include <functional>

namespace trellis::crdt {

struct ReplicaId {
  std::uint64_t value = 0;

  constexpr bool is_null() const { return value == 0; }
  friend constexpr auto operator<=>(const ReplicaId&, const ReplicaId&) = default;
};

}  // namespace trellis::crdt

template <>
struct std::hash<trellis::crdt::ReplicaId> {
  std::size_t operator()(const trellis::crdt::ReplicaId& id) const noexcept {
    return std::hash<std::uint64_t>{}(id.value);
  }
};
