// Every element of the binary layout (docs/encoding.md) round-trips, in both
// forms: decode(encode(x)) == x, re-encoding gives the same bytes, the state
// form (encode_state_to) decodes to the same state, and join_encoded joins
// exactly what decode returns. Byte fixtures computed by hand from the
// specification pin the format, so that a change of layout cannot pass
// unnoticed.

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "crdt/crdt_testing.hpp"
#include "crdt/support/codec_fixtures.hpp"
#include "crdt/support/msgpack_writer.hpp"
#include "crdt/support/state_comparison.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/value_codec.hpp"

namespace trellis::crdt::testkit {
namespace {

std::string hex_of(const Bytes& bytes) {
  return hex(bytes, 0, bytes.size());
}

// decode(bytes) must give `expected`, and re-encoding it in the form of
// `bytes` (the transaction form, the state form, or format 1) the same bytes.
void expect_decodes_to(const Bytes& bytes, const GraphDoc& expected) {
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message << "\n  bytes: " << hex_of(bytes);
  EXPECT_EQ(*decoded, expected) << "decoded: " << text(describe_state(*decoded))
                                << "\n  expected: " << text(describe_state(expected));
  EXPECT_TRUE(decoded->replica().is_null());
  Bytes again;
  if (format_of(bytes) == kStateFormatV2) {
    encode_state_to(*decoded, again);
  } else if (format_of(bytes) == kStateFormatV1) {
    encode_state_v1_to(*decoded, again);
  } else {
    again = encode(*decoded);
  }
  EXPECT_EQ(hex_of(again), hex_of(bytes)) << "re-encoding the decoded state changes its bytes";
}

// join_encoded joins what decode returns, into an empty and a busy state.
void expect_joins_as_decoded(const Bytes& bytes) {
  for (GraphDoc base : {GraphDoc{ReplicaId{42}}, rich_state()}) {
    GraphDoc expected = base;
    expected.join(*decode(bytes));
    ASSERT_FALSE(join_encoded(base, bytes).has_value());
    EXPECT_EQ(base, expected);
    EXPECT_EQ(encode(base), encode(expected));
    EXPECT_EQ(base.clock().counter(), expected.clock().counter());
  }
}

void expect_round_trips(const GraphDoc& doc) {
  const Bytes bytes = encode(doc);
  expect_decodes_to(bytes, doc);
  expect_joins_as_decoded(bytes);
  Bytes state_form;
  encode_state_to(doc, state_form);
  EXPECT_EQ(format_of(state_form), kStateFormatV2);
  expect_decodes_to(state_form, doc);
  expect_joins_as_decoded(state_form);
  // What earlier releases stored decodes to the same state.
  Bytes old_form;
  encode_state_v1_to(doc, old_form);
  EXPECT_EQ(format_of(old_form), kStateFormatV1);
  expect_decodes_to(old_form, doc);
  expect_joins_as_decoded(old_form);
}

// The root array of an encoding.
struct Parsed {
  msgpack::object_handle handle;
  const msgpack::object_array& root() const { return handle.get().via.array; }
};

Parsed parse(const Bytes& bytes) {
  return Parsed{msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size())};
}

TEST(GraphCodecLayout, StateFormRoundTripsEveryLayoutElement) {
  const GraphDoc state = rich_state();
  EXPECT_EQ(format_of(encode(state)), kStateFormatV2);
  expect_round_trips(state);
}

TEST(GraphCodecLayout, RichStateExercisesEveryStateFormElement) {
  const GraphDoc state = rich_state();
  ASSERT_FALSE(state.context().cloud().empty());
  Bytes bytes;
  encode_state_to(state, bytes);
  const Parsed parsed = parse(bytes);
  const auto& root = parsed.root();
  ASSERT_EQ(root.size, 6u);
  EXPECT_GE(root.ptr[1].via.array.size, 3u) << "replica table";
  EXPECT_GT(root.ptr[2].via.array.ptr[1].via.array.size, 0u) << "dot cloud";

  std::set<std::uint64_t> well_known_keys;
  bool two_dots = false, no_dots = false, short_stamp = false, long_stamp = false;
  bool shape_reference = false, long_form_key = false, data_key = false, tombstone = false;
  for (int list = 4; list <= 5; ++list) {
    const auto& entities = root.ptr[list].via.array;
    for (std::uint32_t i = 0; i < entities.size; i += 3) {
      const auto& dots = entities.ptr[i + 1].via.array;
      two_dots |= dots.size == 4;
      no_dots |= dots.size == 0;
      const auto& groups = entities.ptr[i + 2].via.array;
      for (std::uint32_t g = 0; g < groups.size; ++g) {
        const auto& group = groups.ptr[g].via.array;
        short_stamp |= group.ptr[0].type == msgpack::type::POSITIVE_INTEGER;
        long_stamp |= group.ptr[0].type == msgpack::type::ARRAY;
        shape_reference |= group.ptr[1].type == msgpack::type::POSITIVE_INTEGER;
        if (group.ptr[1].type == msgpack::type::ARRAY) {
          const auto& keys = group.ptr[1].via.array;
          for (std::uint32_t k = 0; k < keys.size; ++k) {
            if (keys.ptr[k].type == msgpack::type::POSITIVE_INTEGER) {
              well_known_keys.insert(keys.ptr[k].via.u64);
            }
            long_form_key |= keys.ptr[k].type == msgpack::type::ARRAY;
            data_key |= keys.ptr[k].type == msgpack::type::STR;
          }
        }
        for (std::uint32_t v = 2; v < group.size; ++v) {
          tombstone |= group.ptr[v].type == msgpack::type::EXT && group.ptr[v].via.ext.type() == 2;
        }
      }
    }
  }
  EXPECT_EQ(well_known_keys.size(), well_known_fields().size());
  EXPECT_TRUE(two_dots) << "an entity with two dots";
  EXPECT_TRUE(no_dots) << "an entity without dots (removed, fields kept)";
  EXPECT_TRUE(short_stamp);
  EXPECT_TRUE(long_stamp);
  EXPECT_TRUE(shape_reference);
  EXPECT_TRUE(long_form_key);
  EXPECT_TRUE(data_key);
  EXPECT_TRUE(tombstone);
}

TEST(GraphCodecLayout, EveryFieldWritingMutatorDeltaUsesTheTransactionFormAndRoundTrips) {
  for (const GraphDoc& delta : transaction_deltas()) {
    SCOPED_TRACE(text(describe_state(delta)));
    EXPECT_EQ(format_of(encode(delta)), kTransactionFormatV1);
    expect_round_trips(delta);
  }
}

TEST(GraphCodecLayout, DeltasWithoutFieldsUseTheStateForm) {
  GraphDoc r{ReplicaId{3}};
  const GraphDoc add = must(r.add_node(Json{{"id", "n"}}));
  const GraphDoc remove = must(r.remove_node("n"));
  for (const GraphDoc* delta : {&add, &remove}) {
    EXPECT_EQ(format_of(encode(*delta)), kStateFormatV2);
    expect_round_trips(*delta);
  }
}

TEST(GraphCodecLayout, TransactionFormOmitsTrailingEmptyParts) {
  GraphDoc r{ReplicaId{3}};
  const GraphDoc node_delta = must(r.add_node(Json{{"id", "a"}, {"type", "t"}}));
  must(r.add_node(Json{{"id", "b"}}));
  const GraphDoc edge_delta = must(r.add_edge(Json{{"id", "e"}, {"source", "a"}, {"target", "b"}}));
  EXPECT_EQ(parse(encode(node_delta)).root().size, 5u) << "[2, replica, seq, k, nodes]";
  const Parsed edge = parse(encode(edge_delta));
  ASSERT_EQ(edge.root().size, 6u) << "[2, replica, seq, k, nodes, edges]";
  EXPECT_EQ(edge.root().ptr[4].via.array.size, 0u) << "nodes is present but empty";
}

TEST(GraphCodecLayout, TransactionFormCarriesRemovedDots) {
  const GraphDoc delta = delta_with_removed_dots();
  const Bytes bytes = encode(delta);
  const Parsed parsed = parse(bytes);
  ASSERT_EQ(format_of(bytes), kTransactionFormatV1);
  ASSERT_EQ(parsed.root().size, 7u);
  const auto& removed = parsed.root().ptr[6].via.array;
  ASSERT_EQ(removed.size, 4u);
  // Sorted dots with raw replica ids: (2, 4) then (7, 1).
  EXPECT_EQ(removed.ptr[0].via.u64, 2u);
  EXPECT_EQ(removed.ptr[1].via.u64, 4u);
  EXPECT_EQ(removed.ptr[2].via.u64, 7u);
  EXPECT_EQ(removed.ptr[3].via.u64, 1u);
  expect_round_trips(delta);
}

TEST(GraphCodecLayout, WellKnownFieldsAreWrittenAsTheirTableIndex) {
  const auto& names = well_known_fields();
  for (std::size_t index = 0; index < names.size(); ++index) {
    SCOPED_TRACE(names[index]);
    GraphDoc r{ReplicaId{1}};
    const GraphDoc delta = must(r.add_node(Json{{"id", "n"}, {names[index], 1}}));
    const Parsed parsed = parse(encode(delta));
    const auto& body = parsed.root().ptr[4].via.array.ptr[1].via.array;  // [true, key, value]
    ASSERT_EQ(body.size, 3u);
    ASSERT_EQ(body.ptr[1].type, msgpack::type::POSITIVE_INTEGER);
    EXPECT_EQ(body.ptr[1].via.u64, index);
  }
}

TEST(GraphCodecLayout, OtherTopLevelFieldsUseTheLongFormAndDataKeysAString) {
  GraphDoc r{ReplicaId{1}};
  const GraphDoc delta =
      must(r.add_node(Json{{"id", "n"}, {"custom", 1}, {"data", {{"type", 2}}}}));
  const Parsed parsed = parse(encode(delta));
  const auto& body = parsed.root().ptr[4].via.array.ptr[1].via.array;
  ASSERT_EQ(body.size, 5u);
  ASSERT_EQ(body.ptr[1].type, msgpack::type::ARRAY);
  EXPECT_EQ(body.ptr[1].via.array.ptr[0].as<std::string>(), "custom");
  ASSERT_EQ(body.ptr[3].type, msgpack::type::STR);
  EXPECT_EQ(body.ptr[3].as<std::string>(), "type") << "data.type is a data key, not field 0";
}

TEST(GraphCodecLayout, EqualStatesEncodeToEqualBytesWhateverTheirHistory) {
  // The same deltas joined in two orders, with a duplicate.
  std::vector<GraphDoc> deltas = transaction_deltas();
  GraphDoc forward, backward;
  for (const GraphDoc& delta : deltas)
    forward.join(delta);
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it)
    backward.join(*it);
  backward.join(deltas.front());
  ASSERT_EQ(forward, backward);
  EXPECT_EQ(hex_of(encode(forward)), hex_of(encode(backward)));
  Bytes forward_state, backward_state;
  encode_state_to(forward, forward_state);
  encode_state_to(backward, backward_state);
  EXPECT_EQ(hex_of(forward_state), hex_of(backward_state));
}

