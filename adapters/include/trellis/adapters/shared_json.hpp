#pragma once
// SharedJson: JSON that nobody changes once built, shared instead of copied.

#include <memory>

#include "trellis/crdt/json.hpp"

namespace trellis::adapters {

// The frontiers of a client's shadow, the events that made them, the
// receivers of one change and the clients synced to one version of a
// document mostly hold the same objects.
using SharedJson = std::shared_ptr<const crdt::Json>;
inline SharedJson share(crdt::Json value) {
  return std::make_shared<const crdt::Json>(std::move(value));
}

}  // namespace trellis::adapters
