// Unit tests of LwwMap: one last-writer-wins register per key, where a
// removal is a stamped tombstone decided against writes like any write.

#include "trellis/crdt/lww_map.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

using Map = LwwMap<std::string, int>;

Stamp alice(std::uint64_t counter) {
  return Stamp{counter, kAlice, counter};
}
Stamp bob(std::uint64_t counter) {
  return Stamp{counter, kBob, counter};
}

Map joined(Map left, const Map& right) {
  left.join(right);
  return left;
}

std::vector<std::string> keys_of(const Map& map) {
  std::vector<std::string> keys;
  for (const auto& entry : map.entries())
    keys.push_back(entry.key);
  return keys;
}

TEST(LwwMap, DefaultMapIsEmpty) {
  Map map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.get("k"), nullptr);
  EXPECT_EQ(map.find("k"), nullptr);
}

TEST(LwwMap, SetMakesTheValueReadable) {
  Map map;
  map.set("k", 7, alice(1));
  ASSERT_NE(map.get("k"), nullptr);
  EXPECT_EQ(*map.get("k"), 7);
  EXPECT_EQ(map.size(), 1u);
}

TEST(LwwMap, SetReturnsAOneEntryDeltaWithTheWrite) {
  Map map;
  map.set("a", 1, alice(1));
  Map delta = map.set("b", 2, alice(2));
  ASSERT_EQ(delta.size(), 1u);
  EXPECT_EQ(delta.entries()[0].key, "b");
  EXPECT_EQ(delta.entries()[0].reg, (Map::Register{2, alice(2)}));
}

TEST(LwwMap, RemoveLeavesAStampedTombstoneThatGetDoesNotShow) {
  Map map;
  map.set("k", 7, alice(1));
  Map delta = map.remove("k", alice(2));
  EXPECT_EQ(map.get("k"), nullptr);
  const Map::Entry* entry = map.find("k");
  ASSERT_NE(entry, nullptr);
  EXPECT_TRUE(entry->is_tombstone());
  EXPECT_EQ(entry->reg.stamp, alice(2));
  EXPECT_EQ(map.size(), 1u);
  ASSERT_EQ(delta.size(), 1u);
  EXPECT_TRUE(delta.entries()[0].is_tombstone());
}

TEST(LwwMap, RemoveOfAnAbsentKeyStillWritesATombstone) {
  Map map;
  Map delta = map.remove("never", alice(1));
  ASSERT_NE(map.find("never"), nullptr);
  EXPECT_TRUE(map.find("never")->is_tombstone());
  EXPECT_EQ(delta, map);
}

TEST(LwwMap, ALaterWriteOverwritesAndAnEarlierOneIsIgnored) {
  Map map;
  map.set("k", 1, alice(2));
  map.set("k", 2, bob(3));
  EXPECT_EQ(*map.get("k"), 2);
  map.set("k", 3, alice(1));
  EXPECT_EQ(*map.get("k"), 2);
}

TEST(LwwMap, ATombstoneWithTheHigherStampBeatsAConcurrentWrite) {
  Map remover;
  Map writer;
  Map removal = remover.remove("k", bob(5));
  Map write = writer.set("k", 9, alice(5));
  remover.join(write);
  writer.join(removal);
  EXPECT_EQ(remover, writer);
  EXPECT_EQ(remover.get("k"), nullptr);
}

TEST(LwwMap, AWriteWithTheHigherStampBeatsAConcurrentTombstone) {
  Map remover;
  Map writer;
  Map removal = remover.remove("k", alice(5));
  Map write = writer.set("k", 9, bob(5));
  remover.join(write);
  writer.join(removal);
  EXPECT_EQ(remover, writer);
  ASSERT_NE(remover.get("k"), nullptr);
  EXPECT_EQ(*remover.get("k"), 9);
}