TEST(GraphCodecLayout, EncodeToAppendsToTheBuffer) {
  const GraphDoc state = rich_state();
  Bytes buffer{1, 2, 3};
  encode_to(state, buffer);
  const Bytes alone = encode(state);
  ASSERT_EQ(buffer.size(), alone.size() + 3);
  EXPECT_TRUE(std::equal(alone.begin(), alone.end(), buffer.begin() + 3));
}

// ---- Fixtures computed by hand from docs/encoding.md.

Bytes bytes_of(std::initializer_list<int> values) {
  Bytes out;
  for (int value : values)
    out.push_back(static_cast<std::uint8_t>(value));
  return out;
}

TEST(GraphCodecFixture, AddNodeDeltaInTheTransactionForm) {
  GraphDoc r{ReplicaId{1}};
  const GraphDoc delta =
      must(r.add_node(Json{{"id", "n1"}, {"type", "default"}, {"data", {{"label", "A"}}}}));
  // [2, replica 1, seq 1, counter - seq 0, ["n1", [true, 0 (type), "default", "label", "A"]]]
  const Bytes expected =
      bytes_of({0x95, 0x02, 0x01, 0x01, 0x00, 0x92, 0xa2, 'n', '1', 0x95, 0xc3, 0x00, 0xa7, 'd',
                'e',  'f',  'a',  'u',  'l',  't',  0xa5, 'l', 'a', 'b',  'e',  'l',  0xa1, 'A'});
  EXPECT_EQ(hex_of(encode(delta)), hex_of(expected));
  expect_decodes_to(expected, delta);
}

