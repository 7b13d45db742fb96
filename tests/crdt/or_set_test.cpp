// Unit tests of OrSet, the add-wins observed-remove set (AWORSet): a remove
// drops only the adds it observed, so a concurrent add survives.

#include "trellis/crdt/or_set.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

using Set = OrSet<std::string>;
using Elements = std::vector<std::string>;

TEST(OrSet, DefaultSetIsEmpty) {
  Set set;
  EXPECT_EQ(set.size(), 0u);
  EXPECT_TRUE(set.elements().empty());
  EXPECT_FALSE(set.contains("x"));
  EXPECT_TRUE(set.context().empty());
  EXPECT_TRUE(set.entries().empty());
}

TEST(OrSet, AddMakesTheElementPresentWithOneFreshDot) {
  Set set;
  set.add(kAlice, "x");
  EXPECT_TRUE(set.contains("x"));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_EQ(set.entries().at("x"), (DotSet{{kAlice, 1}}));
  EXPECT_TRUE(set.context().contains(Dot{kAlice, 1}));
}

TEST(OrSet, AddDeltaHoldsTheElementAndItsDot) {
  Set set;
  Set delta = set.add(kAlice, "x");
  EXPECT_EQ(delta.elements(), Elements{"x"});
  EXPECT_EQ(delta.entries().at("x"), (DotSet{{kAlice, 1}}));
  EXPECT_EQ(delta.context().dot_count(), 1u);
  EXPECT_EQ(delta, set);
}

TEST(OrSet, EachAddTakesTheNextDotOfItsReplica) {
  Set set;
  set.add(kAlice, "x");
  set.add(kAlice, "y");
  EXPECT_EQ(set.entries().at("y"), (DotSet{{kAlice, 2}}));
}

TEST(OrSet, AddingAPresentElementReplacesItsDotsWithOne) {
  Set set;
  set.add(kAlice, "x");
  Set delta = set.add(kAlice, "x");
  EXPECT_EQ(set.entries().at("x"), (DotSet{{kAlice, 2}}));
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 1}));
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 2}));
}

TEST(OrSet, RemoveDropsTheElementAndLeavesNoTombstone) {
  Set set;
  set.add(kAlice, "x");
  set.remove("x");
  EXPECT_FALSE(set.contains("x"));
  EXPECT_TRUE(set.entries().empty());
  EXPECT_TRUE(set.context().contains(Dot{kAlice, 1}));
}

TEST(OrSet, RemoveDeltaHoldsOnlyTheObservedDotsInItsContext) {
  Set set;
  set.add(kAlice, "x");
  set.add(kAlice, "y");
  Set delta = set.remove("x");
  EXPECT_TRUE(delta.entries().empty());
  EXPECT_EQ(delta.context().dot_count(), 1u);
  EXPECT_TRUE(delta.context().contains(Dot{kAlice, 1}));
}

TEST(OrSet, RemovingAnAbsentElementIsAnEmptyDelta) {
  Set set;
  set.add(kAlice, "x");
  const Set before = set;
  Set delta = set.remove("y");
  EXPECT_EQ(delta, Set{});
  EXPECT_EQ(set, before);
}

TEST(OrSet, ElementsAreSorted) {
  Set set;
  set.add(kAlice, "c");
  set.add(kAlice, "a");
  set.add(kBob, "b");
  EXPECT_EQ(set.elements(), (Elements{"a", "b", "c"}));
}

TEST(OrSet, ARemoveDeltaRemovesTheObservedAddElsewhere) {
  Set alice;
  Set bob;
  bob.join(alice.add(kAlice, "x"));
  alice.join(bob.remove("x"));
  EXPECT_FALSE(alice.contains("x"));
  EXPECT_EQ(alice, bob);
}

TEST(OrSet, AnAddConcurrentWithARemoveWinsInBothDeliveryOrders) {
  Set alice;
  Set bob;
  bob.join(alice.add(kAlice, "x"));
  Set removal = alice.remove("x");
  Set re_add = bob.add(kBob, "x");
  alice.join(re_add);
  bob.join(removal);
  EXPECT_TRUE(alice.contains("x"));
  EXPECT_EQ(alice.entries().at("x"), (DotSet{{kBob, 1}}));
  EXPECT_EQ(alice, bob);
}

TEST(OrSet, ConcurrentAddsOfOneElementKeepBothDots) {
  Set alice;
  Set bob;
  Set from_alice = alice.add(kAlice, "x");
  Set from_bob = bob.add(kBob, "x");
  alice.join(from_bob);
  bob.join(from_alice);
  EXPECT_EQ(alice.entries().at("x"), (DotSet{{kAlice, 1}, {kBob, 1}}));
  EXPECT_EQ(alice, bob);
}

TEST(OrSet, RemoveAfterSeeingBothConcurrentAddsRemovesTheElementEverywhere) {
  Set alice;
  Set bob;
  Set from_alice = alice.add(kAlice, "x");
  Set from_bob = bob.add(kBob, "x");
  alice.join(from_bob);
  bob.join(from_alice);
  bob.join(alice.remove("x"));
  EXPECT_FALSE(bob.contains("x"));
  EXPECT_EQ(alice, bob);
}

TEST(OrSet, ConcurrentRemovesOfOneElementAgree) {
  Set alice;
  Set bob;
  bob.join(alice.add(kAlice, "x"));
  Set from_alice = alice.remove("x");
  Set from_bob = bob.remove("x");
  alice.join(from_bob);
  bob.join(from_alice);
  EXPECT_FALSE(alice.contains("x"));
  EXPECT_EQ(alice, bob);
}

TEST(OrSet, ARemoveArrivingBeforeItsAddKeepsTheElementOut) {
  Set alice;
  Set add = alice.add(kAlice, "x");
  Set removal = alice.remove("x");
  Set late;
  late.join(removal);
  late.join(add);
  EXPECT_FALSE(late.contains("x"));
  EXPECT_EQ(late, alice);
}

TEST(OrSet, JoinIsIdempotentAndCommutative) {
  Set alice;
  Set bob;
  alice.add(kAlice, "x");
  alice.add(kAlice, "y");
  bob.add(kBob, "y");
  bob.add(kBob, "z");
  Set alice_then_bob = alice;
  alice_then_bob.join(bob);
  Set bob_then_alice = bob;
  bob_then_alice.join(alice);
  EXPECT_EQ(alice_then_bob, bob_then_alice);
  Set again = alice_then_bob;
  again.join(alice);
  again.join(alice_then_bob);
  EXPECT_EQ(again, alice_then_bob);
}

TEST(OrSet, JoiningDeltasGivesTheSameStateAsJoiningTheFullState) {
  Set alice;
  std::vector<Set> deltas;
  deltas.push_back(alice.add(kAlice, "x"));
  deltas.push_back(alice.add(kAlice, "y"));
  deltas.push_back(alice.remove("x"));
  deltas.push_back(alice.add(kAlice, "z"));
  Set from_deltas;
  for (const Set& delta : deltas)
    from_deltas.join(delta);
  Set from_state;
  from_state.join(alice);
  EXPECT_EQ(from_deltas, from_state);
  EXPECT_EQ(from_deltas.elements(), (Elements{"y", "z"}));
}

TEST(OrSet, EqualityComparesEntriesAndContext) {
  Set with_history;
  with_history.add(kAlice, "x");
  with_history.remove("x");
  EXPECT_NE(with_history, Set{});
  EXPECT_EQ(with_history.elements(), Set{}.elements());
}

}  // namespace
}  // namespace trellis::crdt
