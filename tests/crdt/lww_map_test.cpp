// Unit tests of LwwMap: one last-writer-wins register per key, where a
// removal is a stamped tombstone decided against writes like any write.

#include "trellis/crdt/lww_map.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

constexpr ReplicaId kAlice{1};
constexpr ReplicaId kBob{2};

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

}  // namespace
}  // namespace trellis::crdt
