#pragma once
// Hand-built encodings for the decoder's rejection tests: a valid message of
// each form, written slot by slot, so that a test can replace exactly one
// slot with something malformed and leave every other byte valid.
//
//   state form        [1, [1], [[0, 2], []], ["n", [0, 1], [[0, [0], "default"]]], []]
//                     node "n" with dot (1, 1) and type = "default" at counter 1
//   transaction form  [2, 1, 1, 0, ["n", [true, 0, "default"]]]
//                     the same node, added by transaction (1, 1)

#include <functional>
#include <optional>
#include <string>

#include "crdt/support/msgpack_writer.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::crdt::testkit {

using Slot = std::function<void(MsgpackWriter&)>;

struct StateMessage {
  Slot format = [](MsgpackWriter& w) { w.uint(1); };
  Slot replicas = [](MsgpackWriter& w) { w.array(1).uint(1); };
  Slot context = [](MsgpackWriter& w) { w.array(2).array(2).uint(0).uint(2).array(0); };
  Slot nodes = [](MsgpackWriter& w) {
    w.array(3).str("n").array(2).uint(0).uint(1);
    w.array(1).array(3).uint(0).array(1).uint(0).str("default");
  };
  Slot edges = [](MsgpackWriter& w) { w.array(0); };
  // Format 3's string table, after the context; unset: format 1's five
  // elements.
  std::optional<Slot> strings;

  Bytes bytes() const {
    MsgpackWriter w;
    w.array(strings ? 6 : 5);
    format(w);
    replicas(w);
    context(w);
    if (strings) (*strings)(w);
    nodes(w);
    edges(w);
    return w.bytes();
  }
};

// A format-3 state with the given string table whose node "n" (dot (1, 1))
// holds the data field "v" with the given value.
inline Bytes state_v2_with_value(const Slot& strings, const Slot& value) {
  StateMessage message;
  message.format = [](MsgpackWriter& w) { w.uint(3); };
  message.strings = strings;
  message.nodes = [value](MsgpackWriter& w) {
    w.array(3).str("n").array(2).uint(0).uint(1);
    w.array(1).array(3).uint(0).array(1).str("v");
    value(w);
  };
  return message.bytes();
}

// A state whose node "n" (dot (1, 1)) has the given groups.
inline Bytes state_with_groups(const Slot& groups) {
  StateMessage message;
  message.nodes = [groups](MsgpackWriter& w) {
    w.array(3).str("n").array(2).uint(0).uint(1);
    groups(w);
  };
  return message.bytes();
}

// A state whose node "n" holds the data field "v" with the given value.
inline Bytes state_with_value(const Slot& value) {
  return state_with_groups([value](MsgpackWriter& w) {
    w.array(1).array(3).uint(0).array(1).str("v");
    value(w);
  });
}

// A state with one node of the given id (dot (1, 1), no fields).
inline Bytes state_with_node_id(const std::string& id) {
  StateMessage message;
  message.nodes = [id](MsgpackWriter& w) { w.array(3).str(id).array(2).uint(0).uint(1).array(0); };
  return message.bytes();
}

struct TransactionMessage {
  Slot format = [](MsgpackWriter& w) { w.uint(2); };
  Slot replica = [](MsgpackWriter& w) { w.uint(1); };
  Slot seq = [](MsgpackWriter& w) { w.uint(1); };
  Slot counter_offset = [](MsgpackWriter& w) { w.uint(0); };
  std::optional<Slot> nodes = Slot(
      [](MsgpackWriter& w) { w.array(2).str("n").array(3).boolean(true).uint(0).str("default"); });
  std::optional<Slot> edges;
  std::optional<Slot> removed;

  Bytes bytes() const {
    MsgpackWriter w;
    w.array(4 + (nodes ? 1 : 0) + (edges ? 1 : 0) + (removed ? 1 : 0));
    format(w);
    replica(w);
    seq(w);
    counter_offset(w);
    if (nodes) (*nodes)(w);
    if (edges) (*edges)(w);
    if (removed) (*removed)(w);
    return w.bytes();
  }
};

// A transaction adding node "n" with the given body after `true`, e.g.
// [0, "default"] for type = "default".
inline Bytes transaction_with_body(const Slot& body_fields, std::uint32_t field_elements) {
  TransactionMessage message;
  message.nodes = [body_fields, field_elements](MsgpackWriter& w) {
    w.array(2).str("n").array(1 + field_elements).boolean(true);
    body_fields(w);
  };
  return message.bytes();
}

// A transaction adding node "n" with the data field "v" set to the value.
inline Bytes transaction_with_value(const Slot& value) {
  return transaction_with_body(
      [value](MsgpackWriter& w) {
        w.str("v");
        value(w);
      },
      2);
}

inline Bytes transaction_with_node_id(const std::string& id) {
  TransactionMessage message;
  message.nodes = [id](MsgpackWriter& w) {
    w.array(2).str(id).array(3).boolean(true).uint(0).str("t");
  };
  return message.bytes();
}

}  // namespace trellis::crdt::testkit
