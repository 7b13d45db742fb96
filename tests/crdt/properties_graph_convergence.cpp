// Strong eventual consistency of GraphDoc delta sync: 3 to 5 replicas run
// random mutations on a small id pool (concurrent adds of one id, edits of
// removed nodes, re-adds) while their deltas are reordered, duplicated,
// delayed, dropped and resent, and replicas sometimes join each other's full
// states. Once every delta has reached every replica, all replicas hold the
// same state (== and identical encodings) and render the same view. And
// joining all deltas, in any order and with duplicates, in memory or as
// bytes through join_encoded, gives exactly the join of the full states.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "crdt/support/replica_network.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::crdt::testkit {
namespace {

void assert_all_replicas_converged(const ReplicaNetwork& network) {
  const auto& replicas = network.replicas();
  const Json first_view = graph_view(replicas[0]);
  for (std::size_t r = 1; r < replicas.size(); ++r) {
    const Json view = graph_view(replicas[r]);
    // Compared as JSON text too, which is what clients render: Json's ==
    // holds between 1 and 1.0.
    if (view != first_view || text(view) != text(first_view)) {
      RC_FAIL("after delivering everything, r" + std::to_string(r) +
              " renders a different view than r0" + "\n  r0 view: " + text(first_view) + "\n  r" +
              std::to_string(r) + " view: " + text(view) +
              "\n  r0 state: " + text(describe_state(replicas[0])) + "\n  r" + std::to_string(r) +
              " state: " + text(describe_state(replicas[r])));
    }
    assert_same_state(replicas[r], replicas[0],
                      "after delivering everything, r" + std::to_string(r) + " vs r0");
  }
}

RC_GTEST_PROP(GraphDocConvergence, ReplicasConvergeUnderReorderedDuplicatedAndDroppedDeltas, ()) {
  const History history = *gen::history();
  ReplicaNetwork network(history.replica_count, NetworkChecks{});
  network.run(history);
  network.deliver_everything();
  assert_all_replicas_converged(network);
}

RC_GTEST_PROP(GraphDocConvergence, ReplicasConvergeWhenDeltasAndStatesTravelEncoded, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.ship_encoded = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  network.deliver_everything();
  assert_all_replicas_converged(network);
}

RC_GTEST_PROP(GraphDocConvergence, DeltasJoinedInAnyOrderEqualTheJoinOfFullStates, ()) {
  const History history = *gen::history();
  ReplicaNetwork network(history.replica_count, NetworkChecks{});
  network.run(history);
  const auto& messages = network.messages();

  // A random interleaving of every delta once plus some duplicates: each
  // delivery gets a random position key, ties broken by message index.
  const std::size_t count = messages.size();
  std::vector<std::pair<std::uint32_t, std::size_t>> deliveries;
  const auto keys = *rc::gen::container<std::vector<std::uint32_t>>(
      count, rc::gen::inRange<std::uint32_t>(0, 1000));
  for (std::size_t m = 0; m < count; ++m)
    deliveries.emplace_back(keys[m], m);
  if (count > 0) {
    const auto duplicates = *rc::gen::resize(
        10,
        rc::gen::container<std::vector<std::pair<std::uint32_t, std::size_t>>>(rc::gen::pair(
            rc::gen::inRange<std::uint32_t>(0, 1000), rc::gen::inRange<std::size_t>(0, count))));
    deliveries.insert(deliveries.end(), duplicates.begin(), duplicates.end());
  }
  std::sort(deliveries.begin(), deliveries.end());

  GraphDoc from_states;
  for (const GraphDoc& replica : network.replicas())
    from_states.join(replica);

  GraphDoc from_deltas;
  for (const auto& delivery : deliveries)
    from_deltas.join(messages[delivery.second].delta);
  assert_same_state(from_deltas, from_states,
                    "⊔ of all deltas (shuffled, duplicated) vs ⊔ of all replica states");

  // The same deliveries as bytes, through the receive path of a replica.
  GraphDoc from_bytes{ReplicaId{99}};
  for (const auto& delivery : deliveries) {
    const Bytes bytes = encode(messages[delivery.second].delta);
    if (auto error = join_encoded(from_bytes, bytes)) {
      RC_FAIL("join_encoded refused the encoding of message #" + std::to_string(delivery.second) +
              ": " + error->message);
    }
  }
  assert_same_state(from_bytes, from_states,
                    "join_encoded of all deltas (shuffled, duplicated) vs ⊔ of all replica states");
}

}  // namespace
}  // namespace trellis::crdt::testkit
