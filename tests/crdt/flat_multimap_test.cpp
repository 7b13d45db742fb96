// Unit tests of FlatMultimap, the open-addressing multimap under GraphDoc's
// dot and edge-endpoint indexes: multiset semantics, erase by backward shift
// under heavy collisions (checked against a std::multiset model), and the
// memory it promises.

#include "trellis/crdt/flat_multimap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace trellis::crdt {
namespace {

// Every key in one of four homes: long probe chains that wrap around the
// table, which is where backward-shift erase can go wrong.
struct FourHomes {
  std::size_t operator()(std::uint32_t key) const { return key % 4 * 3; }
};

// A small deterministic generator (xorshift64): draw(n) is in [0, n).
struct Draws {
  std::uint64_t state;
  std::uint32_t operator()(std::uint32_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<std::uint32_t>(state % n);
  }
};

using Table = FlatMultimap<std::uint32_t, std::uintptr_t, FourHomes>;
using Model = std::multiset<std::pair<std::uint32_t, std::uintptr_t>>;

Model contents(const Table& table) {
  Model held;
  table.for_each([&](std::uint32_t key, std::uintptr_t value) { held.emplace(key, value); });
  return held;
}

std::multiset<std::uintptr_t> values_of(const Table& table, std::uint32_t key) {
  std::multiset<std::uintptr_t> values;
  table.for_each_equal(key, [&](std::uintptr_t value) { values.insert(value); });
  return values;
}

TEST(FlatMultimap, HoldsEveryPairInsertedDuplicatesIncluded) {
  Table table;
  EXPECT_TRUE(table.empty());
  EXPECT_TRUE(values_of(table, 1).empty());
  EXPECT_FALSE(table.erase(1, 10));
  table.insert(1, 10);
  table.insert(1, 11);
  table.insert(1, 10);
  table.insert(5, 10);  // same home as 1
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(values_of(table, 1), (std::multiset<std::uintptr_t>{10, 10, 11}));
  EXPECT_EQ(values_of(table, 5), (std::multiset<std::uintptr_t>{10}));
  EXPECT_TRUE(table.contains(1, 11));
  EXPECT_FALSE(table.contains(5, 11));

  EXPECT_TRUE(table.erase(1, 10));  // one of the two
  EXPECT_EQ(values_of(table, 1), (std::multiset<std::uintptr_t>{10, 11}));
  EXPECT_TRUE(table.erase(1, 10));
  EXPECT_FALSE(table.erase(1, 10));
  EXPECT_FALSE(table.erase(2, 11));  // right value, wrong key
  EXPECT_EQ(contents(table), (Model{{1, 11}, {5, 10}}));
  EXPECT_EQ(table.size(), 2u);
}

TEST(FlatMultimap, RefusesTheValueThatMarksAFreeSlotAndStaysAsItWas) {
  Table table;
  table.insert(3, 30);
  EXPECT_THROW(table.insert(3, 0), std::invalid_argument);
  EXPECT_EQ(contents(table), (Model{{3, 30}}));
}

TEST(FlatMultimap, AgreesWithAMultisetThroughRandomInsertsAndErasesUnderCollisions) {
  Table table;
  Model model;
  Draws draw{0x2545F4914F6CDD1Dull};
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t key = draw(40);
    const std::uintptr_t value = 1 + draw(6);
    if (draw(3) != 0) {
      table.insert(key, value);
      model.emplace(key, value);
    } else {
      const auto held = model.find({key, value});
      EXPECT_EQ(table.erase(key, value), held != model.end());
      if (held != model.end()) model.erase(held);
    }
    ASSERT_EQ(table.size(), model.size());
    if (step % 97 == 0) {
      ASSERT_EQ(contents(table), model) << "after step " << step;
      for (std::uint32_t probe = 0; probe < 40; ++probe) {
        std::multiset<std::uintptr_t> expected;
        for (auto it = model.lower_bound({probe, 0}); it != model.end() && it->first == probe; ++it)
          expected.insert(it->second);
        ASSERT_EQ(values_of(table, probe), expected) << "key " << probe << ", step " << step;
      }
    }
  }
}

