#include "crdt_state_checks.hpp"

#include <string>

#include "crdt/support/view_invariants.hpp"
#include "invariant.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::fuzz {
namespace {

using crdt::GraphDoc;
using crdt::Json;

GraphDoc joined(const GraphDoc& left, const GraphDoc& right) {
  GraphDoc out = left;
  out.join(right);
  return out;
}

// The delta of a mutation the fixed documents below are built with.
GraphDoc applied(crdt::Result<GraphDoc> result) {
  require(result.ok(), "a mutation building the live document failed");
  return std::move(result).value();
}

GraphDoc build_live_document() {
  GraphDoc alice(crdt::ReplicaId{7});
  GraphDoc bob(crdt::ReplicaId{9});
  auto node = [](const char* id, int x, Json data) {
    return Json{{"id", id}, {"type", "box"}, {"position", {{"x", x}, {"y", 0}}}, {"data", data}};
  };
  bob.join(applied(alice.add_node(node("n0", 0, {{"label", "zero"}, {"size", 2}}))));
  bob.join(applied(alice.add_node(node("n1", 10, {{"color", "red"}}))));
  bob.join(applied(alice.add_node(node("n2", 20, Json::object()))));
  bob.join(applied(alice.add_edge(Json{{"id", "e0"}, {"source", "n0"}, {"target", "n1"}})));
  // Concurrent: alice removes n2 while bob parents it and edits n0.
  GraphDoc removal = applied(alice.remove_node("n2"));
  GraphDoc parent = applied(bob.update_node_fields("n2", Json{{"parentId", "n0"}}));
  GraphDoc edit = applied(bob.set_node_data_value("n0", "size", 2.5));
  GraphDoc edge = applied(bob.add_edge(Json{{"id", "e1"}, {"source", "n1"}, {"target", "n0"}}));
  alice.join(parent);
  alice.join(edit);
  alice.join(edge);
  bob.join(removal);
  require_same_state(alice, bob, "the live document's replicas did not converge");
  return bob;
}

// A second live document, of another replica, for associativity.
GraphDoc build_other_document() {
  GraphDoc carol(crdt::ReplicaId{11});
  carol.join(live_document());
  applied(carol.add_node(Json{{"id", "n3"}, {"data", {{"label", "three"}}}}));
  applied(carol.update_edge_fields("e0", Json{{"target", "n3"}}));
  applied(carol.remove_node("n1"));
  return carol;
}

}  // namespace

const GraphDoc& live_document() {
  static const GraphDoc document = build_live_document();
  return document;
}

void require_same_state(const GraphDoc& left, const GraphDoc& right, std::string_view what) {
  require(left == right, std::string(what) + " (operator==)");
  require(crdt::encode(left) == crdt::encode(right), std::string(what) + " (encoded bytes)");
}

void require_view_invariants(const GraphDoc& doc, std::string_view what) {
  if (auto violation = crdt::testkit::find_view_violation(doc)) {
    require(false, std::string(what) + ": " + *violation);
  }
  // Decoded strings are checked UTF-8, so the strict writer must not throw.
  (void)crdt::graph_view(doc).dump();
}

void require_round_trip(const GraphDoc& doc, std::string_view what) {
  const crdt::Bytes bytes = crdt::encode(doc);
  auto again = crdt::decode(bytes);
  require(again.ok(), std::string(what) + ": encode(x) does not decode: " +
                          (again.ok() ? std::string() : again.error().message));
  require(*again == doc, std::string(what) + ": decode(encode(x)) != x");
  require(crdt::encode(*again) == bytes, std::string(what) + ": encode(decode(encode(x))) differs");
  crdt::Bytes state_form;
  crdt::encode_state_to(doc, state_form);
  auto from_state_form = crdt::decode(state_form);
  require(from_state_form.ok() && *from_state_form == doc,
          std::string(what) + ": the state form of x does not decode to x");
}

void check_encoded_state(std::span<const std::uint8_t> bytes) {
  const GraphDoc& live = live_document();
  auto decoded = crdt::decode(bytes);
  GraphDoc target = live;
  auto join_error = crdt::join_encoded(target, bytes);
  if (!decoded.ok()) {
    require(!decoded.error().message.empty(), "decode refused with an empty message");
    require(join_error.has_value(), "join_encoded accepts bytes that decode refuses");
    require(join_error->code == decoded.error().code,
            "join_encoded and decode refuse with different codes");
    require(target == live, "a refused join_encoded changed the document");
    return;
  }
  const GraphDoc& state = *decoded;
  require(!join_error.has_value(), "join_encoded refuses bytes that decode accepts");
  require_same_state(target, joined(live, state), "join_encoded(live, x) != live ⊔ decode(x)");
  require_round_trip(state, "decoded input");
  require_view_invariants(state, "view of the decoded input");
  require_view_invariants(target, "view of live ⊔ x");

  require_same_state(joined(target, state), target, "(live ⊔ x) ⊔ x != live ⊔ x");
  require_same_state(joined(state, state), state, "x ⊔ x != x");
  require_same_state(joined(state, live), target, "x ⊔ live != live ⊔ x");
  static const GraphDoc other = build_other_document();
  require_same_state(joined(target, other), joined(live, joined(state, other)),
                     "(live ⊔ x) ⊔ other != live ⊔ (x ⊔ other)");
  GraphDoc by_move = live;
  by_move.join(GraphDoc(state));
  require_same_state(by_move, target, "join by move != join by copy");
}

}  // namespace trellis::fuzz
