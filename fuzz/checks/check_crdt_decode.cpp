#include "checks.hpp"
#include "crdt_state_checks.hpp"
#include "invariant.hpp"

namespace trellis::fuzz {

Violation check_crdt_decode(const std::uint8_t* data, std::size_t size) {
  return guarded([&] { check_encoded_state({data, size}); });
}

}  // namespace trellis::fuzz
