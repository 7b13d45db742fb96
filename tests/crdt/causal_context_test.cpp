// Unit tests of CausalContext: the dots a state has seen, kept as a compact
// version vector plus a cloud of dots received out of order.

#include "trellis/crdt/causal_context.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

std::vector<Dot> all_dots(const CausalContext& context) {
  std::vector<Dot> dots;
  context.for_each_dot([&](Dot dot) { dots.push_back(dot); });
  return dots;
}

TEST(CausalContext, DefaultContextIsEmptyAndContainsNothing) {
  CausalContext context;
  EXPECT_TRUE(context.empty());
  EXPECT_EQ(context.dot_count(), 0u);
  EXPECT_FALSE(context.contains(Dot{kAlice, 1}));
  EXPECT_TRUE(context.version_vector().empty());
  EXPECT_TRUE(context.cloud().empty());
}

TEST(CausalContext, ContainsExactlyTheInsertedDots) {
  CausalContext context = make_context({{kAlice, 1}, {kBob, 3}});
  EXPECT_TRUE(context.contains(Dot{kAlice, 1}));
  EXPECT_TRUE(context.contains(Dot{kBob, 3}));
  EXPECT_FALSE(context.contains(Dot{kAlice, 2}));
  EXPECT_FALSE(context.contains(Dot{kBob, 1}));
  EXPECT_FALSE(context.contains(Dot{kBob, 2}));
  EXPECT_FALSE(context.empty());
}

TEST(CausalContext, ContiguousDotsCompactIntoTheVersionVector) {
  CausalContext context = make_context({{kAlice, 1}, {kAlice, 2}, {kAlice, 3}});
  EXPECT_EQ(context.version_vector().get(kAlice), 3u);
  EXPECT_TRUE(context.cloud().empty());
  EXPECT_EQ(context.dot_count(), 3u);
}

TEST(CausalContext, DotPastAGapStaysInTheCloud) {
  CausalContext context = make_context({{kAlice, 1}, {kAlice, 3}});
  EXPECT_EQ(context.version_vector().get(kAlice), 1u);
  EXPECT_EQ(context.cloud(), (std::vector<Dot>{{kAlice, 3}}));
  EXPECT_EQ(context.dot_count(), 2u);
}

TEST(CausalContext, FillingTheGapMovesCloudDotsIntoTheVersionVector) {
  CausalContext context = make_context({{kAlice, 4}, {kAlice, 2}, {kAlice, 3}});
  EXPECT_EQ(context.version_vector().get(kAlice), 0u);
  EXPECT_EQ(context.cloud().size(), 3u);
  context.insert(Dot{kAlice, 1});
  EXPECT_EQ(context.version_vector().get(kAlice), 4u);
  EXPECT_TRUE(context.cloud().empty());
}

TEST(CausalContext, CloudIsSortedAndDisjointFromTheVersionVector) {
  CausalContext context =
      make_context({{kBob, 5}, {kAlice, 1}, {kAlice, 4}, {kBob, 2}, {kAlice, 3}});
  EXPECT_EQ(context.version_vector().get(kAlice), 1u);
  EXPECT_EQ(context.version_vector().get(kBob), 0u);
  EXPECT_EQ(context.cloud(), (std::vector<Dot>{{kAlice, 3}, {kAlice, 4}, {kBob, 2}, {kBob, 5}}));
}

TEST(CausalContext, InsertingAKnownDotChangesNothing) {
  CausalContext context = make_context({{kAlice, 1}, {kAlice, 3}});
  const CausalContext before = context;
  context.insert(Dot{kAlice, 1});
  context.insert(Dot{kAlice, 3});
  EXPECT_EQ(context, before);
  EXPECT_EQ(context.dot_count(), 2u);
}

TEST(CausalContext, InsertionOrderDoesNotMatterForEquality) {
  EXPECT_EQ(make_context({{kAlice, 1}, {kAlice, 2}, {kBob, 2}, {kBob, 1}}),
            make_context({{kBob, 1}, {kAlice, 2}, {kBob, 2}, {kAlice, 1}}));
  EXPECT_EQ(make_context({{kAlice, 3}, {kAlice, 5}}), make_context({{kAlice, 5}, {kAlice, 3}}));
}

