#pragma once
// EntityState, one node or edge of a GraphDoc, and EntityMap, the id ->
// EntityState map that holds a document's nodes (or its edges).
//
// EntityMap is an open-addressing hash index over entities allocated one by
// one. Every received edit looks its entity up by id, in a document much
// larger than the cache, so a lookup is built to touch little memory: the
// index is an array of 8-byte slots (32 bits of the id's hash and the
// entity's position), probed linearly, and an entity's own memory is read
// only when a slot's hash matches. std::unordered_map reads the bucket, the
// node before the one sought and the nodes of the bucket, rehashing each
// key to see where the bucket ends: about twice the cache misses.
//
// An entity stays where it was allocated until it is erased: references and
// pointers to an id or a state stay valid across inserts (GraphDoc's dot
// index keeps pointers to ids); iterators do not, as with unordered_map's
// rehash. Iteration order is unspecified. erase(it) returns an iterator to
// an element not yet visited (the last one takes the erased one's place),
// so erasing while iterating visits every element once.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "trellis/crdt/dot_set.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/field_value.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/lww_map.hpp"

namespace trellis::crdt {

// The fields of one node or edge: FieldKey -> FieldValue, last writer wins.
// An entry is a 16-byte key, a 16-byte optional value and a 24-byte stamp:
// a node's five parameters take 280 bytes, where a std::string key and a
// Json value took 440 and a heap string per text value (docs/performance.md,
// "The compact field store").
using FieldMap = LwwMap<FieldKey, FieldValue>;
static_assert(sizeof(FieldMap::Entry) == 56);

// One node or edge: the dots that keep it present, and its fields. An entity
// with no dots is absent (removed, or only ever updated concurrently with its
// removal); its fields are kept so that a concurrent re-add finds them.
struct EntityState {
  // Fields first: with the id before them, a field lookup finds the id, the
  // field vector and its fingerprints in the entity's first cache line (see
  // EntityMap::Node).
  FieldMap fields;
  DotSet dots;

  bool present() const { return !dots.empty(); }
  bool empty() const { return dots.empty() && fields.empty(); }
  friend bool operator==(const EntityState&, const EntityState&) = default;
};

// Hashes ids (std::string or std::string_view, without a copy) eight bytes
// at a time, inline: ids are short ("n12", a UUID), and std::hash calls out
// to a general-purpose hash for every lookup of every edit. Unseeded, as
// std::hash is.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    std::uint64_t hash = 0x9E3779B97F4A7C15ull ^ text.size();
    std::size_t at = 0;
    for (; at + 8 <= text.size(); at += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + at, 8);
      hash = mix(hash ^ word);
    }
    // The last 0-7 bytes in at most two loads, not byte by byte: two
    // overlapping 4-byte words, or the first, middle and last of 1-3 bytes.
    // Either way every byte is read, and the length is already in `hash`.
    const char* rest = text.data() + at;
    const std::size_t left = text.size() - at;
    std::uint64_t tail = 0;
    if (left >= 4) {
      std::uint32_t low;
      std::uint32_t high;
      std::memcpy(&low, rest, 4);
      std::memcpy(&high, rest + left - 4, 4);
      tail = (std::uint64_t{high} << 32) | low;
    } else if (left > 0) {
      tail = std::uint64_t{static_cast<unsigned char>(rest[0])} |
             std::uint64_t{static_cast<unsigned char>(rest[left / 2])} << 8 |
             std::uint64_t{static_cast<unsigned char>(rest[left - 1])} << 16;
    }
    return static_cast<std::size_t>(mix(hash ^ tail));
  }

 private:
  // The finalizer of splitmix64: every input bit reaches every output bit.
  static std::uint64_t mix(std::uint64_t value) {
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
    value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
    return value ^ (value >> 31);
  }
};

// Compares ids inline (names_equal): std::string's == calls out to memcmp,
// and every lookup compares at least one id.
struct StringEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept {
    return names_equal(a, b);
  }
};

