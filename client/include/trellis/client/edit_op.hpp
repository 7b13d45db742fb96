#pragma once
// EditOp: one line of `trellis edit`'s input, a JSON object naming one
// GraphDoc mutator (docs/client.md lists them):
//
//   {"op":"add_node","node":{"id":"n1","type":"box","position":{"x":0,"y":0}}}
//   {"op":"update_node","id":"n1","fields":{"position":{"x":5,"y":0}}}
//   {"op":"set_data","id":"n1","data":{"width":2}}
//   {"op":"remove_node","id":"n1"}
//   {"op":"add_edge","edge":{"id":"e1","source":"n1","target":"n2"}}
//   {"op":"update_edge","id":"e1","fields":{"label":"x"}}
//   {"op":"remove_edge","id":"e1"}
//
// Parsing checks the line's shape (known op, required members with their
// types, no unknown member); the mutator checks the rest (ids present,
// field limits). Either way a bad line is an Error and changes nothing.

#include <string>
#include <string_view>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::client {

struct EditOp {
  enum class Kind {
    add_node,
    update_node,
    set_data,
    remove_node,
    add_edge,
    update_edge,
    remove_edge
  };

  Kind kind = Kind::add_node;
  std::string id;    // the node or edge it names (update, set_data, remove)
  crdt::Json value;  // the object to add, the fields to write, or the data keys

  friend bool operator==(const EditOp&, const EditOp&) = default;
};

std::string_view to_string(EditOp::Kind kind);

crdt::Result<EditOp> parse_edit_op(std::string_view line);

// Runs the op's mutator on `doc`: its delta, or its error (doc unchanged).
crdt::Result<crdt::GraphDoc> apply_edit_op(crdt::GraphDoc& doc, const EditOp& op);

}  // namespace trellis::client