TEST(CausalContext, ContextsWithDifferentDotsAreNotEqual) {
  EXPECT_NE(make_context({{kAlice, 1}}), make_context({{kAlice, 2}}));
  EXPECT_NE(make_context({{kAlice, 1}}), make_context({{kBob, 1}}));
}

TEST(CausalContext, NextDotOfAnUnknownReplicaIsSeqOne) {
  EXPECT_EQ(CausalContext{}.next_dot(kAlice), (Dot{kAlice, 1}));
  EXPECT_EQ(make_context({{kBob, 1}}).next_dot(kAlice), (Dot{kAlice, 1}));
}

TEST(CausalContext, NextDotIsOnePastTheHighestSeqKnownIncludingTheCloud) {
  EXPECT_EQ(make_context({{kAlice, 1}, {kAlice, 2}}).next_dot(kAlice), (Dot{kAlice, 3}));
  EXPECT_EQ(make_context({{kAlice, 1}, {kAlice, 5}}).next_dot(kAlice), (Dot{kAlice, 6}));
}

TEST(CausalContext, InsertUpToAddsEveryDotOfTheReplicaUpToSeq) {
  CausalContext context;
  context.insert_up_to(kAlice, 4);
  EXPECT_EQ(context, make_context({{kAlice, 1}, {kAlice, 2}, {kAlice, 3}, {kAlice, 4}}));
  EXPECT_EQ(context.version_vector().get(kAlice), 4u);
}

TEST(CausalContext, InsertUpToAbsorbsCloudDotsItCoversOrMakesContiguous) {
  CausalContext context = make_context({{kAlice, 3}, {kAlice, 6}, {kBob, 2}});
  context.insert_up_to(kAlice, 5);
  EXPECT_EQ(context.version_vector().get(kAlice), 6u);
  EXPECT_EQ(context.cloud(), (std::vector<Dot>{{kBob, 2}}));
}

TEST(CausalContext, InsertUpToBelowTheVersionVectorChangesNothing) {
  CausalContext context = make_context({{kAlice, 1}, {kAlice, 2}, {kAlice, 3}});
  const CausalContext before = context;
  context.insert_up_to(kAlice, 2);
  context.insert_up_to(kBob, 0);
  EXPECT_EQ(context, before);
}

TEST(CausalContext, NextDotOfTheLargestReplicaIdCountsItsCloudDots) {
  // Every non-zero id names a replica, the largest one included.
  constexpr ReplicaId kLargest{UINT64_MAX};
  CausalContext context = make_context({{kAlice, 1}, {kLargest, 1}, {kLargest, 3}});
  EXPECT_EQ(context.next_dot(kLargest), (Dot{kLargest, 4}));
}

TEST(CausalContext, ClearEmptiesTheContext) {
  CausalContext context = make_context({{kAlice, 1}, {kAlice, 3}, {kBob, 1}});
  context.clear();
  EXPECT_TRUE(context.empty());
  EXPECT_EQ(context, CausalContext{});
  EXPECT_FALSE(context.contains(Dot{kAlice, 1}));
  EXPECT_EQ(context.next_dot(kAlice), (Dot{kAlice, 1}));
}

TEST(CausalContext, JoinIsTheUnionOfDots) {
  CausalContext left = make_context({{kAlice, 1}, {kBob, 2}});
  CausalContext right = make_context({{kAlice, 3}, {kBob, 1}});
  left.join(right);
  EXPECT_EQ(left, make_context({{kAlice, 1}, {kAlice, 3}, {kBob, 1}, {kBob, 2}}));
  EXPECT_EQ(left.version_vector().get(kBob), 2u);
  EXPECT_EQ(left.cloud(), (std::vector<Dot>{{kAlice, 3}}));
}

TEST(CausalContext, JoinCompactsCloudDotsMadeContiguousByTheOtherSide) {
  CausalContext with_gap = make_context({{kAlice, 1}, {kAlice, 3}, {kAlice, 4}});
  CausalContext filling = make_context({{kAlice, 1}, {kAlice, 2}});
  with_gap.join(filling);
  EXPECT_EQ(with_gap.version_vector().get(kAlice), 4u);
  EXPECT_TRUE(with_gap.cloud().empty());
}

TEST(CausalContext, JoinDropsCloudDotsTheOtherVersionVectorCovers) {
  CausalContext with_cloud = make_context({{kAlice, 3}});
  CausalContext covering = make_context({{kAlice, 1}, {kAlice, 2}, {kAlice, 3}, {kAlice, 4}});
  with_cloud.join(covering);
  EXPECT_EQ(with_cloud, covering);
  EXPECT_TRUE(with_cloud.cloud().empty());
}

