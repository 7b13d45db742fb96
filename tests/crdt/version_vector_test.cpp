// Unit tests of VersionVector: per-replica contiguous prefixes, joined by
// pointwise maximum.

#include "trellis/crdt/version_vector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

using Entries = std::vector<VersionVector::Entry>;

VersionVector make_vector(const Entries& entries) {
  VersionVector vector;
  for (const auto& [replica, seq] : entries)
    vector.raise(replica, seq);
  return vector;
}

TEST(VersionVector, DefaultVectorIsEmptyAndAtZeroForEveryReplica) {
  VersionVector vector;
  EXPECT_TRUE(vector.empty());
  EXPECT_TRUE(vector.entries().empty());
  EXPECT_EQ(vector.get(kAlice), 0u);
  EXPECT_EQ(vector.event_count(), 0u);
}

TEST(VersionVector, RaiseSetsTheEntryOfThatReplicaOnly) {
  VersionVector vector;
  vector.raise(kBob, 4);
  EXPECT_EQ(vector.get(kBob), 4u);
  EXPECT_EQ(vector.get(kAlice), 0u);
  EXPECT_FALSE(vector.empty());
}

TEST(VersionVector, AdvanceTakesOnlyTheNextSeqOfAReplica) {
  VersionVector vector = make_vector({{kAlice, 3}, {kCarol, 1}});
  EXPECT_TRUE(vector.advance(kAlice, 4));
  EXPECT_FALSE(vector.advance(kAlice, 4));  // already there
  EXPECT_FALSE(vector.advance(kAlice, 6));  // a gap
  EXPECT_FALSE(vector.advance(kAlice, 2));  // behind
  EXPECT_FALSE(vector.advance(kBob, 2));    // a gap from nothing
  EXPECT_TRUE(vector.advance(kBob, 1));     // a new replica's first event
  EXPECT_EQ(vector, make_vector({{kAlice, 4}, {kBob, 1}, {kCarol, 1}}));
}

TEST(VersionVector, RaiseNeverLowersAnEntry) {
  VersionVector vector;
  vector.raise(kAlice, 7);
  vector.raise(kAlice, 3);
  EXPECT_EQ(vector.get(kAlice), 7u);
  vector.raise(kAlice, 9);
  EXPECT_EQ(vector.get(kAlice), 9u);
}

TEST(VersionVector, RaiseToZeroAddsNoEntry) {
  VersionVector vector;
  vector.raise(kAlice, 0);
  EXPECT_TRUE(vector.empty());
  EXPECT_EQ(vector, VersionVector{});
}

TEST(VersionVector, EntriesAreSortedByReplicaWhateverTheRaiseOrder) {
  VersionVector vector = make_vector({{kCarol, 1}, {kAlice, 2}, {kBob, 3}});
  EXPECT_EQ(vector.entries(), (Entries{{kAlice, 2}, {kBob, 3}, {kCarol, 1}}));
}

TEST(VersionVector, ContainsEveryDotUpToTheEntryAndNoneBeyond) {
  VersionVector vector = make_vector({{kAlice, 3}});
  EXPECT_TRUE(vector.contains(Dot{kAlice, 1}));
  EXPECT_TRUE(vector.contains(Dot{kAlice, 3}));
  EXPECT_FALSE(vector.contains(Dot{kAlice, 4}));
  EXPECT_FALSE(vector.contains(Dot{kBob, 1}));
}

TEST(VersionVector, NeverContainsADotWithSeqZero) {
  VersionVector vector = make_vector({{kAlice, 3}});
  EXPECT_FALSE(vector.contains(Dot{kAlice, 0}));
  EXPECT_FALSE(VersionVector{}.contains(Dot{kAlice, 0}));
}

TEST(VersionVector, JoinIsThePointwiseMaximum) {
  VersionVector left = make_vector({{kAlice, 5}, {kBob, 1}});
  VersionVector right = make_vector({{kBob, 4}, {kCarol, 2}});
  left.join(right);
  EXPECT_EQ(left.entries(), (Entries{{kAlice, 5}, {kBob, 4}, {kCarol, 2}}));
}

