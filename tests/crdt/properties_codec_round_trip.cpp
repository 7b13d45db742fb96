// The binary encoding is a faithful, canonical serialization of GraphDoc:
// for every state a random history produces and for every delta a mutator
// returns, decode(encode(x)) == x, and encoding the decoded state gives the
// very same bytes; the same holds for the state form (encode_state_to), and
// both forms decode to the same state. A mutator delta that writes fields is
// encoded in the transaction form; one that writes none (a removal, an add
// without fields) has no stamp to put in that form's header and uses the
// state form.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "crdt/support/msgpack_writer.hpp"
#include "crdt/support/replica_network.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {
namespace {

GraphDoc decoded_or_fail(const Bytes& bytes, const GraphDoc& original, const std::string& what) {
  auto decoded = decode(bytes);
  if (!decoded) {
    RC_FAIL(what + ": decode failed: " + std::string(to_string(decoded.error().code)) + ": " +
            decoded.error().message + "\n  state: " + text(describe_state(original)) +
            "\n  bytes: " + hex(bytes, 0, 512));
  }
  return std::move(decoded).value();
}

void assert_round_trips(const GraphDoc& doc, const std::string& what) {
  const Bytes bytes = encode(doc);
  const GraphDoc decoded = decoded_or_fail(bytes, doc, what + " (encode)");
  assert_same_state(decoded, doc, what + ": decode(encode(x)) vs x");
  RC_ASSERT(decoded.replica().is_null());

  Bytes appended{0xAB};
  encode_to(doc, appended);
  RC_ASSERT(appended.size() == bytes.size() + 1);
  RC_ASSERT(Bytes(appended.begin() + 1, appended.end()) == bytes);

  Bytes state_form;
  encode_state_to(doc, state_form);
  RC_ASSERT(format_of(state_form) == std::optional<std::uint64_t>(kStateFormatV2));
  const GraphDoc from_state_form = decoded_or_fail(state_form, doc, what + " (encode_state_to)");
  assert_same_state(from_state_form, doc, what + ": decode(encode_state_to(x)) vs x");
  Bytes state_form_again;
  encode_state_to(from_state_form, state_form_again);
  if (state_form_again != state_form) {
    RC_FAIL(what + ": the state form does not re-encode to the same bytes\n  first:  " +
            hex(state_form, 0, 512) + "\n  second: " + hex(state_form_again, 0, 512));
  }

  // What earlier releases stored (format 1) still decodes to the same state.
  Bytes old_form;
  encode_state_v1_to(doc, old_form);
  RC_ASSERT(format_of(old_form) == std::optional<std::uint64_t>(kStateFormatV1));
  const GraphDoc from_old_form = decoded_or_fail(old_form, doc, what + " (format 1)");
  assert_same_state(from_old_form, doc, what + ": decode(encode_state_v1_to(x)) vs x");
}

// The final replica states and a few intermediate ones (every delta is
// checked by the next property).
RC_GTEST_PROP(GraphCodecRoundTrip, DecodeInvertsEncodeOnRandomStates, ()) {
  const History history = *gen::history();
  NetworkChecks checks;
  checks.snapshots = true;
  ReplicaNetwork network(history.replica_count, checks);
  network.run(history);
  for (std::size_t r = 0; r < network.replicas().size(); ++r) {
    assert_round_trips(network.replicas()[r], "replica r" + std::to_string(r));
  }
  const auto& snapshots = network.snapshots();
  if (snapshots.empty()) return;
  const auto picks = *rc::gen::container<std::vector<std::size_t>>(
      4, rc::gen::inRange<std::size_t>(0, snapshots.size()));
  for (std::size_t pick : picks) {
    assert_round_trips(snapshots[pick], "snapshot #" + std::to_string(pick));
  }
}

RC_GTEST_PROP(GraphCodecRoundTrip, EveryMutatorDeltaRoundTripsInItsForm, ()) {
  const History history = *gen::history();
  ReplicaNetwork network(history.replica_count, NetworkChecks{});
  network.run(history);
  for (const auto& message : network.messages()) {
    std::ostringstream what;
    what << "delta of " << message.op;
    assert_round_trips(message.delta, what.str());

    bool writes_fields = false;
    for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
      for (const auto& [id, entity] : message.delta.entities(kind)) {
        writes_fields = writes_fields || !entity.fields.empty();
      }
    }
    const auto format = format_of(encode(message.delta));
    const std::uint64_t expected = writes_fields ? kTransactionFormatV1 : kStateFormatV2;
    if (format != std::optional<std::uint64_t>(expected)) {
      RC_FAIL(what.str() + ": encoded in format " + (format ? std::to_string(*format) : "?") +
              ", expected " + std::to_string(expected) +
              "\n  state: " + text(describe_state(message.delta)));
    }
  }
}

}  // namespace
}  // namespace trellis::crdt::testkit