class EntityMap {
 public:
  using key_type = std::string;
  using mapped_type = EntityState;
  using value_type = std::pair<const std::string, EntityState>;
  using size_type = std::size_t;

 private:
  // One entity in its own allocation, the id first, then the fields' vector
  // and fingerprints (EntityState puts them first): a field lookup reads the
  // entity's first 64 bytes. The block has malloc's 16-byte alignment, not a
  // cache line's: aligning it (memalign) cost 48 bytes and a split block per
  // entity, 1.1 MiB on the graph workload's 20,000 entities, for no
  // measurable speed (docs/performance.md, W2 after the scalar-write pass);
  // prefetch() asks for both lines those bytes may straddle instead.
  struct Node {
    template <class... Args>
    explicit Node(Args&&... args) : value(std::forward<Args>(args)...) {}
    value_type value;
  };

 public:
  template <bool Const>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = EntityMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;

    Iterator() = default;
    // An iterator converts to a const_iterator.
    template <bool OtherConst, class = std::enable_if_t<Const && !OtherConst>>
    Iterator(const Iterator<OtherConst>& other) : at_(other.at_) {}

    reference operator*() const { return (*at_)->value; }
    pointer operator->() const { return &(*at_)->value; }
    Iterator& operator++() {
      ++at_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator before = *this;
      ++at_;
      return before;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.at_ == b.at_; }

   private:
    friend class EntityMap;
    friend class Iterator<!Const>;
    explicit Iterator(const std::unique_ptr<Node>* at) : at_(at) {}

    const std::unique_ptr<Node>* at_ = nullptr;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  EntityMap() = default;
  EntityMap(const EntityMap& other);
  EntityMap& operator=(const EntityMap& other);
  EntityMap(EntityMap&&) noexcept = default;
  EntityMap& operator=(EntityMap&&) noexcept = default;
  ~EntityMap() = default;

  iterator begin() { return iterator(entities_.data()); }
  iterator end() { return iterator(entities_.data() + entities_.size()); }
  const_iterator begin() const { return const_iterator(entities_.data()); }
  const_iterator end() const { return const_iterator(entities_.data() + entities_.size()); }

  bool empty() const { return entities_.empty(); }
  std::size_t size() const { return entities_.size(); }

  iterator find(std::string_view id) { return find(id, hash_of(id)); }
  const_iterator find(std::string_view id) const { return find(id, hash_of(id)); }
  // find() given hash_of(id), for a caller that hashed the id already.
  iterator find(std::string_view id, std::uint32_t hash) {
    const std::size_t at = find_slot(id, hash);
    return at == kNone ? end() : iterator(&entities_[slots_[at].index]);
  }
  const_iterator find(std::string_view id, std::uint32_t hash) const {
    const std::size_t at = find_slot(id, hash);
    return at == kNone ? end() : const_iterator(&entities_[slots_[at].index]);
  }
  std::size_t count(std::string_view id) const { return find_slot(id) == kNone ? 0 : 1; }
  bool contains(std::string_view id) const { return find_slot(id) != kNone; }
  // The state of `id`; throws std::out_of_range when there is none.
  EntityState& at(std::string_view id);
  const EntityState& at(std::string_view id) const;
  // The state of `id`, inserting an empty one when there is none.
  EntityState& operator[](std::string_view id) { return try_emplace(id).first->second; }

  // Inserts `id` with a state built from `args` unless `id` is present.
  // Returns the element of `id` and whether it was inserted.
  template <class Id, class... Args>
  std::pair<iterator, bool> try_emplace(Id&& id, Args&&... args);
  template <class Id, class State>
  std::pair<iterator, bool> emplace(Id&& id, State&& state) {
    return try_emplace(std::forward<Id>(id), std::forward<State>(state));
  }

