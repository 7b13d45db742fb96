// Decodable but forged states: inputs no replica writes, yet decode accepts
// because no single message can show them to be inconsistent. The join laws
// must hold for them too (a hostile peer must not make replicas diverge):
//
//   - one dot claimed by two entities (graph_doc.hpp keeps a multimap of dot
//     owners for exactly this);
//   - two messages giving one stamp different values: LwwRegister breaks the
//     tie by the larger value "which keeps join commutative"; that must also
//     hold for values JSON equality cannot tell apart but the encoding can
//     (1 and 1.0, 0.0 and -0.0).

#include <gtest/gtest.h>

#include <string>

#include "crdt/crdt_testing.hpp"
#include "crdt/support/hostile_input_checks.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {
namespace {

GraphDoc decoded(const Bytes& bytes) {
  auto result = decode(bytes);
  EXPECT_TRUE(result.ok()) << result.error().message << "\n  " << hex(bytes);
  return result.ok() ? std::move(result).value() : GraphDoc{};
}

void expect_join_laws(const GraphDoc& a, const GraphDoc& b) {
  EXPECT_TRUE(same_state(joined(a, b), joined(b, a))) << "a ⊔ b vs b ⊔ a";
  EXPECT_TRUE(same_state(joined(a, GraphDoc(a)), a)) << "a ⊔ a vs a";
  EXPECT_TRUE(same_state(joined(joined(a, b), a), joined(a, b))) << "(a ⊔ b) ⊔ a vs a ⊔ b";
}

TEST(GraphCodecForgedState, ADotClaimedByTwoEntitiesStillJoinsByTheLaws) {
  // Nodes "a" and "b" and edge "a" all claim dot (1, 1).
  StateMessage shared;
  shared.nodes = [](MsgpackWriter& w) {
    w.array(6).str("a").array(2).uint(0).uint(1).array(0).str("b").array(2).uint(0).uint(1).array(
        0);
  };
  shared.edges = [](MsgpackWriter& w) { w.array(3).str("a").array(2).uint(0).uint(1).array(0); };
  auto forged = decode(shared.bytes());
  if (!forged.ok()) {
    // Refusing the forgery is fine too, as long as it is a decoding error.
    EXPECT_EQ(forged.error().code, ErrorCode::malformed) << forged.error().message;
    return;
  }

  // A removal that has seen (1, 1): it removes whatever (1, 1) supports.
  StateMessage removal;
  removal.context = [](MsgpackWriter& w) { w.array(2).array(2).uint(0).uint(2).array(0); };
  removal.nodes = [](MsgpackWriter& w) { w.array(0); };
  const GraphDoc removed = decoded(removal.bytes());
  expect_join_laws(*forged, removed);
  const GraphDoc after = joined(*forged, removed);
  EXPECT_FALSE(after.has_node("a"));
  EXPECT_FALSE(after.has_node("b"));
  EXPECT_FALSE(after.has_edge("a"));

  // And from the delta path.
  GraphDoc target = *forged;
  ASSERT_FALSE(join_encoded(target, removal.bytes()).has_value());
  EXPECT_TRUE(same_state(target, after));
}

Bytes write_with_stamp_1(const Slot& value) {
  return transaction_with_value(value);
}

TEST(GraphCodecForgedState, OneStampWithTwoDistinctValuesIsDecidedTheSameWayOnBothSides) {
  const struct {
    const char* name;
    Slot first;
    Slot second;
  } cases[] = {
      {"\"x\" and \"y\"", [](auto& w) { w.str("x"); }, [](auto& w) { w.str("y"); }},
      {"a value and a tombstone", [](auto& w) { w.uint(1); },
       [](auto& w) { w.ext(2, std::string_view("\0", 1)); }},
      {"1 and 1.0", [](auto& w) { w.uint(1); },
       [](auto& w) { w.ext(1, std::string_view("\0\1", 2)); }},
      {"-1 and -1.0", [](auto& w) { w.sint(-1); }, [](auto& w) { w.f32(-1.0f); }},
      {"0.0 and -0.0", [](auto& w) { w.ext(1, std::string_view("\0\0", 2)); },
       [](auto& w) { w.f32(-0.0f); }},
      {"[1] and [1.0]", [](auto& w) { w.array(1).uint(1); },
       [](auto& w) { w.array(1).ext(1, std::string_view("\0\1", 2)); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const GraphDoc a = decoded(write_with_stamp_1(c.first));
    const GraphDoc b = decoded(write_with_stamp_1(c.second));
    expect_join_laws(a, b);
  }
}

// The tie-break orders containers by their JSON text; a container holding a
// string that is not UTF-8 has none (nlohmann's dump throws). Whatever decode
// accepts, join must not throw (result.hpp: nothing throws across the
// library's boundary).
TEST(GraphCodecForgedState, OneStampWithTwoContainersOfInvalidUtf8JoinsWithoutThrowing) {
  auto a = decode(write_with_stamp_1([](auto& w) { w.array(1).str("\xff"); }));
  auto b = decode(write_with_stamp_1([](auto& w) { w.array(1).str("\xfe"); }));
  if (!a.ok() || !b.ok()) {
    // Refused at decoding, which is fine too (invalid UTF-8 is malformed).
    for (const auto* result : {&a, &b}) {
      if (!result->ok()) {
        EXPECT_EQ(result->error().code, ErrorCode::malformed);
      }
    }
    return;
  }
  GraphDoc left = *a;
  EXPECT_NO_THROW(left.join(*b));
  GraphDoc right = *b;
  EXPECT_NO_THROW(right.join(*a));
  EXPECT_TRUE(left == right);
}

}  // namespace
}  // namespace trellis::crdt::testkit
