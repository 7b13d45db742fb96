#include "trellis/crdt/field_key.hpp"

namespace trellis::crdt {

std::string to_string(const FieldKey& key) {
  return key.is_data() ? "data." + key.name : key.name;
}

}  // namespace trellis::crdt
