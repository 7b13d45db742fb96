#pragma once
// FlatMultimap: a hash multimap of small keys and values, stored side by side
// in one array (open addressing, linear probing, backward-shift erase, no
// tombstones), for GraphDoc's indexes.
//
// Why not std::unordered_multimap: each of its entries is a separate
// allocation with a next pointer beside it, and the bucket array comes on
// top: about 64 bytes per entry for a 16-byte key and an 8-byte value, where
// this table spends sizeof(Slot) / load, 24 / 0.6 = 40 bytes. A graph of
// 10,000 nodes and 10,000 edges keeps 20,000 entries in each index.
//
// Semantics: a multiset of (key, value) pairs. insert always adds a pair, so
// a pair may be held twice when the caller inserts it twice. Lookups compare
// keys with ==. Value{} is the mark of a free slot and may not be inserted
// (insert throws std::invalid_argument); a pointer value, or a class holding
// one, gives that for free. The order in which for_each and for_each_equal
// visit pairs depends on the history of the table: callers must not let a
// result depend on it.
//
// Complexity: insert, erase and for_each_equal are O(1) expected while Hash
// spreads the keys; the table is at most 3/4 full and doubles as it fills.
// It never shrinks, but clear() gives its memory back. Every operation either
// completes or, when an allocation throws, leaves the table as it was.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace trellis::crdt {

template <class Key, class Value, class Hash = std::hash<Key>>
class FlatMultimap {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of the slot array (for memory accounting in tests and benches).
  std::size_t capacity_bytes() const { return slots_.capacity() * sizeof(Slot); }

  // Makes room for `count` pairs without a further rehash.
  void reserve(std::size_t count) {
    if (count * 4 <= slots_.size() * 3) return;
    std::size_t capacity = slots_.empty() ? 8 : slots_.size();
    while (count * 4 > capacity * 3)
      capacity *= 2;
    rehash(capacity);
  }

  FlatMultimap() = default;
  FlatMultimap(const FlatMultimap&) = default;
  FlatMultimap& operator=(const FlatMultimap&) = default;
  // A moved-from table is empty.
  FlatMultimap(FlatMultimap&& other) noexcept
      : slots_(std::move(other.slots_)), size_(std::exchange(other.size_, 0)) {
    other.slots_.clear();
  }
  FlatMultimap& operator=(FlatMultimap&& other) noexcept {
    if (this == &other) return *this;
    slots_ = std::move(other.slots_);
    size_ = std::exchange(other.size_, 0);
    other.slots_.clear();
    return *this;
  }

  void clear() {
    slots_ = std::vector<Slot>();
    size_ = 0;
  }

  void insert(const Key& key, const Value& value) {
    if (value == Value{}) throw std::invalid_argument("FlatMultimap: the empty value");
    make_room_for_one();
    place(Slot{key, value});
    ++size_;
  }

  // Inserts (key, value) unless the table holds that pair already, in one
  // walk of the key's probe sequence; true when it inserted. A table filled
  // only through insert_unique holds each pair once.
  bool insert_unique(const Key& key, const Value& value) {
    if (value == Value{}) throw std::invalid_argument("FlatMultimap: the empty value");
    // Before the walk: a rehash moves the pairs, and the free slot the walk
    // ends on is where place() would put the pair.
    make_room_for_one();
    const PairProbe probe = probe_pair(key, value);
    if (probe.found) return false;
    slots_[probe.at] = Slot{key, value};
    ++size_;
    return true;
  }

  // Erases one pair equal to (key, value); false when there is none.
  bool erase(const Key& key, const Value& value) {
    if (slots_.empty()) return false;
    const PairProbe probe = probe_pair(key, value);
    if (probe.found) erase_at(probe.at);
    return probe.found;
  }

  bool contains(const Key& key, const Value& value) const {
    return !slots_.empty() && probe_pair(key, value).found;
  }

  // f(value) for every pair whose key equals `key`. f must not change the
  // table.
  template <class F>
  void for_each_equal(const Key& key, F&& f) const {
    if (slots_.empty()) return;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = home_of(key); !free(slots_[at]); at = (at + 1) & mask) {
      if (slots_[at].key == key) f(slots_[at].value);
    }
  }

  // f(key, value) for every pair. f must not change the table.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& slot : slots_) {
      if (!free(slot)) f(slot.key, slot.value);
    }
  }

 private:
  struct Slot {
    Key key{};
    Value value{};
  };

  static bool free(const Slot& slot) { return slot.value == Value{}; }
  std::size_t home_of(const Key& key) const {
    return static_cast<std::size_t>(Hash{}(key)) & (slots_.size() - 1);
  }

  // The walk of the key's probe sequence that insert_unique, erase and
  // contains share: the slot holding (key, value), or else the free slot
  // that ends the sequence. The table has slots.
  struct PairProbe {
    std::size_t at;
    bool found;
  };
  PairProbe probe_pair(const Key& key, const Value& value) const {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = home_of(key);
    for (; !free(slots_[at]); at = (at + 1) & mask) {
      if (slots_[at].key == key && slots_[at].value == value) return {at, true};
    }
    return {at, false};
  }

  // Doubles the table when one more pair would make it more than 3/4 full
  // (or when it has no slots yet).
  void make_room_for_one() {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.empty() ? 8 : slots_.size() * 2);
  }

  // Into the first free slot of the key's probe sequence; there is one.
  void place(const Slot& slot) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = home_of(slot.key);
    while (!free(slots_[at]))
      at = (at + 1) & mask;
    slots_[at] = slot;
  }

  // Every slot after the hole, up to the next free one, moves into the hole
  // when the hole lies between its home and it, so that no probe sequence is
  // cut short.
  void erase_at(std::size_t hole) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t next = (hole + 1) & mask; !free(slots_[next]); next = (next + 1) & mask) {
      const std::size_t home = home_of(slots_[next].key);
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
    for (const Slot& slot : old) {
      if (!free(slot)) place(slot);
    }
  }

  // A power of two (or empty), never more than 3/4 full.
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace trellis::crdt