TEST(CausalContext, JoinOfLargeCloudsIsTheUnionOfDots) {
  // More than a delta's handful of out-of-order dots on each side.
  CausalContext left;
  CausalContext right;
  std::vector<Dot> all;
  for (std::uint64_t seq = 2; seq <= 40; seq += 2) {
    left.insert(Dot{kAlice, seq});
    right.insert(Dot{kAlice, seq + 1});
    right.insert(Dot{kBob, seq});
  }
  CausalContext joined = left;
  joined.join(right);
  for (std::uint64_t seq = 2; seq <= 41; ++seq)
    EXPECT_TRUE(joined.contains(Dot{kAlice, seq})) << seq;
  EXPECT_FALSE(joined.contains(Dot{kAlice, 1}));
  EXPECT_EQ(joined.cloud().size(), 40u + 20u);
  joined.insert(Dot{kAlice, 1});
  EXPECT_EQ(joined.version_vector().get(kAlice), 41u);
  EXPECT_EQ(joined.cloud().size(), 20u);
}

TEST(CausalContext, JoinIsCommutativeAndIdempotent) {
  CausalContext left = make_context({{kAlice, 1}, {kAlice, 4}, {kBob, 2}});
  CausalContext right = make_context({{kAlice, 2}, {kBob, 1}, {kBob, 7}});
  CausalContext left_then_right = left;
  left_then_right.join(right);
  CausalContext right_then_left = right;
  right_then_left.join(left);
  EXPECT_EQ(left_then_right, right_then_left);
  CausalContext twice = left_then_right;
  twice.join(left);
  twice.join(right);
  EXPECT_EQ(twice, left_then_right);
}

TEST(CausalContext, ForEachDotVisitsEveryDotOnceCompactPartFirst) {
  CausalContext context = make_context({{kBob, 1}, {kAlice, 1}, {kAlice, 2}, {kAlice, 5}});
  EXPECT_EQ(all_dots(context),
            (std::vector<Dot>{{kAlice, 1}, {kAlice, 2}, {kBob, 1}, {kAlice, 5}}));
  EXPECT_EQ(all_dots(context).size(), context.dot_count());
}

TEST(CausalContext, DotCountCountsCompactAndCloudDots) {
  EXPECT_EQ(make_context({{kAlice, 1}, {kAlice, 2}, {kBob, 4}, {kBob, 6}}).dot_count(), 4u);
}

TEST(CausalContext, DotCountSaturatesInsteadOfWrappingAround) {
  CausalContext context;
  context.insert_up_to(kAlice, UINT64_MAX);
  context.insert(Dot{kBob, 2});
  EXPECT_EQ(context.dot_count(), UINT64_MAX);
}

TEST(CausalContext, ADotWithSeqZeroIsNeverInserted) {
  CausalContext context;
  context.insert(Dot{kAlice, 0});
  EXPECT_TRUE(context.empty());
}

TEST(CausalContext, InsertNewInsertsOnlyDotsNotYetHeld) {
  CausalContext context;
  EXPECT_TRUE(context.insert_new(Dot{kAlice, 1}));  // the next dot
  EXPECT_FALSE(context.insert_new(Dot{kAlice, 1}));
  EXPECT_TRUE(context.insert_new(Dot{kAlice, 3}));  // past a gap: into the cloud
  EXPECT_FALSE(context.insert_new(Dot{kAlice, 3}));
  EXPECT_TRUE(context.insert_new(Dot{kBob, 1}));    // with a cloud to keep
  EXPECT_TRUE(context.insert_new(Dot{kAlice, 2}));  // fills the gap
  EXPECT_FALSE(context.insert_new(Dot{kAlice, 2}));
  EXPECT_FALSE(context.insert_new(Dot{kAlice, 3}));
  CausalContext by_insert;
  for (Dot dot : {Dot{kAlice, 1}, Dot{kAlice, 3}, Dot{kBob, 1}, Dot{kAlice, 2}})
    by_insert.insert(dot);
  EXPECT_EQ(context, by_insert);
  EXPECT_TRUE(context.cloud().empty());
}

}  // namespace
}  // namespace trellis::crdt
