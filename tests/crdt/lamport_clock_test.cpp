// Unit tests of LamportClock: the replica-local logical clock that issues
// the Stamps of last-writer-wins.

#include "trellis/crdt/lamport_clock.hpp"

#include <gtest/gtest.h>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

TEST(LamportClock, DefaultClockHasTheNullReplicaAndCounterZero) {
  LamportClock clock;
  EXPECT_TRUE(clock.replica().is_null());
  EXPECT_EQ(clock.counter(), 0u);
}

TEST(LamportClock, ConstructorSetsReplicaAndStartingCounter) {
  LamportClock clock(kAlice, 41);
  EXPECT_EQ(clock.replica(), kAlice);
  EXPECT_EQ(clock.counter(), 41u);
  EXPECT_EQ(LamportClock(kAlice).counter(), 0u);
}

TEST(LamportClock, TickIssuesTheNextCounterWithThisReplicaAndTheGivenSeq) {
  LamportClock clock(kAlice);
  EXPECT_EQ(clock.tick(1), (Stamp{1, kAlice, 1}));
  EXPECT_EQ(clock.tick(2), (Stamp{2, kAlice, 2}));
  EXPECT_EQ(clock.counter(), 2u);
}

TEST(LamportClock, TickNeverIssuesACounterBelowTheSeq) {
  // A replica reloaded from a state whose last events were removals (which
  // leave no stamps) knows its seq but not its counter.
  LamportClock clock(kAlice);
  EXPECT_EQ(clock.tick(5), (Stamp{5, kAlice, 5}));
  EXPECT_EQ(clock.tick(6), (Stamp{6, kAlice, 6}));
}

TEST(LamportClock, EveryTickIsLargerThanTheLast) {
  LamportClock clock(kAlice);
  Stamp previous = clock.tick(1);
  for (std::uint64_t seq = 2; seq <= 100; ++seq) {
    Stamp next = clock.tick(seq);
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(LamportClock, ObserveRaisesTheCounterToARemoteCounter) {
  LamportClock clock(kAlice);
  clock.observe(10);
  EXPECT_EQ(clock.counter(), 10u);
}

TEST(LamportClock, ObserveOfASmallerCounterChangesNothing) {
  LamportClock clock(kAlice, 10);
  clock.observe(3);
  EXPECT_EQ(clock.counter(), 10u);
}

TEST(LamportClock, TickAfterObserveIsLargerThanTheObservedCounter) {
  LamportClock clock(kAlice);
  clock.observe(7);
  EXPECT_EQ(clock.tick(1).counter, 8u);
}

TEST(LamportClock, AWriteThatSawARemoteWriteBeatsIt) {
  LamportClock alice(ReplicaId{1});
  LamportClock bob(ReplicaId{2});
  Stamp bob_write = bob.tick(1);
  alice.observe(bob_write.counter);
  // Alice's replica id is smaller, so only the counter can make her win.
  EXPECT_LT(bob_write, alice.tick(1));
}

}  // namespace
}  // namespace trellis::crdt
