// Unit tests of LwwRegister: the write with the larger (Lamport counter,
// replica id) stamp wins on every replica, whatever the delivery order.

#include "trellis/crdt/lww_register.hpp"

#include <gtest/gtest.h>

#include <string>

#include "crdt/crdt_testing.hpp"

namespace trellis::crdt {
namespace {

using Register = LwwRegister<std::string>;

Register joined(Register left, const Register& right) {
  left.join(right);
  return left;
}

TEST(LwwRegister, DefaultRegisterHoldsTheDefaultValueAndZeroStamp) {
  Register reg;
  EXPECT_EQ(reg.value, "");
  EXPECT_EQ(reg.stamp, Stamp{});
}

TEST(LwwRegister, TheHigherCounterWinsEvenFromASmallerReplicaId) {
  Register from_bob{"bob", Stamp{1, kBob, 1}};
  Register from_alice{"alice", Stamp{2, kAlice, 1}};
  EXPECT_TRUE(from_bob.loses_to(from_alice));
  EXPECT_FALSE(from_alice.loses_to(from_bob));
  EXPECT_EQ(joined(from_bob, from_alice), from_alice);
  EXPECT_EQ(joined(from_alice, from_bob), from_alice);
}

TEST(LwwRegister, EqualCountersAreDecidedByTheLargerReplicaId) {
  Register from_alice{"zzz", Stamp{3, kAlice, 1}};
  Register from_bob{"aaa", Stamp{3, kBob, 1}};
  EXPECT_TRUE(from_alice.loses_to(from_bob));
  EXPECT_EQ(joined(from_alice, from_bob), from_bob);
  EXPECT_EQ(joined(from_bob, from_alice), from_bob);
}

TEST(LwwRegister, ForgedEqualStampsAreDecidedByTheLargerValueOnBothSides) {
  Register small{"a", Stamp{3, kAlice, 1}};
  Register large{"b", Stamp{3, kAlice, 1}};
  EXPECT_TRUE(small.loses_to(large));
  EXPECT_FALSE(large.loses_to(small));
  EXPECT_EQ(joined(small, large), large);
  EXPECT_EQ(joined(large, small), large);
}

TEST(LwwRegister, ARegisterDoesNotLoseToItself) {
  Register reg{"x", Stamp{3, kAlice, 1}};
  EXPECT_FALSE(reg.loses_to(reg));
}

TEST(LwwRegister, JoinReportsWhetherTheRegisterChanged) {
  Register reg{"old", Stamp{1, kAlice, 1}};
  EXPECT_TRUE(reg.join(Register{"new", Stamp{2, kAlice, 2}}));
  EXPECT_EQ(reg.value, "new");
  EXPECT_FALSE(reg.join(Register{"older", Stamp{1, kBob, 1}}));
  EXPECT_EQ(reg.value, "new");
}

TEST(LwwRegister, JoinIsIdempotent) {
  Register reg{"x", Stamp{4, kBob, 2}};
  Register copy = reg;
  EXPECT_FALSE(copy.join(reg));
  EXPECT_EQ(copy, reg);
}

TEST(LwwRegister, AssignWritesTheValueAndReturnsItAsTheDelta) {
  Register reg{"old", Stamp{1, kAlice, 1}};
  Register delta = reg.assign("new", Stamp{2, kAlice, 2});
  EXPECT_EQ(reg, (Register{"new", Stamp{2, kAlice, 2}}));
  EXPECT_EQ(delta, reg);
}

TEST(LwwRegister, AssignWithAnOlderStampLeavesTheWinnerInPlace) {
  Register reg{"winner", Stamp{5, kBob, 1}};
  Register delta = reg.assign("stale", Stamp{4, kAlice, 1});
  EXPECT_EQ(reg.value, "winner");
  EXPECT_EQ(delta, (Register{"stale", Stamp{4, kAlice, 1}}));
}

TEST(LwwRegister, EqualityComparesValueAndStamp) {
  EXPECT_EQ((Register{"x", Stamp{1, kAlice, 1}}), (Register{"x", Stamp{1, kAlice, 1}}));
  EXPECT_NE((Register{"x", Stamp{1, kAlice, 1}}), (Register{"y", Stamp{1, kAlice, 1}}));
  EXPECT_NE((Register{"x", Stamp{1, kAlice, 1}}), (Register{"x", Stamp{1, kBob, 1}}));
}

}  // namespace
}  // namespace trellis::crdt
