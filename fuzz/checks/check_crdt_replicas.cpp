// Structure-aware: the input is a program of CRDT operations on 3 replicas.
// Each byte picks a step — a mutation on one replica, from small pools of
// ids, keys and values so that replicas collide, or a delivery of an
// encoded delta with reordering, duplication, dropping (resent at the end)
// or a whole-state sync — and the bytes after it its arguments. After every
// step: a mutation's delta joined into the state before it gives the state
// after it, joining it again changes nothing, a failed mutation changes
// nothing, deltas round-trip, views keep their invariants. At the end every
// delta reaches every replica and the 3 replicas must hold the same state
// (== and bytes) and the same view.

#include <array>
#include <deque>
#include <string>
#include <vector>

#include "checks.hpp"
#include "crdt_state_checks.hpp"
#include "invariant.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::fuzz {
namespace {

using crdt::Bytes;
using crdt::FieldKey;
using crdt::GraphDoc;
using crdt::Json;

constexpr std::size_t kReplicaCount = 3;
constexpr std::size_t kMaxSteps = 256;
constexpr std::array<const char*, 4> kNodeIds = {"n0", "n1", "n2", "n3"};
constexpr std::array<const char*, 3> kEdgeIds = {"e0", "e1", "e2"};
constexpr std::array<const char*, 3> kDataKeys = {"label", "color", "size"};
constexpr std::array<const char*, 4> kTopFields = {"type", "position", "style", "parentId"};

struct Network {
  std::array<GraphDoc, kReplicaCount> replicas{
      GraphDoc(crdt::ReplicaId{1}), GraphDoc(crdt::ReplicaId{2}), GraphDoc(crdt::ReplicaId{3})};
  // Encoded deltas on their way to each replica, oldest first.
  std::array<std::deque<Bytes>, kReplicaCount> inboxes;
  // Deltas dropped on the way to a replica, resent at the end.
  std::vector<std::pair<std::size_t, Bytes>> lost;
};

const char* pick(ByteReader& in, const auto& pool) {
  return pool[in.below(pool.size())];
}

Json any_value(ByteReader& in) {
  switch (in.below(9)) {
    case 0:
      return nullptr;
    case 1:
      return in.next() % 2 == 0;
    case 2:
      return static_cast<int>(in.next()) - 128;
    case 3:
      // Quarters: decimals (0.25), floats that are exact, and integers as floats.
      return (static_cast<int>(in.next()) - 128) / 4.0;
    case 4:
      return std::string("s") + std::to_string(in.below(4));
    case 5:
      return Json::array({in.below(3), "x"});
    case 6:
      return Json{{"k", in.below(3)}};
    case 7:
      return in.next() % 2 ? -0.0 : 1.5e300;
    default:
      return 0.1 * in.below(7);
  }
}

Json any_top_field_value(ByteReader& in, const std::string& field) {
  if (field == "position") return Json{{"x", any_value(in)}, {"y", in.below(3)}};
  if (field == "parentId") return pick(in, kNodeIds);
  return any_value(in);
}

Json any_node(ByteReader& in, const char* id) {
  Json node{{"id", id}};
  const std::uint8_t parts = in.next();
  if (parts & 1) node["type"] = in.below(2) ? "box" : "circle";
  if (parts & 2) node["position"] = any_top_field_value(in, "position");
  if (parts & 4) node["parentId"] = pick(in, kNodeIds);
  if (parts & 8) {
    node["data"] = Json::object();
    for (std::size_t i = in.below(3); i > 0; --i)
      node["data"][pick(in, kDataKeys)] = any_value(in);
  }
  return node;
}

FieldKey any_field_key(ByteReader& in) {
  if (in.below(2)) return FieldKey::data(pick(in, kDataKeys));
  return FieldKey::top(pick(in, kTopFields));
}

// One mutation on `doc`; its result, or nothing when `choice` is no mutation.
crdt::Result<GraphDoc> mutate(GraphDoc& doc, std::size_t choice, ByteReader& in) {
  const char* node = pick(in, kNodeIds);
  const char* edge = pick(in, kEdgeIds);
  switch (choice) {
    case 0:
      return doc.add_node(any_node(in, node));
    case 1: {
      const std::string field = pick(in, kTopFields);
      if (in.below(4) == 0) {
        return doc.update_node_fields(node, Json{{"data", {{pick(in, kDataKeys), any_value(in)}}}});
      }
      return doc.update_node_fields(node, Json{{field, any_top_field_value(in, field)}});
    }
    case 2:
      return doc.set_node_data(
          node, Json{{pick(in, kDataKeys), any_value(in)}, {pick(in, kDataKeys), any_value(in)}});
    case 3:
      return doc.set_node_data_value(node, pick(in, kDataKeys), any_value(in));
    case 4:
      return doc.remove_node_fields(node, {any_field_key(in), any_field_key(in)});
    case 5:
      return doc.remove_node(node);
    case 6: {
      Json object{{"id", edge}, {"source", node}, {"target", pick(in, kNodeIds)}};
      if (in.below(2)) object["label"] = any_value(in);
      return doc.add_edge(object);
    }
    case 7: {
      static constexpr std::array<const char*, 3> kEdgeFields = {"source", "target", "label"};
      const std::string field = pick(in, kEdgeFields);
      const Json value = field == "label" ? any_value(in) : Json(pick(in, kNodeIds));
      return doc.update_edge_fields(edge, Json{{field, value}});
    }
    case 8:
      return doc.remove_edge_fields(edge, {FieldKey::top("label"), any_field_key(in)});
    default:
      return doc.remove_edge(edge);
  }
}

void deliver(GraphDoc& replica, const Bytes& delta, bool through_decode) {
  if (through_decode) {
    auto decoded = crdt::decode(delta);
    require(decoded.ok(), "a delta made by a mutator does not decode");
    replica.join(*decoded);
  } else {
    require(!crdt::join_encoded(replica, delta).has_value(),
            "join_encoded refuses a delta made by a mutator");
  }
}

void mutation_step(Network& network, std::size_t r, std::size_t choice, ByteReader& in) {
  GraphDoc& replica = network.replicas[r];
  const GraphDoc before = replica;
  auto delta = mutate(replica, choice, in);
  if (!delta.ok()) {
    require(replica == before, "a failed mutation changed the replica");
    return;
  }
  require_same_state(
      replica,
      [&] {
        GraphDoc rebuilt = before;
        rebuilt.join(*delta);
        return rebuilt;
      }(),
      "before ⊔ delta != the state after the mutation");
  GraphDoc again = replica;
  again.join(*delta);
  require_same_state(again, replica, "joining a replica's own delta again changed it");
  require_round_trip(*delta, "a mutator's delta");
  require_view_invariants(replica, "view after a mutation");
  const Bytes bytes = crdt::encode(*delta);
  for (std::size_t other = 0; other < kReplicaCount; ++other) {
    if (other != r) network.inboxes[other].push_back(bytes);
  }
}

void delivery_step(Network& network, std::size_t r, std::size_t choice, ByteReader& in) {
  auto& inbox = network.inboxes[r];
  GraphDoc& replica = network.replicas[r];
  const bool through_decode = in.below(2) == 1;
  if (choice == 4) {
    // Whole-state anti-entropy from another replica, in the state form.
    const GraphDoc& source = network.replicas[(r + 1 + in.below(2)) % kReplicaCount];
    Bytes state;
    crdt::encode_state_to(source, state);
    deliver(replica, state, through_decode);
  } else if (!inbox.empty()) {
    const std::size_t at = choice == 0 ? 0 : in.below(inbox.size());
    if (choice <= 1) {  // in order, or any one (reordering)
      deliver(replica, inbox[at], through_decode);
      inbox.erase(inbox.begin() + static_cast<std::ptrdiff_t>(at));
    } else if (choice == 2) {  // duplicated: delivered now and again later
      deliver(replica, inbox[at], through_decode);
    } else {  // dropped: resent once everything else is delivered
      network.lost.emplace_back(r, std::move(inbox[at]));
      inbox.erase(inbox.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }
  require_view_invariants(replica, "view after a delivery");
}

}  // namespace

Violation check_crdt_replicas(const std::uint8_t* data, std::size_t size) {
  return guarded([&] {
    ByteReader in(data, size);
    Network network;
    for (std::size_t step = 0; step < kMaxSteps && !in.done(); ++step) {
      const std::uint8_t op = in.next();
      const std::size_t r = (op >> 4) % kReplicaCount;
      const std::size_t choice = op & 0x0f;
      if (choice < 10) {
        mutation_step(network, r, choice, in);
      } else {
        delivery_step(network, r, choice - 10, in);
      }
    }
    for (std::size_t r = 0; r < kReplicaCount; ++r) {
      for (const Bytes& delta : network.inboxes[r])
        deliver(network.replicas[r], delta, false);
    }
    for (const auto& [r, delta] : network.lost)
      deliver(network.replicas[r], delta, true);
    const GraphDoc& first = network.replicas[0];
    require_view_invariants(first, "final view");
    require_round_trip(first, "final state");
    for (std::size_t r = 1; r < kReplicaCount; ++r) {
      require_same_state(network.replicas[r], first, "replicas differ after every delivery");
      require(crdt::graph_view(network.replicas[r]) == crdt::graph_view(first),
              "converged replicas show different views");
    }
  });
}

}  // namespace trellis::fuzz
