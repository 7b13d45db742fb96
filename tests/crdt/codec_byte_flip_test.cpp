// Flipping any byte of a valid encoding never crashes the decoder (run this
// under ASan/UBSan) and never yields a state that breaks the codec or the
// join laws: every flipped input is either refused with a typed error, or
// decodes to a state that round-trips, renders a sound view and joins
// commutatively and idempotently (hostile_input_checks.hpp).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/hostile_input_checks.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "crdt/support/valid_encodings.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {
namespace {

TEST(GraphCodecByteFlip, EveryFlippedByteIsRefusedOrDecodesToASoundState) {
  // A replica state sharing ids, replicas and dots with the encodings, small
  // enough that the joins of ~30,000 inputs stay cheap under ASan.
  GraphDoc valid = *decode(StateMessage{}.bytes());
  for (const GraphDoc& delta : transaction_deltas())
    valid.join(delta);
  // Low bit, high bit, all bits, and the bytes that most change msgpack's
  // meaning: 0x00 (fixint 0), 0xc0 (nil), 0xc1 (never used), 0xff (fixint -1).
  const std::uint8_t xors[] = {0x01, 0x80, 0xff};
  const std::uint8_t sets[] = {0x00, 0xc0, 0xc1, 0xff};
  HostileInputReport report;
  const std::vector<Bytes> encodings = valid_encodings();
  for (std::size_t e = 0; e < encodings.size(); ++e) {
    const Bytes& original = encodings[e];
    for (std::size_t at = 0; at < original.size(); ++at) {
      auto check = [&](const Bytes& flipped) {
        if (flipped == original) return;
        report.check(flipped, valid,
                     "byte " + std::to_string(at) + " of encoding #" + std::to_string(e));
      };
      // Every pattern for the short encodings; the long one (the rich state,
      // mostly string bytes) gets three, to keep the test quick under ASan.
      const bool long_encoding = original.size() > 512;
      for (std::uint8_t mask : xors) {
        if (long_encoding && mask == 0x80) continue;
        Bytes flipped = original;
        flipped[at] ^= mask;
        check(flipped);
      }
      for (std::uint8_t value : sets) {
        if (long_encoding && value != 0xc1) continue;
        Bytes flipped = original;
        flipped[at] = value;
        check(flipped);
      }
    }
  }
  report.report();
  // Flips inside strings and numbers keep the message valid: the accepted
  // path must have been exercised too.
  EXPECT_GT(report.accepted(), report.inputs() / 20)
      << report.accepted() << " of " << report.inputs() << " flipped inputs decoded";
}

}  // namespace
}  // namespace trellis::crdt::testkit