TEST(LwwMap, JoinOfDisjointKeysKeepsAllOfThemSorted) {
  Map left;
  left.set("c", 3, alice(1));
  left.set("a", 1, alice(2));
  Map right;
  right.set("b", 2, bob(1));
  right.set("d", 4, bob(2));
  Map both = joined(left, right);
  EXPECT_EQ(keys_of(both), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(both, joined(right, left));
}

TEST(LwwMap, JoinDecidesEachKeyByItsOwnStamps) {
  Map left;
  left.set("x", 1, alice(3));
  left.set("y", 1, alice(1));
  Map right;
  right.set("x", 2, bob(2));
  right.set("y", 2, bob(2));
  Map both = joined(left, right);
  EXPECT_EQ(*both.get("x"), 1);
  EXPECT_EQ(*both.get("y"), 2);
  EXPECT_EQ(both, joined(right, left));
}

TEST(LwwMap, JoinOfManyKeysDecidesEachKeyByItsStamps) {
  // Past the handful of keys a delta carries, join merges whole maps.
  Map left;
  Map right;
  for (int i = 0; i < 10; ++i) {
    const std::string key = "k" + std::to_string(i);
    left.set(key, i, alice(i % 2 == 0 ? 5 : 1));
    right.set(key, 100 + i, bob(3));
    right.set("only-right-" + std::to_string(i), i, bob(1));
  }
  Map both = joined(left, right);
  EXPECT_EQ(both.size(), 20u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(*both.get("k" + std::to_string(i)), i % 2 == 0 ? i : 100 + i) << i;
  }
  EXPECT_EQ(both, joined(right, left));
}

TEST(LwwMap, JoinFromAnRvalueEqualsJoinFromACopy) {
  Map base;
  base.set("a", 1, alice(1));
  base.set("b", 1, alice(2));
  for (int key_count : {2, 10}) {
    Map other;
    for (int i = 0; i < key_count; ++i)
      other.set(std::string(1, char('a' + i)), 7, bob(3));
    Map copied = base;
    copied.join(other);
    Map moved = base;
    moved.join(Map(other));
    EXPECT_EQ(moved, copied) << key_count;
    Map from_empty;
    from_empty.join(Map(other));
    EXPECT_EQ(from_empty, other);
  }
}

TEST(LwwMap, JoinIntoAnEmptyMapCopiesTheOther) {
  Map other;
  other.set("k", 1, alice(1));
  other.remove("gone", alice(2));
  EXPECT_EQ(joined(Map{}, other), other);
}

TEST(LwwMap, JoinIsIdempotent) {
  Map map;
  map.set("k", 1, alice(1));
  map.remove("j", alice(2));
  EXPECT_EQ(joined(map, map), map);
}

TEST(LwwMap, MergeInsertsAnUnknownKeyAndReportsTheChange) {
  Map map;
  EXPECT_TRUE(map.merge("k", Map::Register{5, alice(1)}));
  EXPECT_EQ(*map.get("k"), 5);
}

TEST(LwwMap, MergeReportsWhetherAnExistingKeyChanged) {
  Map map;
  map.set("k", 5, alice(2));
  EXPECT_FALSE(map.merge("k", Map::Register{6, alice(1)}));
  EXPECT_EQ(*map.get("k"), 5);
  EXPECT_FALSE(map.merge("k", Map::Register{5, alice(2)}));
  EXPECT_TRUE(map.merge("k", Map::Register{std::nullopt, bob(2)}));
  EXPECT_EQ(map.get("k"), nullptr);
}

TEST(LwwMap, AppendSortedAcceptsKeysInIncreasingOrder) {
  Map map;
  EXPECT_TRUE(map.append_sorted("a", Map::Register{1, alice(1)}));
  EXPECT_TRUE(map.append_sorted("b", Map::Register{std::nullopt, alice(2)}));
  EXPECT_EQ(keys_of(map), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(*map.get("a"), 1);
  EXPECT_TRUE(map.find("b")->is_tombstone());
}

TEST(LwwMap, AppendSortedRejectsAnEqualOrSmallerKeyAndChangesNothing) {
  Map map;
  ASSERT_TRUE(map.append_sorted("m", Map::Register{1, alice(1)}));
  const Map before = map;
  EXPECT_FALSE(map.append_sorted("m", Map::Register{2, alice(2)}));
  EXPECT_FALSE(map.append_sorted("a", Map::Register{3, alice(3)}));
  EXPECT_EQ(map, before);
}

TEST(LwwMap, EqualityComparesKeysValuesStampsAndTombstones) {
  Map left;
  left.set("k", 1, alice(1));
  Map right;
  right.set("k", 1, alice(1));
  EXPECT_EQ(left, right);
  right.remove("k", alice(2));
  EXPECT_NE(left, right);
}

// Lookups go through one-byte fingerprints while a map has up to kIndexed
// keys, and through a binary search beyond: every key must be found, with
// its own value, through both, however the keys were added and however
// many share a fingerprint.
TEST(LwwMap, FindsEveryKeyThroughItsFingerprintAndPastTheIndexedSize) {
  // Keys in groups that share a fingerprint, so that a lookup must tell
  // them apart by the key itself.
  std::vector<std::string> keys;
  for (int print = 0; print < 4; ++print) {
    for (int i = 0; keys.size() < static_cast<std::size_t>(print + 1) * 6; ++i) {
      std::string key = "k" + std::to_string(i);
      if (lww_key_print(key) == print * 64 &&
          std::find(keys.begin(), keys.end(), key) == keys.end())
        keys.push_back(key);
    }
  }
  ASSERT_GT(keys.size(), Map::kIndexed);
  for (const bool reversed : {false, true}) {
    Map by_merge;
    Map by_set;
    for (std::size_t n = 0; n < keys.size(); ++n) {
      const std::size_t at = reversed ? keys.size() - 1 - n : n;
      by_merge.merge(keys[at], {std::optional<int>(static_cast<int>(at)), alice(1)});
      by_set.set(keys[at], static_cast<int>(at), alice(1));
      for (std::size_t k = 0; k < keys.size(); ++k) {
        const bool added = reversed ? k >= at : k <= at;
        for (const Map* map : {&by_merge, &by_set}) {
          const int* value = map->get(keys[k]);
          ASSERT_EQ(value != nullptr, added) << keys[k] << " after " << n + 1 << " keys";
          if (added) {
            EXPECT_EQ(*value, static_cast<int>(k));
          }
        }
      }
    }
    EXPECT_TRUE(std::is_sorted(by_merge.entries().begin(), by_merge.entries().end(),
                               [](const auto& a, const auto& b) { return a.key < b.key; }));
    EXPECT_EQ(by_merge, by_set);
    // A join that rebuilds the entries (more than a few keys) re-fingerprints them.
    Map joined;
    joined.merge(keys[0], {std::optional<int>(-1), bob(0)});
    joined.join(by_merge);
    for (std::size_t k = 0; k < keys.size(); ++k)
      ASSERT_NE(joined.get(keys[k]), nullptr) << keys[k];
    EXPECT_EQ(joined, by_merge);
    EXPECT_EQ(joined.get("absent"), nullptr);
  }
}

}  // namespace
}  // namespace trellis::crdt