TEST(GraphCodecFixture, AddNodeDeltaInTheStateForm) {
  GraphDoc r{ReplicaId{1}};
  const GraphDoc delta =
      must(r.add_node(Json{{"id", "n1"}, {"type", "default"}, {"data", {{"label", "A"}}}}));
  // [3, [1], [[0, 1], []], [], ["n1", [0, 1], [[0, [0, "label"], "default", "A"]]], []]
  const Bytes expected =
      bytes_of({0x96, 0x03, 0x91, 0x01, 0x92, 0x92, 0x00, 0x01, 0x90, 0x90, 0x93, 0xa2, 'n',
                '1',  0x92, 0x00, 0x01, 0x91, 0x94, 0x00, 0x92, 0x00, 0xa5, 'l',  'a',  'b',
                'e',  'l',  0xa7, 'd',  'e',  'f',  'a',  'u',  'l',  't',  0xa1, 'A',  0x90});
  Bytes actual;
  encode_state_to(delta, actual);
  EXPECT_EQ(hex_of(actual), hex_of(expected));
  expect_decodes_to(expected, delta);
}

TEST(GraphCodecFixture, AddNodeDeltaInFormatOneAsEarlierReleasesStoredIt) {
  GraphDoc r{ReplicaId{1}};
  const GraphDoc delta =
      must(r.add_node(Json{{"id", "n1"}, {"type", "default"}, {"data", {{"label", "A"}}}}));
  // [1, [1], [[0, 1], []], ["n1", [0, 1], [[0, [0, "label"], "default", "A"]]], []]
  const Bytes stored =
      bytes_of({0x95, 0x01, 0x91, 0x01, 0x92, 0x92, 0x00, 0x01, 0x90, 0x93, 0xa2, 'n', '1',
                0x92, 0x00, 0x01, 0x91, 0x94, 0x00, 0x92, 0x00, 0xa5, 'l',  'a',  'b', 'e',
                'l',  0xa7, 'd',  'e',  'f',  'a',  'u',  'l',  't',  0xa1, 'A',  0x90});
  expect_decodes_to(stored, delta);
  expect_joins_as_decoded(stored);
}

