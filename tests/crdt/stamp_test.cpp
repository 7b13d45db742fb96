// Unit tests of the identities and orders every CRDT type builds on:
// ReplicaId, Dot (which event) and Stamp (which write wins).

#include "trellis/crdt/stamp.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <unordered_set>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/dot.hpp"
#include "trellis/crdt/replica_id.hpp"

namespace trellis::crdt {
namespace {

TEST(ReplicaId, OnlyZeroIsNull) {
  EXPECT_TRUE(ReplicaId{}.is_null());
  EXPECT_TRUE(ReplicaId{0}.is_null());
  EXPECT_FALSE(kAlice.is_null());
}

TEST(ReplicaId, OrdersByValue) {
  EXPECT_LT(kAlice, kBob);
  EXPECT_EQ(ReplicaId{7}, ReplicaId{7});
}

TEST(ReplicaId, HashIsTheHashOfTheValue) {
  EXPECT_EQ(std::hash<ReplicaId>{}(ReplicaId{42}), std::hash<std::uint64_t>{}(42));
}

TEST(Dot, OrdersByReplicaThenSeq) {
  EXPECT_LT((Dot{kAlice, 9}), (Dot{kBob, 1}));
  EXPECT_LT((Dot{kAlice, 1}), (Dot{kAlice, 2}));
  EXPECT_EQ((Dot{kAlice, 1}), (Dot{kAlice, 1}));
}

TEST(Dot, HashGivesDistinctValuesToDotsOfOneReplicaAndOfDifferentReplicas) {
  std::unordered_set<std::size_t> hashes;
  for (std::uint64_t replica = 1; replica <= 20; ++replica) {
    for (std::uint64_t seq = 1; seq <= 20; ++seq) {
      hashes.insert(std::hash<Dot>{}(Dot{ReplicaId{replica}, seq}));
    }
  }
  EXPECT_EQ(hashes.size(), 400u);
  EXPECT_EQ(std::hash<Dot>{}(Dot{kAlice, 3}), std::hash<Dot>{}(Dot{kAlice, 3}));
}

TEST(Stamp, TheHigherCounterWinsWhateverTheReplica) {
  EXPECT_LT((Stamp{1, kBob, 1}), (Stamp{2, kAlice, 1}));
}

TEST(Stamp, EqualCountersAreDecidedByReplicaId) {
  EXPECT_LT((Stamp{5, kAlice, 9}), (Stamp{5, kBob, 1}));
}

TEST(Stamp, SeqDecidesOnlyWhenCounterAndReplicaAreEqual) {
  EXPECT_LT((Stamp{5, kAlice, 1}), (Stamp{5, kAlice, 2}));
  EXPECT_NE((Stamp{5, kAlice, 1}), (Stamp{5, kAlice, 2}));
}

TEST(Stamp, DotNamesTheReplicaAndSeqOfTheEvent) {
  EXPECT_EQ((Stamp{12, kBob, 4}).dot(), (Dot{kBob, 4}));
}

}  // namespace
}  // namespace trellis::crdt
