// join_encoded reads the commonest message, a write of one node's fields,
// on a path of its own (crdt/src/field_write_message.hpp). Each test ships
// such a message and checks that join_encoded leaves the receiver exactly
// as the general path does, doc.join(*decode(bytes)): the same state, the
// same clock, the same refusal. Random histories go through the same check
// in the property tests (replica_network.hpp); these pin the cases the
// path treats apart.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "crdt/crdt_testing.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt {
namespace {

using testing::applied;

struct Pair {
  GraphDoc sender{kAlice};
  GraphDoc receiver{kBob};
};

// Alice adds a node with a string, a number and a position; Bob has it.
Pair pair_with_box() {
  Pair pair;
  applied(pair.sender.add_node({{"id", "box"},
                                {"type", "box"},
                                {"position", {{"x", 1}, {"y", 2}}},
                                {"data", {{"label", "Box"}, {"size", 3}}}}));
  pair.receiver.join(pair.sender);
  return pair;
}

Bytes bytes_of(const Result<GraphDoc>& delta) {
  EXPECT_TRUE(delta.ok()) << (delta.ok() ? "" : delta.error().message);
  return encode(*delta);
}

// Joins `bytes` into `receiver` both ways and expects the same outcome.
void expect_joined_as_by_decode(GraphDoc& receiver, const Bytes& bytes) {
  GraphDoc by_decode = receiver;
  auto decoded = decode(bytes);
  auto error = join_encoded(receiver, bytes);
  ASSERT_EQ(error.has_value(), !decoded.ok());
  if (error) {
    EXPECT_EQ(error->code, decoded.error().code);
    EXPECT_EQ(error->message, decoded.error().message);
    return;
  }
  by_decode.join(*decoded);
  EXPECT_EQ(receiver, by_decode);
  EXPECT_EQ(receiver.clock().counter(), by_decode.clock().counter());
}

TEST(JoinEncodedFieldWrite, ValuesOfEveryKindReplaceValuesOfEveryKind) {
  Pair pair = pair_with_box();
  const std::vector<Json> values = {"short",
                                    "a string longer than the small buffer",
                                    7,
                                    2.5,
                                    -3,
                                    nullptr,
                                    true,
                                    12345678,
                                    Json::array({1, "two"}),
                                    "x"};
  for (const Json& value : values) {
    for (const char* key : {"label", "size"}) {
      SCOPED_TRACE(std::string(key) + " := " + value.dump());
      expect_joined_as_by_decode(pair.receiver,
                                 bytes_of(pair.sender.set_node_data_value("box", key, value)));
    }
  }
  EXPECT_EQ(pair.receiver, pair.sender);
}

TEST(JoinEncodedFieldWrite, TopLevelFieldsNewFieldsAndSeveralAtOnce) {
  Pair pair = pair_with_box();
  expect_joined_as_by_decode(
      pair.receiver,
      bytes_of(pair.sender.update_node_fields(
          "box",
          {{"position", {{"x", 5}, {"y", 6}}}, {"width", 40}, {"data", {{"fresh", "new"}}}})));
  expect_joined_as_by_decode(pair.receiver,
                             bytes_of(pair.sender.update_node_fields("box", {{"custom", 1}})));
  EXPECT_EQ(pair.receiver, pair.sender);
}

TEST(JoinEncodedFieldWrite, RemovedFieldIsATombstone) {
  Pair pair = pair_with_box();
  expect_joined_as_by_decode(
      pair.receiver, bytes_of(pair.sender.remove_node_fields("box", {FieldKey::data("label")})));
  EXPECT_EQ(pair.receiver, pair.sender);
}

TEST(JoinEncodedFieldWrite, AnOlderWriteLosesToTheReceiversNewerOne) {
  Pair pair = pair_with_box();
  const Bytes older = bytes_of(pair.sender.set_node_data_value("box", "label", "Alice's"));
  applied(pair.receiver.set_node_data_value("box", "label", "Bob's"));
  applied(pair.receiver.set_node_data_value("box", "label", "Bob's again"));
  expect_joined_as_by_decode(pair.receiver, older);
}

TEST(JoinEncodedFieldWrite, DuplicateAndOutOfOrderDeliveries) {
  Pair pair = pair_with_box();
  const Bytes first = bytes_of(pair.sender.set_node_data_value("box", "label", "one"));
  const Bytes second = bytes_of(pair.sender.set_node_data_value("box", "label", "two"));
  const Bytes third = bytes_of(pair.sender.set_node_data_value("box", "size", 3.25));
  expect_joined_as_by_decode(pair.receiver, third);  // a gap: its dot goes to the cloud
  expect_joined_as_by_decode(pair.receiver, first);
  expect_joined_as_by_decode(pair.receiver, first);
  expect_joined_as_by_decode(pair.receiver, second);
  expect_joined_as_by_decode(pair.receiver, third);
  EXPECT_EQ(pair.receiver, pair.sender);
}

TEST(JoinEncodedFieldWrite, WriteToANodeTheReceiverLacksOrRemoved) {
  Pair pair = pair_with_box();
  applied(pair.sender.add_node({{"id", "other"}, {"data", {{"a", 1}}}}));
  // Bob never got "other": the write leaves fields of an absent node.
  expect_joined_as_by_decode(pair.receiver,
                             bytes_of(pair.sender.set_node_data_value("other", "a", 2)));
  // Bob removed "box" concurrently: its fields are kept, the node stays absent.
  applied(pair.receiver.remove_node("box"));
  expect_joined_as_by_decode(pair.receiver,
                             bytes_of(pair.sender.set_node_data_value("box", "label", "late")));
  EXPECT_FALSE(pair.receiver.has_node("box"));
}

TEST(JoinEncodedFieldWrite, DamagedMessagesAreRefusedAsByDecode) {
  Pair pair = pair_with_box();
  const Bytes good = bytes_of(pair.sender.set_node_data_value("box", "label", "text"));
  const GraphDoc before = pair.receiver;
  for (std::size_t at = 0; at < good.size(); ++at) {
    for (std::uint8_t byte : {std::uint8_t{0x00}, std::uint8_t{0xc1}, std::uint8_t{0xff},
                              std::uint8_t{0x80}, std::uint8_t{0xa1}}) {
      Bytes damaged = good;
      damaged[at] = byte;
      SCOPED_TRACE("byte " + std::to_string(at) + " := " + std::to_string(byte));
      GraphDoc receiver = before;
      expect_joined_as_by_decode(receiver, damaged);
    }
    Bytes truncated(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(at));
    GraphDoc receiver = before;
    if (!truncated.empty()) expect_joined_as_by_decode(receiver, truncated);
  }
  Bytes trailing = good;
  trailing.push_back(0);
  GraphDoc receiver = before;
  expect_joined_as_by_decode(receiver, trailing);
  EXPECT_EQ(receiver, before);
}

TEST(JoinEncodedFieldWrite, TextThatIsNotUtf8IsRefusedAsByDecodeAtAnyPositionOfAnyLength) {
  // The path checks short ids, keys and values in a few loads, not byte by
  // byte. For each length, a byte of 0xff (or 0xc3, a truncated sequence)
  // at each position of the id, the key or the value.
  for (std::size_t size = 1; size <= 20; ++size) {
    Pair pair;
    const std::string id(size, 'i');
    const std::string key(size, 'k');
    const std::string value(size, 'v');
    applied(pair.sender.add_node({{"id", id}, {"data", {{key, "old"}}}}));
    pair.receiver.join(pair.sender);
    const Bytes good = bytes_of(pair.sender.set_node_data_value(id, key, value));
    for (const std::string* text : {&id, &key, &value}) {
      // The string as packed: a fixstr header, then its bytes.
      Bytes packed{static_cast<std::uint8_t>(0xa0 | size)};
      packed.insert(packed.end(), text->begin(), text->end());
      const auto header = std::search(good.begin(), good.end(), packed.begin(), packed.end());
      ASSERT_NE(header, good.end());
      const std::size_t begin = static_cast<std::size_t>(header - good.begin()) + 1;
      for (std::size_t at = 0; at < size; ++at) {
        for (std::uint8_t byte : {std::uint8_t{0xff}, std::uint8_t{0xc3}}) {
          Bytes damaged = good;
          damaged[begin + at] = byte;
          SCOPED_TRACE((*text)[0] + std::to_string(size) + " at " + std::to_string(at));
          GraphDoc receiver = pair.receiver;
          expect_joined_as_by_decode(receiver, damaged);
          EXPECT_EQ(receiver, pair.receiver);
        }
      }
    }
    expect_joined_as_by_decode(pair.receiver, good);
    EXPECT_EQ(pair.receiver, pair.sender);
  }
}

}  // namespace
}  // namespace trellis::crdt
