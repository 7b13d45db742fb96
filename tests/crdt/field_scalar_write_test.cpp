// Unit tests of write_node_data_scalar (graph_codec.hpp): a parameter edit
// given as a FieldScalar, its delta written straight as bytes. Each case runs
// it beside the Json form (set_node_data_value, then encode_to) on a copy of
// the same replica: the replicas must stay equal, the bytes must be those of
// the Json form's delta, and a refusal must be the Json form's error with
// nothing changed. properties_field_write_delta.cpp checks the same on
// random states.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/limits.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;
using testing::expect_unchanged;

GraphDoc replica_with_box() {
  GraphDoc doc(kAlice);
  applied(doc.add_node({{"id", "box"}, {"type", "box"}, {"data", {{"label", "Box"}}}}));
  return doc;
}

// The value of data key `key` of node `id` (a test of a present key).
Json data_value(const GraphDoc& doc, std::string_view id, std::string_view key) {
  const EntityState* node = doc.find(EntityKind::node, id);
  const crdt::FieldValue* value = node ? node->fields.get(FieldKey::data(key)) : nullptr;
  return value ? value->to_json() : Json("<absent>");
}

// Writes `value` both ways, into `scalar_replica` and `json_replica`, and
// checks that they agree.
void expect_same_write(GraphDoc& scalar_replica, GraphDoc& json_replica, std::string_view id,
                       std::string_view key, const FieldScalar& value) {
  SCOPED_TRACE(to_json(value).dump(-1, ' ', false, Json::error_handler_t::replace));
  Bytes bytes = {0xAA};  // the write appends
  const std::optional<Error> error = write_node_data_scalar(scalar_replica, id, key, value, bytes);
  const Result<GraphDoc> delta = json_replica.set_node_data_value(id, key, to_json(value));
  ASSERT_EQ(error.has_value(), !delta.ok());
  if (error) {
    EXPECT_EQ(*error, delta.error());
    EXPECT_EQ(bytes, Bytes{0xAA});
  } else {
    Bytes expected = {0xAA};
    encode_to(*delta, expected);
    EXPECT_EQ(bytes, expected);
  }
  EXPECT_EQ(scalar_replica, json_replica);
  EXPECT_EQ(scalar_replica.clock().counter(), json_replica.clock().counter());
}

// One key written with every kind of scalar in turn, so that each kind
// replaces each other kind and itself (the in-place assignments).
TEST(FieldScalarWrite, EveryKindOverEveryKindIsTheJsonWrite) {
  const std::string long_text(40, 'q');  // past the short-string buffer
  const std::vector<FieldScalar> values = {
      std::string_view("a"),
      std::string_view("b"),
      std::string_view(long_text),
      std::string_view(""),
      std::string_view("\xc3\xa9t\xc3\xa9"),
      2.5,
      -429.408,
      0.1,
      1e300,
      -0.0,
      600.0,
      std::int64_t{-5},
      std::int64_t{3},
      std::int64_t{1} << 40,
      std::uint64_t{7},
      std::numeric_limits<std::uint64_t>::max(),
      true,
      false,
      nullptr,
      std::string_view("after null"),
      nullptr,
      12.75,
  };
  GraphDoc scalar_replica = replica_with_box();
  GraphDoc json_replica = scalar_replica;
  for (const FieldScalar& value : values)
    expect_same_write(scalar_replica, json_replica, "box", "p", value);
  // And the other keys of the node are untouched.
  EXPECT_EQ(data_value(scalar_replica, "box", "label"), Json("Box"));
}

TEST(FieldScalarWrite, TheDeltaJoinsIntoAPeerAsTheJsonDeltaDoes) {
  GraphDoc alice = replica_with_box();
  GraphDoc bob(kBob);
  bob.join(alice);
  Bytes bytes;
  ASSERT_FALSE(write_node_data_scalar(alice, "box", "label", std::string_view("Renamed"), bytes));
  ASSERT_FALSE(join_encoded(bob, bytes));
  EXPECT_EQ(bob, alice);
  EXPECT_EQ(data_value(bob, "box", "label"), Json("Renamed"));
}

TEST(FieldScalarWrite, RefusalsAreTheJsonWritesErrorsAndChangeNothing) {
  GraphDoc scalar_replica = replica_with_box();
  applied(scalar_replica.add_node({{"id", "gone"}}));
  applied(scalar_replica.remove_node("gone"));
  GraphDoc json_replica = scalar_replica;
  const GraphDoc before = scalar_replica;
  const std::string too_long_text(limits::kMaxStringBytes + 1, 'x');
  const std::string too_long_key(limits::kMaxFieldNameBytes + 1, 'k');

  struct Case {
    const char* what;
    std::string_view id;
    std::string_view key;
    FieldScalar value;
  };
  const std::vector<Case> cases = {
      {"absent node", "nothing", "p", 1.5},
      {"removed node", "gone", "p", 1.5},
      {"NaN", "box", "p", std::nan("")},
      {"infinity", "box", "p", HUGE_VAL},
      {"text not UTF-8", "box", "p", std::string_view("\xff\xfe")},
      {"text too long", "box", "p", std::string_view(too_long_text)},
      {"key too long", "box", too_long_key, 1.5},
      {"key not UTF-8", "box", "\xc3", 1.5},
      {"empty id", "", "p", 1.5},
  };
  for (const Case& refused : cases) {
    SCOPED_TRACE(refused.what);
    expect_same_write(scalar_replica, json_replica, refused.id, refused.key, refused.value);
    expect_unchanged(scalar_replica, before);
  }

  GraphDoc no_replica;  // replica 0: a received state, which cannot stamp
  no_replica.join(before);
  GraphDoc no_replica_json = no_replica;
  expect_same_write(no_replica, no_replica_json, "box", "p", 1.5);
  EXPECT_EQ(no_replica, before);
}

TEST(FieldScalarWrite, ANodeAtTheFieldLimitTakesNoNewKeyButItsOwnKeysStillChange) {
  Json data = Json::object();
  // `type` and the data keys: the limit counts every field of the node.
  for (std::size_t i = 0; i + 1 < limits::kMaxFieldsPerEntity; ++i)
    data["k" + std::to_string(i)] = 0;
  GraphDoc scalar_replica(kAlice);
  applied(scalar_replica.add_node({{"id", "full"}, {"type", "box"}, {"data", data}}));
  GraphDoc json_replica = scalar_replica;
  const GraphDoc before = scalar_replica;

  Bytes bytes;
  const std::optional<Error> refused =
      write_node_data_scalar(scalar_replica, "full", "new", 1.0, bytes);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, ErrorCode::limit_exceeded);
  EXPECT_TRUE(bytes.empty());
  expect_unchanged(scalar_replica, before);

  expect_same_write(scalar_replica, json_replica, "full", "new", 1.0);
  expect_same_write(scalar_replica, json_replica, "full", "k7", 1.0);
  EXPECT_EQ(data_value(scalar_replica, "full", "k7"), Json(1.0));
}

}  // namespace
}  // namespace trellis::crdt
