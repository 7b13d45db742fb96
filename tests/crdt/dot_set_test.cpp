// Unit tests of DotSet and join_dot_sets, the single join rule of the dot
// kernel: a dot survives when both sides hold it, or when one side holds it
// and the other has never seen it.

#include "trellis/crdt/dot_set.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

std::vector<Dot> as_vector(const DotSet& dots) {
  return std::vector<Dot>(dots.begin(), dots.end());
}

TEST(DotSet, HoldsOneDotInPlaceAndGrowsOntoTheHeapWithoutLosingAny) {
  EXPECT_EQ(sizeof(DotSet), 24u);
  DotSet dots;
  EXPECT_TRUE(dots.empty());
  std::vector<Dot> expected;
  for (std::uint64_t seq = 1; seq <= 9; ++seq) {
    dots.push_back(Dot{kAlice, seq});
    expected.push_back(Dot{kAlice, seq});
    ASSERT_EQ(as_vector(dots), expected) << "after " << seq << " dots";
  }
  EXPECT_EQ(dots.front(), (Dot{kAlice, 1}));
  EXPECT_EQ(dots.back(), (Dot{kAlice, 9}));
  EXPECT_EQ(dots.at(8), (Dot{kAlice, 9}));
  EXPECT_THROW((void)dots.at(9), std::out_of_range);
  dots.pop_back();
  expected.pop_back();
  EXPECT_EQ(as_vector(dots), expected);
}

TEST(DotSet, CopiesAndMovesKeepTheDotsInEitherStorage) {
  for (std::size_t count : {0u, 1u, 2u, 5u}) {
    DotSet original;
    for (std::uint64_t seq = 1; seq <= count; ++seq)
      original.push_back(Dot{kBob, seq});
    const std::vector<Dot> expected = as_vector(original);

    DotSet copy(original);
    EXPECT_EQ(as_vector(copy), expected);
    DotSet assigned{{kAlice, 1}, {kAlice, 2}, {kAlice, 3}};
    assigned = original;
    EXPECT_EQ(as_vector(assigned), expected);
    assigned = static_cast<const DotSet&>(assigned);  // self-assignment
    EXPECT_EQ(as_vector(assigned), expected);

    DotSet moved(std::move(copy));
    EXPECT_EQ(as_vector(moved), expected);
    EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): left empty, reusable
    copy.push_back(Dot{kAlice, 7});
    EXPECT_EQ(as_vector(copy), (std::vector<Dot>{{kAlice, 7}}));

    DotSet move_assigned{{kAlice, 1}, {kAlice, 2}};
    move_assigned = std::move(moved);
    EXPECT_EQ(as_vector(move_assigned), expected);
    EXPECT_EQ(move_assigned, original);
  }
}

TEST(DotSet, InsertAndEraseKeepTheOrderGivenAcrossBothStorages) {
  DotSet dots{{kAlice, 2}};
  dots.insert(dots.begin(), Dot{kAlice, 1});
  dots.insert(dots.end(), Dot{kBob, 1});
  EXPECT_EQ(dots, (DotSet{{kAlice, 1}, {kAlice, 2}, {kBob, 1}}));
  dots.erase(dots.begin() + 1);
  EXPECT_EQ(dots, (DotSet{{kAlice, 1}, {kBob, 1}}));
  dots.erase(dots.begin(), dots.end() - 1);
  EXPECT_EQ(dots, (DotSet{{kBob, 1}}));
  dots.clear();
  EXPECT_TRUE(dots.empty());
  dots.reserve(4);
  dots.push_back(Dot{kAlice, 3});
  EXPECT_EQ(dots, (DotSet{{kAlice, 3}}));
  EXPECT_NE(dots, (DotSet{{kAlice, 3}, {kAlice, 4}}));
}

TEST(InsertDot, KeepsTheSetSortedWhateverTheInsertionOrder) {
  DotSet dots;
  EXPECT_TRUE(insert_dot(dots, Dot{kBob, 1}));
  EXPECT_TRUE(insert_dot(dots, Dot{kAlice, 2}));
  EXPECT_TRUE(insert_dot(dots, Dot{kAlice, 1}));
  EXPECT_EQ(dots, (DotSet{{kAlice, 1}, {kAlice, 2}, {kBob, 1}}));
}

TEST(InsertDot, ReturnsFalseAndChangesNothingForADotAlreadyPresent) {
  DotSet dots{{kAlice, 1}, {kBob, 1}};
  EXPECT_FALSE(insert_dot(dots, Dot{kBob, 1}));
  EXPECT_EQ(dots, (DotSet{{kAlice, 1}, {kBob, 1}}));
}

TEST(JoinDotSets, ADotBothSidesHoldSurvives) {
  CausalContext context = make_context({{kAlice, 1}});
  EXPECT_EQ(join_dot_sets({{kAlice, 1}}, context, {{kAlice, 1}}, context), (DotSet{{kAlice, 1}}));
}

TEST(JoinDotSets, ADotTheOtherSideHasNeverSeenSurvives) {
  CausalContext mine = make_context({{kAlice, 1}});
  CausalContext theirs = make_context({{kBob, 1}});
  EXPECT_EQ(join_dot_sets({{kAlice, 1}}, mine, {}, theirs), (DotSet{{kAlice, 1}}));
  EXPECT_EQ(join_dot_sets({}, theirs, {{kAlice, 1}}, mine), (DotSet{{kAlice, 1}}));
}

TEST(JoinDotSets, ADotTheOtherSideHasSeenAndDroppedIsRemoved) {
  CausalContext holder = make_context({{kAlice, 1}});
  CausalContext remover = make_context({{kAlice, 1}, {kBob, 1}});
  EXPECT_EQ(join_dot_sets({{kAlice, 1}}, holder, {}, remover), DotSet{});
  EXPECT_EQ(join_dot_sets({}, remover, {{kAlice, 1}}, holder), DotSet{});
}

TEST(JoinDotSets, RemovedAndUnseenDotsAreDecidedDotByDot) {
  // Alice's first add was removed by Bob; Bob never saw Alice's second add.
  CausalContext alice = make_context({{kAlice, 1}, {kAlice, 2}});
  CausalContext bob = make_context({{kAlice, 1}, {kBob, 1}});
  DotSet joined = join_dot_sets({{kAlice, 1}, {kAlice, 2}}, alice, {{kBob, 1}}, bob);
  EXPECT_EQ(joined, (DotSet{{kAlice, 2}, {kBob, 1}}));
}

TEST(JoinDotSets, ResultIsSortedAndTheSameWhicheverSideIsMine) {
  CausalContext left = make_context({{kAlice, 1}, {kAlice, 3}, {kBob, 2}});
  CausalContext right = make_context({{kAlice, 2}, {kBob, 1}, {kBob, 2}});
  DotSet left_dots{{kAlice, 1}, {kAlice, 3}, {kBob, 2}};
  DotSet right_dots{{kAlice, 2}, {kBob, 1}, {kBob, 2}};
  DotSet joined = join_dot_sets(left_dots, left, right_dots, right);
  EXPECT_EQ(joined, (DotSet{{kAlice, 1}, {kAlice, 2}, {kAlice, 3}, {kBob, 1}, {kBob, 2}}));
  EXPECT_EQ(join_dot_sets(right_dots, right, left_dots, left), joined);
}

TEST(JoinDotSets, EmptySetsJoinToEmpty) {
  EXPECT_EQ(join_dot_sets({}, CausalContext{}, {}, CausalContext{}), DotSet{});
}

}  // namespace
}  // namespace trellis::crdt
