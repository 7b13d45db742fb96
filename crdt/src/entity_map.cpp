#include "trellis/crdt/entity_map.hpp"

#include <stdexcept>

namespace trellis::crdt {

EntityMap::EntityMap(const EntityMap& other) : slots_(other.slots_) {
  // The same positions, so the copied slots point at the copies.
  entities_.reserve(other.entities_.size());
  for (const auto& entity : other.entities_)
    entities_.push_back(std::make_unique<Node>(entity->value));
}

EntityMap& EntityMap::operator=(const EntityMap& other) {
  if (this != &other) *this = EntityMap(other);
  return *this;
}

EntityState& EntityMap::at(std::string_view id) {
  const std::size_t at = find_slot(id);
  if (at == kNone) throw std::out_of_range("EntityMap::at: no entity '" + std::string(id) + "'");
  return entities_[slots_[at].index]->value.second;
}

const EntityState& EntityMap::at(std::string_view id) const {
  return const_cast<EntityMap&>(*this).at(id);
}

std::size_t EntityMap::free_slot(std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = hash & mask;
  while (slots_[at].index != kEmpty)
    at = (at + 1) & mask;
  return at;
}

std::size_t EntityMap::slot_of(std::size_t index, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  std::size_t at = hash & mask;
  while (slots_[at].index != index)
    at = (at + 1) & mask;
  return at;
}

EntityMap::iterator EntityMap::erase(const_iterator position) {
  const std::size_t index = static_cast<std::size_t>(position.at_ - entities_.data());
  const std::size_t mask = slots_.size() - 1;
  // Backward-shift deletion: every slot after the hole, up to the next free
  // one, moves into the hole when the hole lies between its home and it, so
  // no probe sequence is cut short and no tombstone is needed.
  std::size_t hole = slot_of(index, hash_of(entities_[index]->value.first));
  for (std::size_t next = (hole + 1) & mask; slots_[next].index != kEmpty;
       next = (next + 1) & mask) {
    const std::size_t home = slots_[next].hash & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole].index = kEmpty;
  // The last entity takes the erased one's place.
  const std::size_t last = entities_.size() - 1;
  if (index != last) {
    slots_[slot_of(last, hash_of(entities_[last]->value.first))].index =
        static_cast<std::uint32_t>(index);
    entities_[index] = std::move(entities_[last]);
  }
  entities_.pop_back();
  return iterator(entities_.data() + index);
}

std::size_t EntityMap::erase(std::string_view id) {
  const auto it = find(id);
  if (it == end()) return 0;
  erase(it);
  return 1;
}

void EntityMap::reserve(std::size_t count) {
  std::size_t capacity = slots_.empty() ? 8 : slots_.size();
  while (count * 4 > capacity * 3)
    capacity *= 2;
  if (capacity != slots_.size()) rehash(capacity);
  entities_.reserve(count);
}

void EntityMap::rehash(std::size_t capacity) {
  std::vector<Slot> slots(capacity, Slot{0, kEmpty});
  const std::size_t mask = capacity - 1;
  for (const Slot& slot : slots_) {
    if (slot.index == kEmpty) continue;
    std::size_t at = slot.hash & mask;
    while (slots[at].index != kEmpty)
      at = (at + 1) & mask;
    slots[at] = slot;
  }
  slots_ = std::move(slots);
}

bool operator==(const EntityMap& a, const EntityMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [id, state] : a) {
    const auto it = b.find(id);
    if (it == b.end() || !(it->second == state)) return false;
  }
  return true;
}

}  // namespace trellis::crdt