  // Erases the element at `position`; returns the iterator to continue from
  // (see the header comment).
  iterator erase(const_iterator position);
  iterator erase(iterator position) { return erase(const_iterator(position)); }
  std::size_t erase(std::string_view id);

  // Room for `count` elements without rehashing.
  void reserve(std::size_t count);
  void clear() {
    slots_.clear();
    entities_.clear();
  }

  friend bool operator==(const EntityMap& a, const EntityMap& b);

  // The hash find() and prefetch() take.
  static std::uint32_t hash_of(std::string_view id) {
    return static_cast<std::uint32_t>(StringHash{}(id));
  }
  // Asks the processor to fetch the first line of the entity whose id may
  // hash to `hash` (the first slot of that hash), without waiting for it
  // and without comparing ids, which would wait. A decoder calls it as soon
  // as it has read an id and goes on reading the rest of the message while
  // the line, most likely not in any cache, is on its way. No effect on the
  // map: a wrong guess costs one fetch.
  // That is the lines of its first 64 bytes (two, unless the block starts
  // a line); with `both_lines`, also the line of its last byte, which holds
  // the entity's dots (present()).
  void prefetch(std::uint32_t hash, bool both_lines = false) const {
    if (slots_.empty()) return;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
      const Slot& slot = slots_[at];
      if (slot.index == kEmpty) return;
      if (slot.hash == hash) {
        const char* node = reinterpret_cast<const char*>(entities_[slot.index].get());
        __builtin_prefetch(node);
        __builtin_prefetch(node + 63);
        if (both_lines) __builtin_prefetch(node + sizeof(Node) - 1);
        return;
      }
    }
  }

 private:
  struct Slot {
    std::uint32_t hash;
    std::uint32_t index;  // into entities_; kEmpty when the slot is free
  };
  static constexpr std::uint32_t kEmpty = UINT32_MAX;
  static constexpr std::size_t kNone = SIZE_MAX;

  // The slot holding `id`, or kNone.
  std::size_t find_slot(std::string_view id) const { return find_slot(id, hash_of(id)); }
  // The same, given hash_of(id) (try_emplace needs it again to insert).
  std::size_t find_slot(std::string_view id, std::uint32_t hash) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
      const Slot& slot = slots_[at];
      if (slot.index == kEmpty) return kNone;
      if (slot.hash == hash && StringEqual{}(entities_[slot.index]->value.first, id)) return at;
    }
  }
  // The first free slot on the probe sequence of `hash`.
  std::size_t free_slot(std::uint32_t hash) const;
  // The slot that points at entities_[index], whose id hashes to `hash`.
  std::size_t slot_of(std::size_t index, std::uint32_t hash) const;
  void rehash(std::size_t capacity);

  // A power of two (or empty), never more than 3/4 full.
  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Node>> entities_;
};

template <class Id, class... Args>
std::pair<EntityMap::iterator, bool> EntityMap::try_emplace(Id&& id, Args&&... args) {
  // Hashed once, before `id` may be moved into the new entity.
  const std::uint32_t hash = hash_of(std::string_view(id));
  if (const std::size_t at = find_slot(id, hash); at != kNone) {
    return {iterator(&entities_[slots_[at].index]), false};
  }
  if (entities_.size() >= kEmpty - 1) throw std::length_error("EntityMap is full");
  auto entity =
      std::make_unique<Node>(std::piecewise_construct, std::forward_as_tuple(std::forward<Id>(id)),
                             std::forward_as_tuple(std::forward<Args>(args)...));
  // Neither step below changes the map when it throws.
  if ((entities_.size() + 1) * 4 > slots_.size() * 3) {
    rehash(slots_.empty() ? 8 : slots_.size() * 2);
  }
  entities_.push_back(std::move(entity));
  slots_[free_slot(hash)] = Slot{hash, static_cast<std::uint32_t>(entities_.size() - 1)};
  return {iterator(&entities_.back()), true};
}

}  // namespace trellis::crdt