// insert_unique and contains walk a probe chain once and stop early; under
// the same collisions, through growth (the table starts empty and doubles
// several times) and with erases opening holes, they must agree with a set.
TEST(FlatMultimap, InsertUniqueAndContainsAgreeWithASetUnderCollisions) {
  Table table;
  std::set<std::pair<std::uint32_t, std::uintptr_t>> model;
  Draws draw{0x9E3779B97F4A7C15ull};
  std::size_t refused = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::uint32_t key = draw(60);
    const std::uintptr_t value = 1 + draw(8);
    const bool held = model.count({key, value}) != 0;
    ASSERT_EQ(table.contains(key, value), held) << "step " << step;
    if (draw(4) != 0) {
      ASSERT_EQ(table.insert_unique(key, value), !held) << "step " << step;
      refused += held ? 1 : 0;
      model.emplace(key, value);
    } else {
      ASSERT_EQ(table.erase(key, value), held) << "step " << step;
      model.erase({key, value});
    }
    ASSERT_EQ(table.size(), model.size());
  }
  // The draws repeat pairs often enough that refusals were exercised.
  EXPECT_GT(refused, 1000u);
  Model expected(model.begin(), model.end());
  EXPECT_EQ(contents(table), expected);
  EXPECT_THROW(table.insert_unique(1, 0), std::invalid_argument);
  EXPECT_EQ(contents(table), expected);
}

// insert_unique sees pairs that insert added, and the other way round a
// duplicate from insert stays a duplicate.
TEST(FlatMultimap, InsertUniqueSeesPairsThatInsertAdded) {
  Table table;
  table.insert(2, 20);
  table.insert(2, 20);
  EXPECT_FALSE(table.insert_unique(2, 20));
  EXPECT_TRUE(table.insert_unique(6, 20));  // same home as 2 under FourHomes
  EXPECT_FALSE(table.insert_unique(6, 20));
  EXPECT_EQ(contents(table), (Model{{2, 20}, {2, 20}, {6, 20}}));
  EXPECT_TRUE(table.contains(6, 20));
  EXPECT_FALSE(table.contains(6, 21));
  EXPECT_FALSE(Table{}.contains(6, 20));
}

TEST(FlatMultimap, ErasingEverythingLeavesAnEmptyTableThatStillWorks) {
  Table table;
  for (std::uint32_t key = 0; key < 500; ++key)
    table.insert(key, key + 1);
  for (std::uint32_t key = 0; key < 500; key += 2)
    ASSERT_TRUE(table.erase(key, key + 1));
  for (std::uint32_t key = 1; key < 500; key += 2)
    EXPECT_EQ(values_of(table, key), (std::multiset<std::uintptr_t>{key + 1}));
  for (std::uint32_t key = 1; key < 500; key += 2)
    ASSERT_TRUE(table.erase(key, key + 1));
  EXPECT_TRUE(table.empty());
  EXPECT_TRUE(contents(table).empty());
  table.insert(7, 8);
  EXPECT_EQ(contents(table), (Model{{7, 8}}));
}

TEST(FlatMultimap, CopiesAreIndependentAndAMovedFromTableIsEmpty) {
  Table original;
  for (std::uint32_t key = 0; key < 20; ++key)
    original.insert(key, 100 + key);
  const Model expected = contents(original);

  Table copy(original);
  copy.insert(99, 1);
  EXPECT_EQ(contents(original), expected);

  Table moved(std::move(original));
  EXPECT_EQ(contents(moved), expected);
  EXPECT_TRUE(original.empty());  // NOLINT(bugprone-use-after-move): left empty, reusable
  EXPECT_TRUE(contents(original).empty());
  original.insert(1, 2);
  EXPECT_EQ(contents(original), (Model{{1, 2}}));

  Table assigned;
  assigned.insert(5, 5);
  assigned = std::move(moved);
  EXPECT_EQ(contents(assigned), expected);
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
  Table& same = assigned;
  assigned = std::move(same);  // self-move keeps the contents
  EXPECT_EQ(contents(assigned), expected);
}

TEST(FlatMultimap, ReservedRoomTakesThatManyPairsWithoutGrowingAndClearFreesIt) {
  FlatMultimap<std::uint32_t, const int*> table;
  EXPECT_EQ(table.capacity_bytes(), 0u);
  table.reserve(0);
  EXPECT_EQ(table.capacity_bytes(), 0u);  // a delta's empty index allocates nothing
  table.reserve(20000);
  const std::size_t reserved = table.capacity_bytes();
  // At most 3/4 full after a reserve: 20,000 pairs of 16 bytes in 32,768 slots.
  EXPECT_EQ(reserved, 32768u * 16u);
  static const int anchor[1] = {0};
  for (std::uint32_t key = 0; key < 20000; ++key)
    table.insert(key * 2654435761u, anchor);
  EXPECT_EQ(table.capacity_bytes(), reserved);
  EXPECT_EQ(table.size(), 20000u);
  table.clear();
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.capacity_bytes(), 0u);
}

}  // namespace
}  // namespace trellis::crdt
