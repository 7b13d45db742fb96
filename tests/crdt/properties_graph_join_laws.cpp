// GraphDoc is a join-semilattice: join is idempotent, commutative and
// associative, the empty state is its identity, joining by move computes what
// joining by copy does, and every mutator's delta is exactly what the
// mutation added (state after = state before ⊔ delta).
//
// The states are the ones real replicas reach: every state a random history
// produced (replicas after each step, partially synced; every delta), so that
// the laws are checked on states that overlap, dominate one another, or are
// concurrent. States are "the same" when == holds and their encodings are
// byte-identical (state_comparison.hpp).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "crdt/support/replica_network.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt::testkit {
namespace {

std::vector<GraphDoc> states_of_a_random_history() {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.snapshots = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  return network.state_pool();
}

const GraphDoc& pick_state(const std::vector<GraphDoc>& pool, const char* name) {
  const auto index = *rc::gen::inRange<std::size_t>(0, pool.size());
  RC_LOG() << name << " = state #" << index << " of " << pool.size() << ": "
           << text(describe_state(pool[index])) << "\n";
  return pool[index];
}

RC_GTEST_PROP(GraphDocJoinLaw, IsIdempotent, ()) {
  const auto pool = states_of_a_random_history();
  const GraphDoc& a = pick_state(pool, "a");
  const GraphDoc same_as_a = a;  // a distinct object: join(*this) would be a no-op
  assert_same_state(joined(a, same_as_a), a, "a ⊔ a == a");
}

RC_GTEST_PROP(GraphDocJoinLaw, IsCommutative, ()) {
  const auto pool = states_of_a_random_history();
  const GraphDoc& a = pick_state(pool, "a");
  const GraphDoc& b = pick_state(pool, "b");
  assert_same_state(joined(a, b), joined(b, a), "a ⊔ b == b ⊔ a");
}

RC_GTEST_PROP(GraphDocJoinLaw, IsAssociative, ()) {
  const auto pool = states_of_a_random_history();
  const GraphDoc& a = pick_state(pool, "a");
  const GraphDoc& b = pick_state(pool, "b");
  const GraphDoc& c = pick_state(pool, "c");
  assert_same_state(joined(joined(a, b), c), joined(a, joined(b, c)), "(a ⊔ b) ⊔ c == a ⊔ (b ⊔ c)");
}

RC_GTEST_PROP(GraphDocJoinLaw, HasTheEmptyStateAsIdentity, ()) {
  const auto pool = states_of_a_random_history();
  const GraphDoc& a = pick_state(pool, "a");
  assert_same_state(joined(a, GraphDoc{}), a, "a ⊔ ⊥ == a");
  assert_same_state(joined(GraphDoc{}, a), a, "⊥ ⊔ a == a");
}

// join(GraphDoc&&) takes field values from its argument instead of copying
// them; it must compute exactly what join(const GraphDoc&) computes.
RC_GTEST_PROP(GraphDocJoinLaw, JoiningByMoveEqualsJoiningByCopy, ()) {
  const auto pool = states_of_a_random_history();
  const GraphDoc& a = pick_state(pool, "a");
  const GraphDoc& b = pick_state(pool, "b");
  GraphDoc by_move = a;
  by_move.join(GraphDoc(b));
  assert_same_state(by_move, joined(a, b), "a ⊔ b by move vs by copy");
}

// The delta-mutator law of delta-state CRDTs: m(x) = x ⊔ mδ(x). It is what
// makes shipping deltas equivalent to shipping states.
RC_GTEST_PROP(GraphDocDeltaMutatorLaw, StateAfterEqualsStateBeforeJoinedWithDelta, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.delta_law = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
}

}  // namespace
}  // namespace trellis::crdt::testkit
