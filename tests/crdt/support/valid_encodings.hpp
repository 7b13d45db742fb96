#pragma once
// Valid encodings of both forms, for tests that damage them: a rich state,
// the smallest state and transaction messages, a delta that removes dots, and
// every transaction delta of the fixtures in both forms.

#include <vector>

#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {

inline std::vector<Bytes> valid_encodings() {
  std::vector<Bytes> encodings = {encode(rich_state()), StateMessage{}.bytes(),
                                  TransactionMessage{}.bytes(), encode(delta_with_removed_dots())};
  for (const GraphDoc& delta : transaction_deltas()) {
    encodings.push_back(encode(delta));
    Bytes state_form;
    encode_state_to(delta, state_form);
    encodings.push_back(state_form);
  }
  return encodings;
}

}  // namespace trellis::crdt::testkit
