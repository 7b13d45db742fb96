// Two replicas of one canvas edit offline, then exchange their deltas as
// encoded bytes and converge. Run: build/release/crdt/trellis-crdt-demo
#include <cstdio>
#include <vector>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

using namespace trellis::crdt;

namespace {

// Applies a mutation, keeping its encoded delta for the trip to the peer.
void record(Result<GraphDoc> delta, std::vector<Bytes>& outbox) {
  if (!delta) {
    std::fprintf(stderr, "edit refused: %s\n", delta.error().message.c_str());
    return;
  }
  outbox.push_back(encode(*delta));
}

void deliver(const std::vector<Bytes>& outbox, GraphDoc& to) {
  for (const Bytes& bytes : outbox) {
    auto delta = decode(bytes);
    if (!delta) {
      std::fprintf(stderr, "delta rejected: %s\n", delta.error().message.c_str());
      continue;
    }
    to.join(*delta);
  }
}

}  // namespace

int main() {
  GraphDoc alice(ReplicaId{1});
  GraphDoc bob(ReplicaId{2});

  // A shared starting point: one box node, synced to both.
  std::vector<Bytes> setup;
  record(alice.add_node({{"id", "box"},
                         {"type", "box"},
                         {"position", {{"x", 0}, {"y", 0}}},
                         {"data", {{"width", 1.0}, {"height", 1.0}, {"depth", 1.0}}}}),
         setup);
  deliver(setup, bob);

  // Offline: Alice resizes the box and adds a sphere; Bob moves the box and
  // changes its depth; both edit `height` (one of them wins everywhere).
  std::vector<Bytes> from_alice, from_bob;
  record(alice.set_node_data("box", {{"width", 2.5}, {"height", 3.0}}), from_alice);
  record(alice.add_node({{"id", "sphere"},
                         {"type", "sphere"},
                         {"position", {{"x", 200}, {"y", 40}}},
                         {"data", {{"radius", 0.75}}}}),
         from_alice);
  record(alice.add_edge({{"id", "e1"}, {"source", "box"}, {"target", "sphere"}}), from_alice);
  record(bob.update_node_fields("box", {{"position", {{"x", 120}, {"y", -35}}}}), from_bob);
  record(bob.set_node_data("box", {{"depth", 4.0}, {"height", 9.0}}), from_bob);

  std::size_t bytes = 0;
  for (const auto& delta : from_alice)
    bytes += delta.size();
  for (const auto& delta : from_bob)
    bytes += delta.size();

  // Back online: each receives the other's deltas (in any order, any number of times).
  deliver(from_bob, alice);
  deliver(from_alice, bob);
  deliver(from_alice, bob);

  std::printf("alice: %s\n", graph_view(alice).dump(2).c_str());
  std::printf("%zu deltas, %zu bytes on the wire\n", from_alice.size() + from_bob.size(), bytes);
  const bool converged = alice == bob && graph_view(alice) == graph_view(bob);
  std::printf("replicas converged: %s\n", converged ? "yes" : "NO");
  return converged ? 0 : 1;
}
