// Structure-aware fuzzing of the decoder: every element of valid encodings
// (each position of both forms, in pre-order, map keys included) is replaced
// in turn by a value of every other msgpack type. Whatever comes out must be
// refused with a typed error or decode to a sound state
// (hostile_input_checks.hpp); the specific positions where a wrong type must
// be refused are pinned in codec_malformed_input_test.cpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/hostile_input_checks.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {
namespace {

std::vector<Bytes> replacements() {
  return {
      MsgpackWriter().nil().bytes(),
      MsgpackWriter().boolean(true).bytes(),
      MsgpackWriter().boolean(false).bytes(),
      MsgpackWriter().uint(0).bytes(),
      MsgpackWriter().uint(1).bytes(),
      MsgpackWriter().uint(UINT64_MAX).bytes(),
      MsgpackWriter().sint(-1).bytes(),
      MsgpackWriter().f64(1.5).bytes(),
      MsgpackWriter().str("").bytes(),
      MsgpackWriter().str("x").bytes(),
      MsgpackWriter().bin("x").bytes(),
      MsgpackWriter().ext(9, "x").bytes(),
      MsgpackWriter().ext(2, std::string_view("\0", 1)).bytes(),  // a tombstone
      MsgpackWriter().array(0).bytes(),
      MsgpackWriter().array(1).uint(0).bytes(),
      MsgpackWriter().map(0).bytes(),
  };
}

TEST(GraphCodecElementSwap, EveryElementReplacedByEveryOtherTypeIsRefusedOrSound) {
  GraphDoc small{ReplicaId{3}};
  must(small.add_node(Json{{"id", "a"}, {"type", "t"}, {"data", {{"k", Json::array({1, 0.5})}}}}));
  must(small.add_node(Json{{"id", "b"}}));
  must(small.add_edge(Json{{"id", "e"}, {"source", "a"}, {"target", "b"}, {"label", "x"}}));
  must(small.remove_node_fields("a", {FieldKey::top("type")}));
  Bytes small_state;
  encode_state_to(small, small_state);

  std::vector<Bytes> encodings = {small_state, StateMessage{}.bytes(), TransactionMessage{}.bytes(),
                                  encode(delta_with_removed_dots())};
  for (const GraphDoc& delta : transaction_deltas())
    encodings.push_back(encode(delta));

  GraphDoc valid = small;  // shares ids and dots with the encodings
  valid.join(*decode(StateMessage{}.bytes()));
  for (const GraphDoc& delta : transaction_deltas())
    valid.join(delta);
  HostileInputReport report;
  for (const Bytes& original : encodings) {
    ASSERT_EQ(with_element_replaced(original, SIZE_MAX, {}), original)
        << "re-packing an encoding unchanged must give its bytes";
    const std::size_t count = element_count(original);
    for (std::size_t element = 0; element < count; ++element) {
      for (const Bytes& replacement : replacements()) {
        const Bytes swapped = with_element_replaced(original, element, replacement);
        if (swapped == original) continue;
        report.check(swapped, valid,
                     "element " + std::to_string(element) + " of " + hex(original, 0, 48));
      }
    }
  }
  report.report();
}

}  // namespace
}  // namespace trellis::crdt::testkit
