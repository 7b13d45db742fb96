#include "trellis/crdt/field_key.hpp"

namespace trellis::crdt {

std::string to_string(const FieldKey& key) {
  return key.is_data() ? "data." + std::string(key.name) : std::string(key.name);
}

}  // namespace trellis::crdt
