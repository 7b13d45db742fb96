// The lean delta of a field write (FieldWriteDelta) means exactly the GraphDoc
// delta of the same transaction: on replicas that a random history left in
// every kind of state, the lean mutators change the replica as the GraphDoc
// ones do, GraphDoc(lean delta) is the GraphDoc delta, the lean delta encodes
// to the same bytes, and joining it anywhere gives what joining the GraphDoc
// delta gives. With that, every law GraphDoc's deltas obey (join laws,
// delta-mutator law, convergence) carries over to the lean form.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/support/replica_network.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/field_write_delta.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt::testkit {
namespace {

struct RandomReplicas {
  std::vector<GraphDoc> replicas;  // can mutate
  std::vector<GraphDoc> pool;      // every state the history produced
};

RandomReplicas after_a_random_history() {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.snapshots = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  return {network.replicas(), network.state_pool()};
}

// Both forms of one field write, from two copies of one replica.
struct BothForms {
  GraphDoc lean_replica;
  GraphDoc doc_replica;
  Result<FieldWriteDelta> lean;
  Result<GraphDoc> doc;
};

BothForms write_both_ways(const GraphDoc& replica) {
  GraphDoc lean_replica = replica;
  GraphDoc doc_replica = replica;
  const std::string id = *gen::node_id();
  if (*rc::gen::arbitrary<bool>()) {
    const std::string key(kDataKeys[*rc::gen::inRange<std::size_t>(0, kDataKeys.size())]);
    const Json value = *gen::field_value();
    RC_LOG() << "write_node_data_value(" << id << ", " << key << ", " << value.dump() << ")\n";
    auto lean = lean_replica.write_node_data_value(id, key, value);
    auto doc = doc_replica.set_node_data_value(id, key, value);
    return {std::move(lean_replica), std::move(doc_replica), std::move(lean), std::move(doc)};
  }
  const Json patch = *gen::node_patch();
  RC_LOG() << "write_node_fields(" << id << ", " << patch.dump() << ")\n";
  auto lean = lean_replica.write_node_fields(id, patch);
  auto doc = doc_replica.update_node_fields(id, patch);
  return {std::move(lean_replica), std::move(doc_replica), std::move(lean), std::move(doc)};
}

RC_GTEST_PROP(FieldWriteDelta, LeanMutatorsChangeTheReplicaAsTheGraphDocOnesDo, ()) {
  const auto history = after_a_random_history();
  const auto index = *rc::gen::inRange<std::size_t>(0, history.replicas.size());
  BothForms both = write_both_ways(history.replicas[index]);
  RC_ASSERT(both.lean.ok() == both.doc.ok());
  if (!both.lean.ok()) {
    RC_ASSERT(both.lean.error() == both.doc.error());
  } else {
    assert_same_state(GraphDoc(*both.lean), *both.doc, "GraphDoc(lean delta) vs GraphDoc delta");
  }
  assert_same_state(both.lean_replica, both.doc_replica, "replica after the lean vs GraphDoc form");
  RC_ASSERT(both.lean_replica.clock().counter() == both.doc_replica.clock().counter());
}

RC_GTEST_PROP(FieldWriteDelta, EncodesToTheBytesOfTheGraphDocDelta, ()) {
  const auto history = after_a_random_history();
  const auto index = *rc::gen::inRange<std::size_t>(0, history.replicas.size());
  BothForms both = write_both_ways(history.replicas[index]);
  RC_PRE(both.lean.ok());
  Bytes lean_bytes = {0xAA};  // encode_to appends
  encode_to(*both.lean, lean_bytes);
  Bytes doc_bytes = {0xAA};
  encode_to(*both.doc, doc_bytes);
  RC_ASSERT(lean_bytes == doc_bytes);
  auto decoded = decode(std::span<const std::uint8_t>(lean_bytes).subspan(1));
  RC_ASSERT(decoded.ok());
  assert_same_state(*decoded, *both.doc, "decoded lean bytes vs GraphDoc delta");
}

RC_GTEST_PROP(FieldWriteDelta, JoinsAnywhereAsTheGraphDocDeltaDoes, ()) {
  const auto history = after_a_random_history();
  const auto index = *rc::gen::inRange<std::size_t>(0, history.replicas.size());
  BothForms both = write_both_ways(history.replicas[index]);
  RC_PRE(both.lean.ok());
  const auto target = *rc::gen::inRange<std::size_t>(0, history.pool.size());
  RC_LOG() << "joined into state #" << target << ": " << text(describe_state(history.pool[target]))
           << "\n";
  GraphDoc lean_joined = history.pool[target];
  lean_joined.join(*both.lean);
  assert_same_state(lean_joined, joined(history.pool[target], *both.doc),
                    "s ⊔ lean delta vs s ⊔ GraphDoc delta");
  GraphDoc twice = lean_joined;
  twice.join(*both.lean);
  assert_same_state(twice, lean_joined, "joining the lean delta again changes nothing");
}

// `value` as a FieldScalar, its text a view of the Json's string; nullopt
// for a container.
std::optional<FieldScalar> as_scalar(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return FieldScalar(nullptr);
    case Json::value_t::boolean:
      return FieldScalar(value.get<bool>());
    case Json::value_t::number_integer:
      return FieldScalar(value.get<std::int64_t>());
    case Json::value_t::number_unsigned:
      return FieldScalar(value.get<std::uint64_t>());
    case Json::value_t::number_float:
      return FieldScalar(value.get<double>());
    case Json::value_t::string:
      return FieldScalar(std::string_view(value.get_ref<const std::string&>()));
    default:
      return std::nullopt;
  }
}

// write_node_data_scalar is set_node_data_value with its delta encoded: on
// any state (the key may hold any kind of value, or a tombstone, or the node
// may be absent or removed), the same error or the same replica after, and
// the bytes of the GraphDoc delta.
RC_GTEST_PROP(FieldWriteDelta, TheScalarWriteIsTheGraphDocWriteEncoded, ()) {
  const auto history = after_a_random_history();
  const auto index = *rc::gen::inRange<std::size_t>(0, history.replicas.size());
  GraphDoc scalar_replica = history.replicas[index];
  GraphDoc doc_replica = scalar_replica;
  const std::string id = *gen::node_id();
  const std::string key(kDataKeys[*rc::gen::inRange<std::size_t>(0, kDataKeys.size())]);
  const Json value = *gen::field_value();
  const std::optional<FieldScalar> scalar = as_scalar(value);
  RC_PRE(scalar.has_value());
  RC_LOG() << "write_node_data_scalar(" << id << ", " << key << ", " << value.dump() << ")\n";
  Bytes bytes = {0xAA};  // appended to
  const std::optional<Error> error =
      write_node_data_scalar(scalar_replica, id, key, *scalar, bytes);
  const Result<GraphDoc> delta = doc_replica.set_node_data_value(id, key, value);
  RC_ASSERT(error.has_value() == !delta.ok());
  Bytes expected = {0xAA};
  if (error) {
    RC_ASSERT(*error == delta.error());
  } else {
    encode_to(*delta, expected);
  }
  RC_ASSERT(bytes == expected);
  assert_same_state(scalar_replica, doc_replica, "replica after the scalar vs GraphDoc form");
  RC_ASSERT(scalar_replica.clock().counter() == doc_replica.clock().counter());
}

}  // namespace
}  // namespace trellis::crdt::testkit