TEST(GraphCodecFixture, RecurringStringsAreWrittenOnceAndReferenced) {
  GraphDoc r{ReplicaId{1}};
  GraphDoc state;
  for (const char* id : {"n1", "n2", "n3"})
    state.join(must(r.add_node(Json{{"id", id}, {"type", "default"}})));
  // "default" three times: 3 x 8 bytes inline, 8 + 3 x 3 in the table.
  // [3, [1], [[0, 3], []], ["default"],
  //  ["n1", [0, 1], [[0, [0], ref 0]], "n2", [0, 2], [[0, 0, ref 0]], "n3", ...], []]
  const Bytes expected = bytes_of(
      {0x96, 0x03, 0x91, 0x01, 0x92, 0x92, 0x00, 0x03, 0x90, 0x91, 0xa7, 'd',  'e',  'f',  'a',
       'u',  'l',  't',  0x99, 0xa2, 'n',  '1',  0x92, 0x00, 0x01, 0x91, 0x93, 0x00, 0x91, 0x00,
       0xd4, 0x03, 0x00, 0xa2, 'n',  '2',  0x92, 0x00, 0x02, 0x91, 0x93, 0x00, 0x00, 0xd4, 0x03,
       0x00, 0xa2, 'n',  '3',  0x92, 0x00, 0x03, 0x91, 0x93, 0x00, 0x00, 0xd4, 0x03, 0x00, 0x90});
  Bytes actual;
  encode_state_to(state, actual);
  EXPECT_EQ(hex_of(actual), hex_of(expected));
  expect_decodes_to(expected, state);
  expect_joins_as_decoded(expected);
}

