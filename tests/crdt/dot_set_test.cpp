// Unit tests of DotSet and join_dot_sets, the single join rule of the dot
// kernel: a dot survives when both sides hold it, or when one side holds it
// and the other has never seen it.

#include "trellis/crdt/dot_set.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

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
