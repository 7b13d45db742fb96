#pragma once
// LwwMap<K, V>: a last-writer-wins element map. Each key holds an
// LwwRegister<optional<V>>; removing a key writes a stamped tombstone
// (nullopt), so a removal and a concurrent write of the same key are decided
// by their stamps like any two writes. Join is per key.
//
// Stored as a vector sorted by key: it is built for the small maps of one
// node's or edge's fields (a handful to a few hundred keys), where it beats
// node-based maps in memory and speed. Lookups are O(log n), inserts O(n).
//
// A map of up to kIndexed keys also keeps a one-byte fingerprint of each key
// beside the vector (lww_key_print), and a lookup scans those instead of
// binary-searching the entries: it then reads one entry, the one it wants,
// where the binary search read three or four, each a likely cache miss
// when a received edit lands on a node not touched for a while.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "trellis/crdt/lww_register.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

// A key's one-byte fingerprint for LwwMap's index. Any function of the key
// will do (equal keys must have equal prints, and a key type and the views
// looked up against it must agree); a key type can supply its own
// (field_key.hpp does).
template <class K>
std::uint8_t lww_key_print(const K& key) {
  return static_cast<std::uint8_t>(std::hash<K>{}(key));
}

template <class K, class V>
class LwwMap {
 public:
  using Register = LwwRegister<std::optional<V>>;
  struct Entry {
    K key;
    Register reg;

    bool is_tombstone() const { return !reg.value.has_value(); }
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // The live value of `key`, or nullptr when absent or removed.
  const V* get(const K& key) const {
    const Entry* entry = find(key);
    return entry && entry->reg.value ? &*entry->reg.value : nullptr;
  }
  // The entry of `key`, tombstones included.
  const Entry* find(const K& key) const {
    const std::size_t at = index_of(key);
    return at == kAbsent ? nullptr : &entries_[at];
  }

  // Local write and removal; each returns its delta (a one-entry map).
  LwwMap set(const K& key, V value, Stamp stamp) {
    return write(key, Register{std::optional<V>(std::move(value)), stamp});
  }
  LwwMap remove(const K& key, Stamp stamp) { return write(key, Register{std::nullopt, stamp}); }

  // Joins one entry; returns true when the map changed. The key is copied
  // (or moved) only when it is new here: most merges overwrite a register.
  template <class Key = K>
  bool merge(Key&& key, Register reg) {
    // A K already, or (say, a string literal) made into one.
    const K& as_key = key;
    if (const std::size_t at = index_of(as_key); at != kAbsent) {
      Register& mine = entries_[at].reg;
      if (!mine.loses_to(reg)) return false;
      mine = std::move(reg);
      return true;
    }
    // Found before `key` is moved from.
    const auto at = lower_bound(as_key);
    insert(at, Entry{K(std::forward<Key>(key)), std::move(reg)});
    return true;
  }

  // merge() for a key given as a view of K (a type ordered against K, with
  // owned_key(view) building the K), the written value produced in place by
  // write_value(std::optional<V>&): into the register's own value when the
  // write wins an existing key, so a string is assigned into the string
  // already there. A K and a Register are built only when they have to be:
  // the key is new here, or the stamps are equal (forged input only) and the
  // values decide. Returns true when the map changed.
  template <class KeyView, class WriteValue>
  bool merge_view(const KeyView& key, Stamp stamp, WriteValue&& write_value) {
    if (const std::size_t at = index_of(key); at != kAbsent) {
      Register& mine = entries_[at].reg;
      if (stamp < mine.stamp) return false;
      if (stamp == mine.stamp) {
        Register reg{std::nullopt, stamp};
        write_value(reg.value);
        if (!mine.loses_to(reg)) return false;
        mine = std::move(reg);
        return true;
      }
      write_value(mine.value);
      mine.stamp = stamp;
      return true;
    }
    Register reg{std::nullopt, stamp};
    write_value(reg.value);
    const auto at = lower_bound(key);
    insert(at, Entry{owned_key(key), std::move(reg)});
    return true;
  }

  void join(const LwwMap& other) {
    if (entries_.empty()) {
      *this = other;
      return;
    }
    // A delta usually carries a few keys: merge them in place rather than
    // rebuilding the whole map.
    if (other.entries_.size() <= 4) {
      for (const auto& entry : other.entries_)
        merge(entry.key, entry.reg);
      return;
    }
    std::vector<Entry> joined;
    joined.reserve(entries_.size() + other.entries_.size());
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() || b != other.entries_.end()) {
      if (b == other.entries_.end() || (a != entries_.end() && a->key < b->key)) {
        joined.push_back(std::move(*a++));
      } else if (a == entries_.end() || b->key < a->key) {
        joined.push_back(*b++);
      } else {
        a->reg.join(b->reg);
        joined.push_back(std::move(*a++));
        ++b;
      }
    }
    entries_ = std::move(joined);
    reprint();
  }