TEST(GraphCodecLayout, StringTableIndexesPastTheFirst256TakeTwoBytes) {
  // 300 distinct types, each on four nodes: every one is worth a table
  // entry; all are equally frequent, so text order decides which 44 get
  // two-byte references.
  GraphDoc r{ReplicaId{1}};
  GraphDoc state;
  for (int type = 0; type < 300; ++type) {
    for (int copy = 0; copy < 4; ++copy) {
      const std::string id = "n" + std::to_string(type) + "_" + std::to_string(copy);
      state.join(must(r.add_node(Json{{"id", id}, {"type", "type" + std::to_string(type)}})));
    }
  }
  Bytes bytes;
  encode_state_to(state, bytes);
  const Parsed parsed = parse(bytes);
  EXPECT_EQ(parsed.root().ptr[3].via.array.size, 300u);
  std::set<std::size_t> reference_sizes;
  const auto& nodes = parsed.root().ptr[4].via.array;
  for (std::uint32_t i = 0; i < nodes.size; i += 3) {
    const auto& group = nodes.ptr[i + 2].via.array.ptr[0].via.array;
    ASSERT_EQ(group.ptr[2].type, msgpack::type::EXT);
    EXPECT_EQ(group.ptr[2].via.ext.type(), 3);
    reference_sizes.insert(group.ptr[2].via.ext.size);
  }
  EXPECT_EQ(reference_sizes, (std::set<std::size_t>{1, 2}));
  expect_round_trips(state);
}

TEST(GraphCodecFixture, RemoveNodeDeltaIsAContextOnlyStateForm) {
  GraphDoc r{ReplicaId{1}};
  must(r.add_node(Json{{"id", "n1"}, {"type", "default"}}));
  const GraphDoc delta = must(r.remove_node("n1"));
  // [3, [1], [[0, 2], []], [], [], []]: it saw transactions 1 (the add) and 2.
  const Bytes expected =
      bytes_of({0x96, 0x03, 0x91, 0x01, 0x92, 0x92, 0x00, 0x02, 0x90, 0x90, 0x90, 0x90});
  EXPECT_EQ(hex_of(encode(delta)), hex_of(expected));
  expect_decodes_to(expected, delta);
  // Format 1, as earlier releases wrote it: [1, [1], [[0, 2], []], [], []].
  expect_decodes_to(bytes_of({0x95, 0x01, 0x91, 0x01, 0x92, 0x92, 0x00, 0x02, 0x90, 0x90, 0x90}),
                    delta);
}

TEST(GraphCodecFixture, ParameterEditDeltaWithADecimal) {
  GraphDoc r{ReplicaId{1}};
  must(r.add_node(Json{{"id", "n1"}}));
  const GraphDoc delta = must(r.set_node_data_value("n1", "p1", -429.408));
  // [2, 1, 2, 0, ["n1", ["p1", decimal(exponent 3, mantissa -429408)]]]
  // -429408 as a big-endian int24 is f9 72 a0.
  const Bytes expected = bytes_of({0x95, 0x02, 0x01, 0x02, 0x00, 0x92, 0xa2, 'n', '1', 0x92, 0xa2,
                                   'p', '1', 0xd6, 0x01, 0x03, 0xf9, 0x72, 0xa0});
  EXPECT_EQ(hex_of(encode(delta)), hex_of(expected));
  expect_decodes_to(expected, delta);
}

// ---- Values (the field value encoding, also exposed as encode_value).

Bytes float64_bytes(double value) {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  Bytes out{0xcb};
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(bits >> shift));
  return out;
}

