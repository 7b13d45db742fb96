#pragma once
// LwwMap<K, V>: a last-writer-wins element map. Each key holds an
// LwwRegister<optional<V>>; removing a key writes a stamped tombstone
// (nullopt), so a removal and a concurrent write of the same key are decided
// by their stamps like any two writes. Join is per key.
//
// Stored as a vector sorted by key: it is built for the small maps of one
// node's or edge's fields (a handful to a few hundred keys), where it beats
// node-based maps in memory and speed. Lookups are O(log n), inserts O(n).

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "trellis/crdt/lww_register.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

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
    auto at = lower_bound(key);
    return at != entries_.end() && at->key == key ? &*at : nullptr;
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
    auto at = lower_bound(key);
    if (at != entries_.end() && at->key == key) {
      if (!at->reg.loses_to(reg)) return false;
      at->reg = std::move(reg);
      return true;
    }
    entries_.insert(at, Entry{K(std::forward<Key>(key)), std::move(reg)});
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
    auto at = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const Entry& entry, const KeyView& k) { return entry.key < k; });
    if (at != entries_.end() && at->key == key) {
      if (stamp < at->reg.stamp) return false;
      if (stamp == at->reg.stamp) {
        Register reg{std::nullopt, stamp};
        write_value(reg.value);
        if (!at->reg.loses_to(reg)) return false;
        at->reg = std::move(reg);
        return true;
      }
      write_value(at->reg.value);
      at->reg.stamp = stamp;
      return true;
    }
    Register reg{std::nullopt, stamp};
    write_value(reg.value);
    entries_.insert(at, Entry{owned_key(key), std::move(reg)});
    return true;
  }

  void join(const LwwMap& other) {
    if (entries_.empty()) {
      entries_ = other.entries_;
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
  }

  // Join that may take the other map's entries instead of copying them.
  void join(LwwMap&& other) {
    if (entries_.empty()) {
      entries_ = std::move(other.entries_);
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
    entries_.push_back(Entry{key, Register{std::nullopt, stamp}});
    return &entries_.back().reg;
  }

  // Appends an entry known to sort after every present key (decoders building
  // a map in order). Returns false, changing nothing, when it does not.
  bool append_sorted(K key, Register reg) {
    if (!entries_.empty() && !(entries_.back().key < key)) return false;
    entries_.push_back(Entry{std::move(key), std::move(reg)});
    return true;
  }

  friend bool operator==(const LwwMap&, const LwwMap&) = default;

 private:
  LwwMap write(const K& key, Register reg) {
    LwwMap delta;
    delta.entries_.push_back(Entry{key, reg});
    merge(key, reg);
    return delta;
  }

  typename std::vector<Entry>::const_iterator lower_bound(const K& key) const {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& entry, const K& k) { return entry.key < k; });
  }
  typename std::vector<Entry>::iterator lower_bound(const K& key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& entry, const K& k) { return entry.key < k; });
  }

  std::vector<Entry> entries_;
};

}  // namespace trellis::crdt
