#pragma once
// EntityKind: whether an id names a node or an edge of a GraphDoc. Nodes and
// edges live in separate id spaces ("a" may be both a node and an edge).

#include <cstdint>

namespace trellis::crdt {

enum class EntityKind : std::uint8_t { node = 0, edge = 1 };

}  // namespace trellis::crdt
