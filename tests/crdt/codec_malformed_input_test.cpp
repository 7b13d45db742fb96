// decode() never trusts its input (graph_codec.hpp): every malformed shape is
// rejected with a typed Error — malformed, unsupported_version or
// limit_exceeded, as documented — never a crash, and without allocating out
// of proportion to the input. join_encoded() refuses exactly the same inputs
// with the same error and leaves the document unchanged.

#include <gtest/gtest.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/malformed_messages.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "crdt/support/state_comparison.hpp"
#include "sanitized_build.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/limits.hpp"

namespace trellis::crdt::testkit {
namespace {

struct Case {
  std::string name;
  Bytes bytes;
  ErrorCode expected;
};

const GraphDoc& busy_document() {
  static const GraphDoc doc = rich_state();
  return doc;
}

// decode rejects `bytes` with `expected`; join_encoded rejects them with the
// same error and changes nothing.
void expect_rejected(const std::string& name, const Bytes& bytes, ErrorCode expected) {
  SCOPED_TRACE(name + ": " + hex(bytes, 0, 96));
  auto decoded = decode(bytes);
  if (decoded.ok()) {
    ADD_FAILURE() << "decoded to " << text(describe_state(*decoded));
    return;
  }
  EXPECT_EQ(to_string(decoded.error().code), to_string(expected)) << decoded.error().message;
  EXPECT_FALSE(decoded.error().message.empty());

  GraphDoc target = busy_document();
  auto error = join_encoded(target, bytes);
  if (!error) {
    ADD_FAILURE() << "join_encoded accepted bytes that decode rejects (" << decoded.error().message
                  << ")";
  } else {
    EXPECT_EQ(to_string(error->code), to_string(decoded.error().code)) << error->message;
  }
  EXPECT_EQ(target, busy_document()) << "a refused join_encoded changed the document";
}

void expect_all_rejected(const std::vector<Case>& cases) {
  for (const Case& c : cases)
    expect_rejected(c.name, c.bytes, c.expected);
}

Bytes with_trailing(Bytes bytes, std::uint8_t extra) {
  bytes.push_back(extra);
  return bytes;
}

constexpr auto kMalformed = ErrorCode::malformed;
constexpr auto kLimit = ErrorCode::limit_exceeded;
constexpr auto kVersion = ErrorCode::unsupported_version;
constexpr std::uint64_t kMaxCounter = limits::kMaxCounter;

TEST(GraphCodecRejects, TheBaseMessagesAreValid) {
  // Every rejection below differs from one of these in a single place.
  for (const Bytes& bytes : {StateMessage{}.bytes(), TransactionMessage{}.bytes()}) {
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_TRUE(decoded->has_node("n"));
    EXPECT_EQ(node_view(*decoded, "n")["type"], "default");
  }
}

TEST(GraphCodecRejects, EmptyInput) {
  expect_rejected("empty", Bytes{}, kMalformed);
}

TEST(GraphCodecRejects, EveryTruncationOfAValidEncoding) {
  std::vector<Bytes> encodings = {encode(rich_state()), StateMessage{}.bytes(),
                                  TransactionMessage{}.bytes(), encode(delta_with_removed_dots())};
  for (const GraphDoc& delta : transaction_deltas())
    encodings.push_back(encode(delta));
  for (const Bytes& full : encodings) {
    for (std::size_t length = 0; length < full.size(); ++length) {
      const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
      auto decoded = decode(prefix);
      ASSERT_FALSE(decoded.ok()) << "a " << length << "-byte prefix of " << hex(full) << " decoded";
      // A cut inside a string or array whose declared length now exceeds
      // the whole input is over the parser's limit; any other cut is
      // malformed.
      const ErrorCode code = decoded.error().code;
      EXPECT_TRUE(code == kMalformed || code == kLimit)
          << to_string(code) << " for a " << length << "-byte prefix";
      GraphDoc target = busy_document();
      auto error = join_encoded(target, prefix);
      ASSERT_TRUE(error.has_value());
      EXPECT_EQ(error->code, code);
      EXPECT_EQ(target, busy_document());
    }
  }
}

TEST(GraphCodecRejects, TrailingBytes) {
  expect_all_rejected({
      {"state + nil", with_trailing(StateMessage{}.bytes(), 0xc0), kMalformed},
      {"transaction + 0", with_trailing(TransactionMessage{}.bytes(), 0x00), kMalformed},
      {"rich state + array", with_trailing(encode(rich_state()), 0x90), kMalformed},
  });
}

TEST(GraphCodecRejects, WrongTopLevelType) {
  expect_all_rejected({
      {"nil", MsgpackWriter().nil().bytes(), kMalformed},
      {"integer", MsgpackWriter().uint(1).bytes(), kMalformed},
      {"string", MsgpackWriter().str("state").bytes(), kMalformed},
      {"map", MsgpackWriter().map(1).uint(0).uint(1).bytes(), kMalformed},
      {"empty array", MsgpackWriter().array(0).bytes(), kMalformed},
      {"bool", MsgpackWriter().boolean(true).bytes(), kMalformed},
      {"float", MsgpackWriter().f64(1.0).bytes(), kMalformed},
      {"binary", MsgpackWriter().bin("\x01\x02").bytes(), kMalformed},
      {"invalid msgpack byte", MsgpackWriter().raw({0xc1}).bytes(), kMalformed},
  });
}

TEST(GraphCodecRejects, UnknownFormatNumberAsUnsupportedVersion) {
  auto state_with_format = [](Slot format) {
    StateMessage message;
    message.format = std::move(format);
    return message.bytes();
  };
  expect_all_rejected({
      {"format 0", state_with_format([](auto& w) { w.uint(0); }), kVersion},
      {"format 4", state_with_format([](auto& w) { w.uint(4); }), kVersion},
      {"format 255", state_with_format([](auto& w) { w.uint(255); }), kVersion},
      {"format 2^64-1", state_with_format([](auto& w) { w.uint(UINT64_MAX); }), kVersion},
      {"a future format, any shape", MsgpackWriter().array(2).uint(9).str("?").bytes(), kVersion},
      {"format -1", state_with_format([](auto& w) { w.sint(-1); }), kMalformed},
      {"format \"1\"", state_with_format([](auto& w) { w.str("1"); }), kMalformed},
      {"format nil", state_with_format([](auto& w) { w.nil(); }), kMalformed},
      {"format 1.0", state_with_format([](auto& w) { w.f64(1.0); }), kMalformed},
  });
}

TEST(GraphCodecRejects, BadStringTablesAndReferencesInFormatThree) {
  const Slot table = [](MsgpackWriter& w) { w.array(1).str("default"); };
  auto reference = [](std::string payload) {
    return Slot([payload](MsgpackWriter& w) { w.ext(3, payload); });
  };
  const Slot first = reference(std::string(1, '\0'));
  // The base: the reference gives the table's string.
  auto decoded = decode(state_v2_with_value(table, first));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(node_view(*decoded, "n")["data"]["v"], "default");

  StateMessage five_elements;
  five_elements.format = [](MsgpackWriter& w) { w.uint(3); };
  StateMessage format_one_with_table;
  format_one_with_table.strings = table;
  MsgpackWriter too_many;
  too_many.raw({0xdd}).big_endian(limits::kMaxInternedStrings + 1, 4);
  for (std::size_t i = 0; i <= limits::kMaxInternedStrings; ++i)
    too_many.str(std::to_string(i));
  const Bytes too_many_strings = too_many.bytes();
  expect_all_rejected({
      {"format 3 without the table", five_elements.bytes(), kMalformed},
      {"format 1 with a table", format_one_with_table.bytes(), kMalformed},
      {"table nil", state_v2_with_value([](auto& w) { w.nil(); }, first), kMalformed},
      {"table entry an integer", state_v2_with_value([](auto& w) { w.array(1).uint(1); }, first),
       kMalformed},
      {"table entry twice",
       state_v2_with_value([](auto& w) { w.array(2).str("default").str("default"); }, first),
       kMalformed},
      {"table entry not UTF-8",
       state_v2_with_value([](auto& w) { w.array(1).str("\xff\xfe"); }, first), kMalformed},
      {"table past the limit",
       state_v2_with_value([&](auto& w) { w.raw(too_many_strings); }, first), kLimit},
      {"reference out of range", state_v2_with_value(table, reference(std::string(1, '\1'))),
       kMalformed},
      {"reference into an empty table", state_v2_with_value([](auto& w) { w.array(0); }, first),
       kMalformed},
      {"two-byte reference below 256", state_v2_with_value(table, reference(std::string(2, '\0'))),
       kMalformed},
      {"four-byte reference", state_v2_with_value(table, reference(std::string(4, '\0'))),
       kMalformed},
      {"reference inside an array",
       state_v2_with_value(table, [](auto& w) { w.array(1).ext(3, std::string(1, '\0')); }),
       kMalformed},
      {"reference in format 1", state_with_value(first), kMalformed},
      {"reference in the transaction form", transaction_with_value(first), kMalformed},
  });
}

TEST(GraphCodecRejects, WrongShapesInTheStateForm) {
  auto with = [](auto change) {
    StateMessage message;
    change(message);
    return message.bytes();
  };
  auto groups = [](Slot slot) { return state_with_groups(std::move(slot)); };
  expect_all_rejected({
      {"4 elements",
       MsgpackWriter().array(4).uint(1).array(0).array(2).array(0).array(0).array(0).bytes(),
       kMalformed},
      {"6 elements",
       MsgpackWriter()
           .array(6)
           .uint(1)
           .array(0)
           .array(2)
           .array(0)
           .array(0)
           .array(0)
           .array(0)
           .array(0)
           .bytes(),
       kMalformed},
      // replica table
      {"replicas nil", with([](auto& m) { m.replicas = [](auto& w) { w.nil(); }; }), kMalformed},
      {"replicas a map", with([](auto& m) { m.replicas = [](auto& w) { w.map(0); }; }), kMalformed},
      {"replica id a string",
       with([](auto& m) { m.replicas = [](auto& w) { w.array(1).str("1"); }; }), kMalformed},
      {"replica id negative",
       with([](auto& m) { m.replicas = [](auto& w) { w.array(1).sint(-1); }; }), kMalformed},
      {"replica id 0", with([](auto& m) { m.replicas = [](auto& w) { w.array(1).uint(0); }; }),
       kMalformed},
      {"replicas unsorted",
       with([](auto& m) { m.replicas = [](auto& w) { w.array(2).uint(2).uint(1); }; }), kMalformed},
      {"replicas repeated",
       with([](auto& m) { m.replicas = [](auto& w) { w.array(2).uint(1).uint(1); }; }), kMalformed},
      // context
      {"context nil", with([](auto& m) { m.context = [](auto& w) { w.nil(); }; }), kMalformed},
      {"context of 1",
       with([](auto& m) { m.context = [](auto& w) { w.array(1).array(2).uint(0).uint(2); }; }),
       kMalformed},
      {"context of 3", with([](auto& m) {
         m.context = [](auto& w) { w.array(3).array(2).uint(0).uint(2).array(0).array(0); };
       }),
       kMalformed},
      {"vector nil", with([](auto& m) { m.context = [](auto& w) { w.array(2).nil().array(0); }; }),
       kMalformed},
      {"vector odd",
       with([](auto& m) { m.context = [](auto& w) { w.array(2).array(1).uint(0).array(0); }; }),
       kMalformed},
      {"vector replica a string", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).str("0").uint(2).array(0); };
       }),
       kMalformed},
      {"vector replica index out of range", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(1).uint(2).array(0); };
       }),
       kMalformed},
      {"vector seq 0", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).uint(0).array(0); };
       }),
       kMalformed},
      {"vector seq a float", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).f64(2).array(0); };
       }),
       kMalformed},
      {"cloud a map", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).uint(2).map(0); };
       }),
       kMalformed},
      {"cloud odd", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).uint(2).array(1).uint(0); };
       }),
       kMalformed},
      {"cloud replica index out of range", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).uint(2).array(2).uint(3).uint(9); };
       }),
       kMalformed},
      {"cloud seq nil", with([](auto& m) {
         m.context = [](auto& w) { w.array(2).array(2).uint(0).uint(2).array(2).uint(0).nil(); };
       }),
       kMalformed},
      // entity lists
      {"nodes nil", with([](auto& m) { m.nodes = [](auto& w) { w.nil(); }; }), kMalformed},
      {"edges nil", with([](auto& m) { m.edges = [](auto& w) { w.nil(); }; }), kMalformed},
      {"edges a map", with([](auto& m) { m.edges = [](auto& w) { w.map(0); }; }), kMalformed},
      {"nodes not triples", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(2).str("n").array(2).uint(0).uint(1); };
       }),
       kMalformed},
      {"entity id an integer", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(3).uint(7).array(2).uint(0).uint(1).array(0); };
       }),
       kMalformed},
      {"entity id binary", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(3).bin("n").array(2).uint(0).uint(1).array(0); };
       }),
       kMalformed},
      {"entity dots nil",
       with([](auto& m) { m.nodes = [](auto& w) { w.array(3).str("n").nil().array(0); }; }),
       kMalformed},
      {"entity dots odd", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(3).str("n").array(1).uint(0).array(0); };
       }),
       kMalformed},
      {"entity dot seq 0", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(3).str("n").array(2).uint(0).uint(0).array(0); };
       }),
       kMalformed},
      {"entity dot listed twice", with([](auto& m) {
         m.nodes = [](auto& w) {
           w.array(3).str("n").array(4).uint(0).uint(1).uint(0).uint(1).array(0);
         };
       }),
       kMalformed},
      {"entity with neither dots nor fields",
       with([](auto& m) { m.nodes = [](auto& w) { w.array(3).str("n").array(0).array(0); }; }),
       kMalformed},
      // field groups
      {"groups nil", groups([](auto& w) { w.nil(); }), kMalformed},
      {"group nil", groups([](auto& w) { w.array(1).nil(); }), kMalformed},
      {"group of 1", groups([](auto& w) { w.array(1).array(1).uint(0); }), kMalformed},
      {"group of 2 with a one-key shape",
       groups([](auto& w) { w.array(1).array(2).uint(0).array(1).uint(0); }), kMalformed},
      {"group with a value too many",
       groups([](auto& w) { w.array(1).array(4).uint(0).array(1).uint(0).str("a").str("b"); }),
       kMalformed},
      {"stamp a string",
       groups([](auto& w) { w.array(1).array(3).str("0").array(1).uint(0).str("a"); }), kMalformed},
      {"stamp negative",
       groups([](auto& w) { w.array(1).array(3).sint(-1).array(1).uint(0).str("a"); }), kMalformed},
      {"long stamp of 2", groups([](auto& w) {
         w.array(1).array(3).array(2).uint(0).uint(1).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"long stamp with a negative offset", groups([](auto& w) {
         w.array(1).array(3).array(3).uint(0).uint(1).sint(-1).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"long stamp replica out of range", groups([](auto& w) {
         w.array(1).array(3).array(3).uint(4).uint(1).uint(0).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"shape a string", groups([](auto& w) { w.array(1).array(3).uint(0).str("type").str("a"); }),
       kMalformed},
      {"shape empty", groups([](auto& w) { w.array(1).array(2).uint(0).array(0); }), kMalformed},
      {"shape index out of range",
       groups([](auto& w) { w.array(1).array(3).uint(0).uint(0).str("a"); }), kMalformed},
      {"shape key nil",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).nil().str("a"); }), kMalformed},
      {"shape key a float",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).f64(0).str("a"); }), kMalformed},
      {"shape key a map",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).map(0).str("a"); }), kMalformed},
      {"unknown well-known field 18",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).uint(18).str("a"); }), kMalformed},
      {"long-form key of 2 names", groups([](auto& w) {
         w.array(1).array(3).uint(0).array(1).array(2).str("a").str("b").str("a");
       }),
       kMalformed},
      {"long-form key not a string",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).array(1).uint(3).str("a"); }),
       kMalformed},
      {"well-known field in long form",
       groups([](auto& w) { w.array(1).array(3).uint(0).array(1).array(1).str("type").str("a"); }),
       kMalformed},
      {"short stamp on an entity without dots", with([](auto& m) {
         m.nodes = [](auto& w) {
           w.array(3).str("n").array(0).array(1).array(3).uint(0).array(1).uint(0).str("a");
         };
       }),
       kMalformed},
  });
}