TEST(GraphCodecValue, NumbersTakeTheirPinnedShortestForm) {
  const struct {
    Json value;
    Bytes bytes;
  } cases[] = {
      {Json(7), bytes_of({0x07})},
      {Json(-5), bytes_of({0xfb})},
      {Json(200), bytes_of({0xcc, 0xc8})},
      {Json(-100), bytes_of({0xd0, 0x9c})},
      {Json(60000), bytes_of({0xcd, 0xea, 0x60})},
      {Json(std::numeric_limits<std::uint64_t>::max()),
       bytes_of({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})},
      {Json(std::numeric_limits<std::int64_t>::min()),
       bytes_of({0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})},
      {Json(0.1), bytes_of({0xd5, 0x01, 0x01, 0x01})},                   // decimal, 1-byte mantissa
      {Json(-1.5), bytes_of({0xd5, 0x01, 0x01, 0xf1})},                  // -15 / 10
      {Json(2.0), bytes_of({0xd5, 0x01, 0x00, 0x02})},                   // a float stays a float
      {Json(100.0), bytes_of({0xd5, 0x01, 0x00, 0x64})},                 // 100 / 10^0
      {Json(-429.408), bytes_of({0xd6, 0x01, 0x03, 0xf9, 0x72, 0xa0})},  // 3-byte mantissa
      {Json(120.5), bytes_of({0xca, 0x42, 0xf1, 0x00, 0x00})},           // float32 beats fixext4
      {Json(1000.0), bytes_of({0xca, 0x44, 0x7a, 0x00, 0x00})},
      {Json(1e7), bytes_of({0xca, 0x4b, 0x18, 0x96, 0x80})},  // integral, still a float
      {Json(12345678901.0), float64_bytes(12345678901.0)},
      {Json(-0.0), bytes_of({0xca, 0x80, 0x00, 0x00, 0x00})},  // never a decimal
      {Json(1e300), float64_bytes(1e300)},
      {Json(1.0 / 3.0), float64_bytes(1.0 / 3.0)},
      {Json(123456.789), float64_bytes(123456.789)},  // mantissa past 24 bits
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value.dump());
    EXPECT_EQ(hex_of(encode_value(c.value)), hex_of(c.bytes));
    auto decoded = decode_value(c.bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(decoded->type() == Json::value_t::number_float,
              c.value.type() == Json::value_t::number_float)
        << "a decimal decodes as a float, an integer as an integer";
    if (c.value.is_number_float()) {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(decoded->get<double>()),
                std::bit_cast<std::uint64_t>(c.value.get<double>()))
          << "the round trip is exact to the bit";
    } else {
      EXPECT_EQ(*decoded, c.value);
    }
  }
}

// Same kind (integer / float / ...) and same bits, recursively: stricter than
// Json's ==, for which 1 == 1.0 and 0.0 == -0.0.
bool identical(const Json& a, const Json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    return a.is_number_float() && b.is_number_float() &&
           std::bit_cast<std::uint64_t>(a.get<double>()) ==
               std::bit_cast<std::uint64_t>(b.get<double>());
  }
  if (a.is_array() && b.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!identical(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !identical(it.value(), b[it.key()])) return false;
    }
    return true;
  }
  return a == b;
}

TEST(GraphCodecValue, EveryKindOfValueRoundTripsIdentically) {
  const Json values = every_kind_of_value();
  for (const auto& [name, value] : values.items()) {
    SCOPED_TRACE(name);
    auto decoded = decode_value(encode_value(value));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_TRUE(identical(*decoded, value)) << decoded->dump() << " vs " << value.dump();
  }
  // And as field values inside a document.
  GraphDoc r{ReplicaId{1}};
  const GraphDoc delta = must(r.add_node(Json{{"id", "n"}, {"data", every_kind_of_value()}}));
  auto decoded = decode(encode(delta));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(identical(node_view(*decoded, "n")["data"], every_kind_of_value()));
}

}  // namespace
}  // namespace trellis::crdt::testkit
