// delta_since(known) is the anti-entropy fallback: what a replica lacks that
// has joined the transactions in `known` in full. Its law, for replica states
// a and b of one document: b ⊔ a.delta_since(known(b)) == b ⊔ a. The states
// are the snapshots and final states of replicas in random histories, each
// with the transactions it has joined in full (deltas are not replica states:
// their context claims events whose effects they do not hold). The result is
// sent over the wire, so it must round-trip as well.
//
// known(b) is the set of transactions b has joined in full, which is what
// docs/protocol.md has clients announce; b's causal context would not do
// after out-of-order delivery: a removal's context names the removed add's
// dot without carrying that add's fields (graph_doc.hpp).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <utility>
#include <vector>

#include "crdt/support/replica_network.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt::testkit {
namespace {

struct ReplicaState {
  GraphDoc state;
  CausalContext joined_in_full;
};

std::vector<ReplicaState> replica_states_of_a_random_history() {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.snapshots = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  std::vector<ReplicaState> states;
  for (std::size_t i = 0; i < network.snapshots().size(); ++i) {
    states.push_back({network.snapshots()[i], network.snapshots_joined_in_full()[i]});
  }
  for (std::size_t r = 0; r < network.replicas().size(); ++r) {
    states.push_back({network.replicas()[r], network.joined_in_full(r)});
  }
  return states;
}

Json describe_context(const CausalContext& context) {
  GraphDoc holder;
  auto doc = GraphDoc::from_parts(context, {}, {});
  return describe_state(doc.ok() ? *doc : holder)["context"];
}

void check_delta_since(const GraphDoc& a, const GraphDoc& b, const CausalContext& known,
                       const char* known_name) {
  RC_LOG() << "a (sender) = " << text(describe_state(a)) << "\n"
           << "b (receiver) = " << text(describe_state(b)) << "\n"
           << "known = " << known_name << " = " << describe_context(known).dump() << "\n";
  const GraphDoc lacking = a.delta_since(known);
  RC_LOG() << "a.delta_since(known) = " << text(describe_state(lacking)) << "\n";
  assert_same_state(joined(b, lacking), joined(b, a), "b ⊔ a.delta_since(known) vs b ⊔ a");

  auto decoded = decode(encode(lacking));
  RC_ASSERT(decoded.ok());
  assert_same_state(*decoded, lacking, "decode(encode(a.delta_since(known)))");
}

RC_GTEST_PROP(GraphDocDeltaSinceLaw, GivesAReplicaWhatItLacksGivenWhatItJoinedInFull, ()) {
  const auto states = replica_states_of_a_random_history();
  const auto& a = states[*rc::gen::inRange<std::size_t>(0, states.size())];
  const auto& b = states[*rc::gen::inRange<std::size_t>(0, states.size())];
  check_delta_since(a.state, b.state, b.joined_in_full, "what b joined in full");
}

}  // namespace
}  // namespace trellis::crdt::testkit