TEST(VersionVector, JoinIsCommutativeAndIdempotent) {
  VersionVector left = make_vector({{kAlice, 5}, {kBob, 1}});
  VersionVector right = make_vector({{kBob, 4}, {kCarol, 2}});
  VersionVector left_then_right = left;
  left_then_right.join(right);
  VersionVector right_then_left = right;
  right_then_left.join(left);
  EXPECT_EQ(left_then_right, right_then_left);

  VersionVector twice = left_then_right;
  twice.join(right);
  twice.join(left);
  EXPECT_EQ(twice, left_then_right);
}

TEST(VersionVector, JoinWithEmptyChangesNothing) {
  VersionVector vector = make_vector({{kAlice, 2}});
  vector.join(VersionVector{});
  EXPECT_EQ(vector, make_vector({{kAlice, 2}}));
  VersionVector empty;
  empty.join(vector);
  EXPECT_EQ(empty, vector);
}

TEST(VersionVector, EqualVectorsDominateEachOther) {
  VersionVector vector = make_vector({{kAlice, 2}, {kBob, 1}});
  EXPECT_TRUE(vector.dominated_by(vector));
  EXPECT_TRUE(VersionVector{}.dominated_by(VersionVector{}));
}

TEST(VersionVector, APrefixIsDominatedByItsExtensionButNotTheReverse) {
  VersionVector earlier = make_vector({{kAlice, 2}});
  VersionVector later = make_vector({{kAlice, 3}, {kBob, 1}});
  EXPECT_TRUE(earlier.dominated_by(later));
  EXPECT_FALSE(later.dominated_by(earlier));
}

TEST(VersionVector, EmptyIsDominatedByEveryVectorAndDominatesOnlyEmpty) {
  VersionVector vector = make_vector({{kBob, 1}});
  EXPECT_TRUE(VersionVector{}.dominated_by(vector));
  EXPECT_FALSE(vector.dominated_by(VersionVector{}));
}

TEST(VersionVector, ConcurrentVectorsDominateNeitherWay) {
  VersionVector alice_ahead = make_vector({{kAlice, 2}, {kBob, 1}});
  VersionVector bob_ahead = make_vector({{kAlice, 1}, {kBob, 2}});
  EXPECT_FALSE(alice_ahead.dominated_by(bob_ahead));
  EXPECT_FALSE(bob_ahead.dominated_by(alice_ahead));
}

TEST(VersionVector, AnEntryMissingOnTheOtherSideIsNotDominated) {
  VersionVector with_carol = make_vector({{kAlice, 1}, {kCarol, 1}});
  VersionVector without_carol = make_vector({{kAlice, 5}, {kBob, 5}});
  EXPECT_FALSE(with_carol.dominated_by(without_carol));
}

TEST(VersionVector, EventCountIsTheSumOfEntries) {
  EXPECT_EQ(make_vector({{kAlice, 3}, {kBob, 4}, {kCarol, 1}}).event_count(), 8u);
}

TEST(VersionVector, EqualityComparesEntries) {
  EXPECT_EQ(make_vector({{kAlice, 1}, {kBob, 2}}), make_vector({{kBob, 2}, {kAlice, 1}}));
  EXPECT_NE(make_vector({{kAlice, 1}}), make_vector({{kAlice, 2}}));
  EXPECT_NE(make_vector({{kAlice, 1}}), make_vector({{kBob, 1}}));
}

TEST(VersionVector, AdvanceBehavesAlikeWithFewAndManyReplicas) {
  // Up to eight entries are scanned, more are searched: the same answers.
  for (std::uint64_t replicas : {1u, 7u, 8u, 9u, 30u}) {
    VersionVector vector;
    for (std::uint64_t round = 1; round <= 3; ++round) {
      // Replicas in a scattered order, so that entries are inserted in
      // the middle as well as at the ends.
      for (std::uint64_t i = 0; i < replicas; ++i) {
        const ReplicaId replica{1 + (i * 11) % replicas};  // 11: prime to each count
        EXPECT_TRUE(vector.advance(replica, round)) << replicas << " replicas, round " << round;
        EXPECT_FALSE(vector.advance(replica, round)) << "already there";
        EXPECT_FALSE(vector.advance(replica, round + 2)) << "a gap";
      }
    }
    EXPECT_EQ(vector.entries().size(), replicas);
    for (const auto& [replica, seq] : vector.entries())
      EXPECT_EQ(seq, 3u);
    EXPECT_TRUE(std::is_sorted(vector.entries().begin(), vector.entries().end()));
  }
}

}  // namespace
}  // namespace trellis::crdt