  // Join that may take the other map's entries instead of copying them.
  void join(LwwMap&& other) {
    if (entries_.empty()) {
      *this = std::move(other);
      return;
    }
    if (other.entries_.size() <= 4) {
      for (auto& entry : other.entries_)
        merge(std::move(entry.key), std::move(entry.reg));
      return;
    }
    join(static_cast<const LwwMap&>(other));
  }

  // Sorted by key, tombstones included.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

  // Room for `count` entries (a decoder that knows how many it will append).
  void reserve(std::size_t count) { entries_.reserve(count); }

  // append_sorted for a decoder that reads the value in place: appends `key`
  // with a tombstone stamped `stamp` and returns its register for the caller
  // to fill, or nullptr (changing nothing) when `key` does not sort last.
  Register* append_sorted_slot(const K& key, Stamp stamp) {
    if (!entries_.empty() && !(entries_.back().key < key)) return nullptr;
    insert(entries_.end(), Entry{key, Register{std::nullopt, stamp}});
    return &entries_.back().reg;
  }

  // Appends an entry known to sort after every present key (decoders building
  // a map in order). Returns false, changing nothing, when it does not.
  bool append_sorted(K key, Register reg) {
    if (!entries_.empty() && !(entries_.back().key < key)) return false;
    insert(entries_.end(), Entry{std::move(key), std::move(reg)});
    return true;
  }

  // The fingerprints follow from the entries.
  friend bool operator==(const LwwMap& a, const LwwMap& b) { return a.entries_ == b.entries_; }

  // Maps of up to this many keys are looked up through their fingerprints.
  static constexpr std::size_t kIndexed = 16;

 private:
  static constexpr std::size_t kAbsent = static_cast<std::size_t>(-1);

  // The position of `key` (a K or a view ordered against K), or kAbsent.
  template <class Key>
  std::size_t index_of(const Key& key) const {
    const std::size_t size = entries_.size();
    if (size <= kIndexed) {
      const std::uint8_t print = lww_key_print(key);
      for (std::size_t at = 0; at < size; ++at) {
        if (prints_[at] == print && entries_[at].key == key) return at;
      }
      return kAbsent;
    }
    auto at = lower_bound(key);
    return at != entries_.end() && at->key == key ? static_cast<std::size_t>(at - entries_.begin())
                                                  : kAbsent;
  }

  // Every change of the entries goes through insert() or reprint().
  void insert(typename std::vector<Entry>::iterator at, Entry entry) {
    const std::size_t index = static_cast<std::size_t>(at - entries_.begin());
    const std::uint8_t print = lww_key_print(entry.key);
    entries_.insert(at, std::move(entry));
    if (index < kIndexed) {
      const std::size_t last = std::min(entries_.size(), kIndexed) - 1;
      for (std::size_t i = last; i > index; --i)
        prints_[i] = prints_[i - 1];
      prints_[index] = print;
    }
  }
  void reprint() {
    prints_.fill(0);
    const std::size_t count = std::min(entries_.size(), kIndexed);
    for (std::size_t i = 0; i < count; ++i)
      prints_[i] = lww_key_print(entries_[i].key);
  }

  LwwMap write(const K& key, Register reg) {
    LwwMap delta;
    delta.insert(delta.entries_.end(), Entry{key, reg});
    merge(key, reg);
    return delta;
  }

  template <class Key>
  typename std::vector<Entry>::const_iterator lower_bound(const Key& key) const {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& entry, const Key& k) { return entry.key < k; });
  }
  template <class Key>
  typename std::vector<Entry>::iterator lower_bound(const Key& key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& entry, const Key& k) { return entry.key < k; });
  }

  // lww_key_print of the first kIndexed keys, in entry order; the bytes past
  // the last entry mean nothing (a moved-from map keeps its old ones), which
  // is why lookups stop at size() and operator== ignores them. Before the
  // vector, so that a lookup reads both in one line (see
  // EntityMap::Node).
  std::array<std::uint8_t, kIndexed> prints_{};
  std::vector<Entry> entries_;
};

}  // namespace trellis::crdt
