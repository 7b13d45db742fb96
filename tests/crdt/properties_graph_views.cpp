// What users see is sound at every moment of a random history, not only after
// convergence: after every mutation, delivery and state join, on the replica
// it changed,
//   - the view never holds a dangling edge (nor breaks any other view
//     invariant of view_invariants.hpp);
//   - nodes and edges are present exactly when the observed-remove model
//     (presence_model.hpp) says so: a removed node never comes back unless
//     some replica re-added it (or added it concurrently with the removal);
//   - an entity just added shows exactly the object given, even when its id
//     had been removed before with other fields.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crdt/support/replica_network.hpp"

namespace trellis::crdt::testkit {
namespace {

RC_GTEST_PROP(GraphViewInvariant, NeverShowsADanglingEdge, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.view_invariants = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  network.deliver_everything();
}

RC_GTEST_PROP(GraphViewInvariant, RemovedNodeNeverComesBackUnlessReAdded, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.presence = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  network.deliver_everything();
}

RC_GTEST_PROP(GraphViewInvariant, AddedEntityShowsExactlyTheObjectGiven, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.added_view = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
}

}  // namespace
}  // namespace trellis::crdt::testkit