TEST(GraphCodecRejects, WrongShapesInTheTransactionForm) {
  auto with = [](auto change) {
    TransactionMessage message;
    change(message);
    return message.bytes();
  };
  auto body = [](std::uint32_t elements, Slot fields) {
    TransactionMessage message;
    message.nodes = [elements, fields](MsgpackWriter& w) {
      w.array(2).str("n").array(elements);
      fields(w);
    };
    return message.bytes();
  };
  expect_all_rejected({
      {"3 elements", MsgpackWriter().array(3).uint(2).uint(1).uint(1).bytes(), kMalformed},
      {"8 elements",
       MsgpackWriter()
           .array(8)
           .uint(2)
           .uint(1)
           .uint(1)
           .uint(0)
           .array(0)
           .array(0)
           .array(0)
           .array(0)
           .bytes(),
       kMalformed},
      {"replica nil", with([](auto& m) { m.replica = [](auto& w) { w.nil(); }; }), kMalformed},
      {"replica a string", with([](auto& m) { m.replica = [](auto& w) { w.str("1"); }; }),
       kMalformed},
      {"replica 0", with([](auto& m) { m.replica = [](auto& w) { w.uint(0); }; }), kMalformed},
      {"replica negative", with([](auto& m) { m.replica = [](auto& w) { w.sint(-3); }; }),
       kMalformed},
      {"seq 0", with([](auto& m) { m.seq = [](auto& w) { w.uint(0); }; }), kMalformed},
      {"seq a float", with([](auto& m) { m.seq = [](auto& w) { w.f64(1); }; }), kMalformed},
      {"counter offset negative",
       with([](auto& m) { m.counter_offset = [](auto& w) { w.sint(-1); }; }), kMalformed},
      {"counter offset an array",
       with([](auto& m) { m.counter_offset = [](auto& w) { w.array(0); }; }), kMalformed},
      {"nodes nil", with([](auto& m) { m.nodes = [](auto& w) { w.nil(); }; }), kMalformed},
      {"nodes a map", with([](auto& m) { m.nodes = [](auto& w) { w.map(0); }; }), kMalformed},
      {"nodes not pairs", with([](auto& m) { m.nodes = [](auto& w) { w.array(1).str("n"); }; }),
       kMalformed},
      {"entity id an integer", with([](auto& m) {
         m.nodes = [](auto& w) { w.array(2).uint(1).array(3).boolean(true).uint(0).str("t"); };
       }),
       kMalformed},
      {"body nil", with([](auto& m) { m.nodes = [](auto& w) { w.array(2).str("n").nil(); }; }),
       kMalformed},
      {"body empty", body(0, [](auto&) {}), kMalformed},
      {"body [false]", body(1, [](auto& w) { w.boolean(false); }), kMalformed},
      {"body [nil]", body(1, [](auto& w) { w.nil(); }), kMalformed},
      {"odd body without leading true", body(3, [](auto& w) { w.uint(0).str("t").uint(2); }),
       kMalformed},
      {"true where a key belongs", body(2, [](auto& w) { w.boolean(true).str("t"); }), kMalformed},
      {"field key nil", body(3, [](auto& w) { w.boolean(true).nil().str("t"); }), kMalformed},
      {"field key negative", body(3, [](auto& w) { w.boolean(true).sint(-1).str("t"); }),
       kMalformed},
      {"unknown well-known field 99", body(3, [](auto& w) { w.boolean(true).uint(99).str("t"); }),
       kMalformed},
      {"well-known field in long form",
       body(3, [](auto& w) { w.boolean(true).array(1).str("width").uint(1); }), kMalformed},
      {"edges nil", with([](auto& m) { m.edges = Slot([](auto& w) { w.nil(); }); }), kMalformed},
      {"removed nil", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.nil(); });
       }),
       kMalformed},
      {"removed odd", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(1).uint(1); });
       }),
       kMalformed},
      {"removed replica a string", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(2).str("1").uint(1); });
       }),
       kMalformed},
      {"removed replica 0", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(2).uint(0).uint(1); });
       }),
       kMalformed},
      {"removed seq 0", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(2).uint(3).uint(0); });
       }),
       kMalformed},
      {"removed unsorted", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(4).uint(3).uint(1).uint(2).uint(1); });
       }),
       kMalformed},
      {"removed repeated", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(4).uint(3).uint(1).uint(3).uint(1); });
       }),
       kMalformed},
      {"removed holds the transaction's own dot", with([](auto& m) {
         m.edges = Slot([](auto& w) { w.array(0); });
         m.removed = Slot([](auto& w) { w.array(2).uint(1).uint(1); });
       }),
       kMalformed},
  });
}

