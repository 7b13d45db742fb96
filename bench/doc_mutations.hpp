#pragma once
// How each workload op maps onto one GraphDoc mutator (one transaction):
//
//   N  add_node({id, type, position: {x, y}, data: {p0..p4}})   p2 as a JSON integer
//   E  add_edge({id, source, target})
//   S  set_node_data_value(id, key, value)
//   P  update_node_fields(id, {position: {x, y}})               x and y in one register
//   D  remove_node(id)
//
// Building the JSON argument is part of the call: it is what an application
// does to use the API, so it lies inside every timed region.

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "workload_ops.hpp"

namespace trellis::bench {

// Applies the op and returns its delta; throws BenchFailure when the document
// refuses it (every op of the workload is valid on the replica it targets).
crdt::GraphDoc apply_to_doc(crdt::GraphDoc& doc, const Op& op);

// The same, appending the delta to `out` encoded as it is shipped
// (crdt::encode_to) instead of returning it. Field writes take the lean
// mutators, as an application that ships every delta would: a parameter
// edit write_node_data_scalar, a move write_node_fields; the bytes are the
// same either way.
void apply_and_encode(crdt::GraphDoc& doc, const Op& op, crdt::Bytes& out);

}  // namespace trellis::bench