TEST(GraphCodecRejects, DotsAndStampsOutsideTheContext) {
  StateMessage dot_outside;
  dot_outside.nodes = [](MsgpackWriter& w) {
    w.array(3).str("n").array(2).uint(0).uint(3).array(0);
  };
  StateMessage cloud_dot_outside;  // the vector covers (1, 1..2), the dot is (1, 4)
  cloud_dot_outside.context = [](MsgpackWriter& w) {
    w.array(2).array(2).uint(0).uint(2).array(2).uint(0).uint(5);
  };
  cloud_dot_outside.nodes = [](MsgpackWriter& w) {
    w.array(3).str("n").array(2).uint(0).uint(4).array(0);
  };
  expect_all_rejected({
      {"entity dot past the vector", dot_outside.bytes(), kMalformed},
      {"entity dot in a gap of the cloud", cloud_dot_outside.bytes(), kMalformed},
      {"long stamp outside the context", state_with_groups([](auto& w) {
         w.array(1).array(3).array(3).uint(0).uint(7).uint(0).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"stamp of a replica the context does not name",
       [] {
         StateMessage message;
         message.replicas = [](auto& w) { w.array(2).uint(1).uint(2); };
         message.nodes = [](auto& w) {
           w.array(3).str("n").array(2).uint(0).uint(1);
           w.array(1).array(3).array(3).uint(1).uint(1).uint(0).array(1).uint(0).str("a");
         };
         return message.bytes();
       }(),
       kMalformed},
  });
}

TEST(GraphCodecRejects, CountersPastTheLimitOrOverflowing) {
  // The encoding stores counter - seq, so counter < seq cannot be written;
  // what can be written is a sum that overflows or passes kMaxCounter.
  auto transaction = [](std::uint64_t seq, std::uint64_t offset) {
    TransactionMessage message;
    message.seq = [seq](auto& w) { w.uint(seq); };
    message.counter_offset = [offset](auto& w) { w.uint(offset); };
    return message.bytes();
  };
  StateMessage vector_past_limit;
  vector_past_limit.context = [](auto& w) {
    w.array(2).array(2).uint(0).uint(kMaxCounter + 1).array(0);
  };
  StateMessage cloud_past_limit;
  cloud_past_limit.context = [](auto& w) {
    w.array(2).array(2).uint(0).uint(2).array(2).uint(0).uint(kMaxCounter + 1);
  };
  expect_all_rejected({
      {"state: counter overflows", state_with_groups([](auto& w) {
         w.array(1).array(3).array(3).uint(0).uint(1).uint(UINT64_MAX).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"state: short stamp counter overflows", state_with_groups([](auto& w) {
         w.array(1).array(3).uint(UINT64_MAX).array(1).uint(0).str("a");
       }),
       kMalformed},
      {"state: counter past kMaxCounter", state_with_groups([](auto& w) {
         w.array(1).array(3).uint(kMaxCounter).array(1).uint(0).str("a");
       }),
       kLimit},
      {"state: vector seq past kMaxCounter", vector_past_limit.bytes(), kLimit},
      {"state: cloud seq past kMaxCounter", cloud_past_limit.bytes(), kLimit},
      {"transaction: counter overflows", transaction(2, UINT64_MAX - 1), kMalformed},
      {"transaction: counter past kMaxCounter", transaction(1, kMaxCounter), kLimit},
      {"transaction: seq past kMaxCounter", transaction(kMaxCounter + 1, 0), kLimit},
  });
  // Exactly at the limit is accepted.
  auto at_limit = decode(transaction(1, kMaxCounter - 1));
  EXPECT_TRUE(at_limit.ok()) << at_limit.error().message;
}

TEST(GraphCodecRejects, DuplicateOrUnsortedEntityIds) {
  auto state_nodes = [](const char* first, const char* second) {
    StateMessage message;
    message.context = [](auto& w) { w.array(2).array(2).uint(0).uint(2).array(0); };
    message.nodes = [first, second](auto& w) {
      w.array(6).str(first).array(2).uint(0).uint(1).array(0);
      w.str(second).array(2).uint(0).uint(2).array(0);
    };
    return message.bytes();
  };
  auto transaction_nodes = [](const char* first, const char* second) {
    TransactionMessage message;
    message.nodes = [first, second](auto& w) {
      w.array(4).str(first).array(1).boolean(true).str(second).array(1).boolean(true);
    };
    return message.bytes();
  };
  EXPECT_TRUE(decode(state_nodes("a", "b")).ok());
  EXPECT_TRUE(decode(transaction_nodes("a", "b")).ok());
  expect_all_rejected({
      {"state: duplicate node id", state_nodes("a", "a"), kMalformed},
      {"state: unsorted node ids", state_nodes("b", "a"), kMalformed},
      {"transaction: duplicate node id", transaction_nodes("a", "a"), kMalformed},
      {"transaction: unsorted node ids", transaction_nodes("b", "a"), kMalformed},
  });
}

TEST(GraphCodecRejects, DuplicateOrUnsortedFieldKeys) {
  auto shape = [](Slot keys, int values) {
    return state_with_groups([keys, values](auto& w) {
      w.array(1).array(2 + values).uint(0);
      keys(w);
      for (int i = 0; i < values; ++i)
        w.uint(i);
    });
  };
  auto body = [](Slot fields, std::uint32_t elements) {
    return transaction_with_body(std::move(fields), elements);
  };
  expect_all_rejected({
      {"shape with a repeated data key", shape([](auto& w) { w.array(2).str("a").str("a"); }, 2),
       kMalformed},
      {"shape with unsorted data keys", shape([](auto& w) { w.array(2).str("b").str("a"); }, 2),
       kMalformed},
      {"shape with unsorted well-known keys", shape([](auto& w) { w.array(2).uint(2).uint(1); }, 2),
       kMalformed},
      {"shape with a data key before a top-level one",
       shape([](auto& w) { w.array(2).str("a").uint(0); }, 2), kMalformed},
      {"one field in two groups", state_with_groups([](auto& w) {
         w.array(2);
         w.array(3).uint(0).array(1).str("a").uint(1);
         w.array(3).array(3).uint(0).uint(1).uint(5).uint(0).uint(2);
       }),
       kMalformed},
      {"transaction: repeated key", body([](auto& w) { w.str("a").uint(1).str("a").uint(2); }, 4),
       kMalformed},
      {"transaction: unsorted keys", body([](auto& w) { w.str("b").uint(1).str("a").uint(2); }, 4),
       kMalformed},
      {"transaction: data key before a top-level one",
       body([](auto& w) { w.str("a").uint(1).uint(0).uint(2); }, 4), kMalformed},
  });
}

// Every malformed field value, in both forms.
void expect_value_rejected(const std::string& name, const Slot& value, ErrorCode expected) {
  expect_rejected("state: " + name, state_with_value(value), expected);
  expect_rejected("transaction: " + name, transaction_with_value(value), expected);
}

TEST(GraphCodecRejects, NonFiniteNumbers) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  expect_value_rejected(
      "NaN float64", [=](auto& w) { w.f64(nan); }, kMalformed);
  expect_value_rejected(
      "+inf float64", [=](auto& w) { w.f64(inf); }, kMalformed);
  expect_value_rejected(
      "-inf float64", [=](auto& w) { w.f64(-inf); }, kMalformed);
  expect_value_rejected(
      "NaN float32", [=](auto& w) { w.f32(std::nanf("")); }, kMalformed);
  expect_value_rejected(
      "-inf float32", [=](auto& w) { w.f32(-std::numeric_limits<float>::infinity()); }, kMalformed);
  expect_value_rejected(
      "NaN inside an array", [=](auto& w) { w.array(2).uint(1).f64(nan); }, kMalformed);
  expect_value_rejected(
      "inf inside an object", [=](auto& w) { w.map(1).str("x").f64(inf); }, kMalformed);
}

TEST(GraphCodecRejects, ValuesThatAreNotJson) {
  const char one[] = {1};
  expect_value_rejected(
      "binary", [](auto& w) { w.bin("abc"); }, kMalformed);
  expect_value_rejected(
      "empty binary", [](auto& w) { w.bin(""); }, kMalformed);
  expect_value_rejected(
      "extension type 9", [](auto& w) { w.ext(9, "x"); }, kMalformed);
  expect_value_rejected(
      "extension type -1", [](auto& w) { w.ext(-1, "x"); }, kMalformed);
  expect_value_rejected(
      "binary inside an array", [](auto& w) { w.array(1).bin("a"); }, kMalformed);
  expect_value_rejected(
      "tombstone inside an array", [](auto& w) { w.array(1).ext(2, std::string_view("\0", 1)); },
      kMalformed);
  expect_value_rejected(
      "tombstone with payload 1", [&](auto& w) { w.ext(2, std::string_view(one, 1)); }, kMalformed);
  expect_value_rejected(
      "tombstone of 2 bytes", [](auto& w) { w.ext(2, std::string_view("\0\0", 2)); }, kMalformed);
  expect_value_rejected(
      "decimal of 1 byte", [](auto& w) { w.ext(1, std::string_view("\x01", 1)); }, kMalformed);
  expect_value_rejected(
      "decimal of 8 bytes", [](auto& w) { w.ext(1, std::string_view("\x01\0\0\0\0\0\0\x05", 8)); },
      kMalformed);
  expect_value_rejected(
      "decimal exponent 9", [](auto& w) { w.ext(1, std::string_view("\x09\x05", 2)); }, kMalformed);
  expect_value_rejected(
      "decimal exponent 255", [](auto& w) { w.ext(1, std::string_view("\xff\x05", 2)); },
      kMalformed);
  expect_value_rejected(
      "object with an integer key", [](auto& w) { w.map(1).uint(1).uint(2); }, kMalformed);
  expect_value_rejected(
      "object with a nil key", [](auto& w) { w.map(1).nil().uint(2); }, kMalformed);
  expect_value_rejected(
      "object with a repeated key", [](auto& w) { w.map(2).str("k").uint(1).str("k").uint(2); },
      kMalformed);
}

// A value of `depth` nested arrays, the innermost empty (depth 1 is []).
Slot nested_arrays(std::size_t depth) {
  return [depth](MsgpackWriter& w) {
    for (std::size_t i = 0; i < depth; ++i)
      w.array(i + 1 < depth ? 1 : 0);
  };
}

TEST(GraphCodecRejects, ValuesNestedBeyondTheDepthLimit) {
  const std::size_t limit = limits::kMaxValueDepth;
  expect_value_rejected("depth limit + 1", nested_arrays(limit + 1), kLimit);
  expect_value_rejected("depth 100", nested_arrays(100), kLimit);
  expect_value_rejected("depth 100000", nested_arrays(100000), kLimit);
  expect_value_rejected(
      "objects nested past the limit",
      [=](MsgpackWriter& w) {
        for (std::size_t i = 0; i < limit + 1; ++i)
          w.map(1).str("k");
        w.uint(1);
      },
      kLimit);

  // The decoder accepts exactly the depth the mutators accept.
  Json value = Json::array();
  for (std::size_t i = 1; i < limit; ++i)
    value = Json::array({value});
  GraphDoc r{ReplicaId{1}};
  auto accepted = r.add_node(Json{{"id", "n"}, {"data", {{"v", value}}}});
  ASSERT_TRUE(accepted.ok()) << accepted.error().message;
  for (const Bytes& bytes : {state_with_value(nested_arrays(limit)),
                             transaction_with_value(nested_arrays(limit)), encode(*accepted)}) {
    auto decoded = decode(bytes);
    EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  }
  auto refused = r.add_node(Json{{"id", "m"}, {"data", {{"v", Json::array({value})}}}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kLimit);
}

TEST(GraphCodecRejects, IdsAndFieldNamesBeyondTheirLimits) {
  const std::string longest_id(limits::kMaxIdBytes, 'i');
  const std::string too_long_id(limits::kMaxIdBytes + 1, 'i');
  EXPECT_TRUE(decode(state_with_node_id(longest_id)).ok());
  EXPECT_TRUE(decode(transaction_with_node_id(longest_id)).ok());
  const std::string longest_name(limits::kMaxFieldNameBytes, 'k');
  const std::string too_long_name(limits::kMaxFieldNameBytes + 1, 'k');
  auto data_key = [](std::string name) {
    return transaction_with_body([name](auto& w) { w.str(name).uint(1); }, 2);
  };
  auto top_key = [](std::string name) {
    return transaction_with_body([name](auto& w) { w.array(1).str(name).uint(1); }, 2);
  };
  EXPECT_TRUE(decode(data_key(longest_name)).ok());
  EXPECT_TRUE(decode(top_key(longest_name)).ok());
  expect_all_rejected({
      {"state: id past kMaxIdBytes", state_with_node_id(too_long_id), kLimit},
      {"transaction: id past kMaxIdBytes", transaction_with_node_id(too_long_id), kLimit},
      {"data key past kMaxFieldNameBytes", data_key(too_long_name), kLimit},
      {"top-level key past kMaxFieldNameBytes", top_key(too_long_name), kLimit},
      {"state: data key past kMaxFieldNameBytes", state_with_groups([&](auto& w) {
         w.array(1).array(3).uint(0).array(1).str(too_long_name).uint(1);
       }),
       kLimit},
  });
}

TEST(GraphCodecRejects, StringsAndContainersBeyondTheirLimits) {
  const std::string too_long(limits::kMaxStringBytes + 1, 's');
  expect_value_rejected(
      "string past kMaxStringBytes", [&](auto& w) { w.str(too_long); }, kLimit);
  expect_value_rejected(
      "object key past kMaxStringBytes", [&](auto& w) { w.map(1).str(too_long).uint(1); }, kLimit);
  expect_value_rejected(
      "array past kMaxContainerElements",
      [](MsgpackWriter& w) {
        w.array(limits::kMaxContainerElements + 1);
        for (std::size_t i = 0; i <= limits::kMaxContainerElements; ++i)
          w.nil();
      },
      kLimit);
}

TEST(GraphCodecRejects, TooManyReplicas) {
  StateMessage message;
  message.replicas = [](MsgpackWriter& w) {
    w.array(limits::kMaxReplicasPerMessage + 1);
    for (std::uint64_t id = 1; id <= limits::kMaxReplicasPerMessage + 1; ++id)
      w.uint(id);
  };
  expect_rejected("replica table past kMaxReplicasPerMessage", message.bytes(), kLimit);
}

TEST(GraphCodecRejects, AMessageLargerThanTheLimitWithoutReadingIt) {
  // Untouched anonymous pages: no memory is used unless decode reads them.
  const std::size_t size = limits::kMaxEncodedBytes + 1;
  void* pages = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(pages, MAP_FAILED);
  const std::span<const std::uint8_t> bytes(static_cast<const std::uint8_t*>(pages), size);
  auto decoded = decode(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, kLimit);
  GraphDoc target = busy_document();
  auto error = join_encoded(target, bytes);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, kLimit);
  munmap(pages, size);
}

// A JSON string is Unicode: a state holding other bytes could not even be
// written as JSON text (nlohmann's dump throws), so decoding must refuse it.
TEST(GraphCodecRejects, StringsThatAreNotUtf8) {
  const std::string invalid = "a\xff\xfe";
  const std::string truncated = "\xc3";  // the first byte of a two-byte sequence
  expect_all_rejected({
      {"state: node id", state_with_node_id(invalid), kMalformed},
      {"transaction: node id", transaction_with_node_id(truncated), kMalformed},
      {"data key", transaction_with_body([&](auto& w) { w.str(invalid).uint(1); }, 2), kMalformed},
      {"top-level key", transaction_with_body([&](auto& w) { w.array(1).str(invalid).uint(1); }, 2),
       kMalformed},
  });
  expect_value_rejected(
      "string value", [&](auto& w) { w.str(invalid); }, kMalformed);
  expect_value_rejected(
      "object key", [&](auto& w) { w.map(1).str(truncated).uint(1); }, kMalformed);
  expect_value_rejected(
      "string in an array", [&](auto& w) { w.array(1).str(invalid); }, kMalformed);
}

// Decode errors are only the documented codes (graph_codec.hpp: malformed,
// unsupported_version, limit_exceeded), also where the decoder reuses the
// mutators' input checks.
TEST(GraphCodecRejects, WithTheDocumentedErrorCodesOnly) {
  expect_all_rejected({
      {"state: empty entity id", state_with_node_id(""), kMalformed},
      {"transaction: empty entity id", transaction_with_node_id(""), kMalformed},
      {"top-level field named id",
       transaction_with_body([](auto& w) { w.array(1).str("id").str("x"); }, 2), kMalformed},
      {"top-level field named data",
       transaction_with_body([](auto& w) { w.array(1).str("data").map(0); }, 2), kMalformed},
      {"state: top-level field named id", state_with_groups([](auto& w) {
         w.array(1).array(3).uint(0).array(1).array(1).str("id").str("x");
       }),
       kMalformed},
  });
}

// ---- Allocation: a short input claiming huge lengths.

// Bytes the C heap holds now (in use, mmapped chunks included). The decoder's
// msgpack zone keeps what the last decode allocated until the next decode,
// so the growth across one decode shows its allocations.
std::size_t heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

// Decodes `bytes` and returns how much the heap grew (0 under ASan, whose
// allocator mallinfo does not see).
std::size_t heap_growth_of_decode(const Bytes& bytes, ErrorCode expected) {
  (void)decode(StateMessage{}.bytes());  // resets the decoder's scratch space
  const std::size_t before = heap_in_use();
  auto decoded = decode(bytes);
  const std::size_t after = heap_in_use();
  EXPECT_FALSE(decoded.ok());
  if (!decoded.ok()) {
    EXPECT_EQ(to_string(decoded.error().code), to_string(expected));
  }
  return after > before ? after - before : 0;
}

TEST(GraphCodecRejects, HugeDeclaredLengthsWithoutAllocating) {
  // Arrays and maps are over the parser's limit as soon as their header is
  // read; a string, binary or extension whose payload is missing is
  // truncated (msgpack-c never copies them). Either way: a typed error and
  // no allocation.
  const std::vector<Case> cases = {
      {"array32 of 2^32-1", MsgpackWriter().raw({0xdd, 0xff, 0xff, 0xff, 0xff}).bytes(), kLimit},
      {"map32 of 2^32-1", MsgpackWriter().raw({0xdf, 0xff, 0xff, 0xff, 0xff}).bytes(), kLimit},
      {"str32 of 2^32-1", MsgpackWriter().raw({0xdb, 0xff, 0xff, 0xff, 0xff}).bytes(), kMalformed},
      {"bin32 of 2^32-1", MsgpackWriter().raw({0xc6, 0xff, 0xff, 0xff, 0xff}).bytes(), kMalformed},
      {"ext32 of 2^32-1", MsgpackWriter().raw({0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}).bytes(),
       kMalformed},
      {"state form whose node list claims 2^31",
       MsgpackWriter()
           .array(5)
           .uint(1)
           .array(0)
           .array(2)
           .array(0)
           .array(0)
           .raw({0xdd, 0x80, 0, 0, 0})
           .bytes(),
       kLimit},
      {"transaction whose body claims 2^32-1",
       MsgpackWriter()
           .array(5)
           .uint(2)
           .uint(1)
           .uint(1)
           .uint(0)
           .array(2)
           .str("n")
           .raw({0xdd, 0xff, 0xff, 0xff, 0xff})
           .bytes(),
       kLimit},
      {"value string claiming 2^32-1",
       MsgpackWriter()
           .array(5)
           .uint(2)
           .uint(1)
           .uint(1)
           .uint(0)
           .array(2)
           .str("n")
           .array(3)
           .boolean(true)
           .str("v")
           .raw({0xdb, 0xff, 0xff, 0xff, 0xff})
           .bytes(),
       kMalformed},
      {"value map claiming 2^31",
       MsgpackWriter()
           .array(5)
           .uint(2)
           .uint(1)
           .uint(1)
           .uint(0)
           .array(2)
           .str("n")
           .array(3)
           .boolean(true)
           .str("v")
           .raw({0xdf, 0x80, 0, 0, 0})
           .bytes(),
       kLimit},
      // Within the input size but past its end: truncated, not oversized.
      {"str16 of 3 with 1 byte left",
       MsgpackWriter().array(2).uint(1).raw({0xda, 0x00, 0x03, 'a'}).bytes(), kMalformed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_rejected(c.name, c.bytes, c.expected);
    if (!trellis::testing::kSanitized) {
      EXPECT_LT(heap_growth_of_decode(c.bytes, c.expected), 64u * 1024u)
          << "a " << c.bytes.size() << "-byte input made decode allocate";
    }
  }
}

// Nested arrays that each claim as many elements as the input has bytes: a
// parser that allocates every open array's declared count at once (as
// msgpack-c's object tree did: 1 MiB in, 1.3 GB allocated) multiplies the
// input size by the nesting depth. The decoder checks the input as msgpack
// without allocating before it builds anything.
TEST(GraphCodecRejects, DecodingAllocatesInProportionToTheInput) {
  if (trellis::testing::kSanitized) GTEST_SKIP() << "mallinfo2 does not see ASan's allocator";
  const std::size_t size = 1 << 20;
  MsgpackWriter writer;
  std::size_t headers = 0;
  for (; headers < limits::kMaxValueDepth + 8; ++headers) {
    writer.raw({0xdd, static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
  }
  Bytes bytes = writer.bytes();
  bytes.resize(size, 0xc0);  // nils: the arrays are never complete
  const std::size_t growth = heap_growth_of_decode(bytes, kMalformed);
  EXPECT_LE(growth, 64 * size) << "a " << size << "-byte input made decode allocate " << growth
                               << " bytes (" << growth / size << "x the input)";
}

}  // namespace
}  // namespace trellis::crdt::testkit
