#pragma once
// A client's change event turned into field-level CRDT transactions on the
// server's GraphDoc. The seed stored whole objects (last write wins per
// node); here only what the sender changed is written, each top-level field
// and each `data` key on its own, so concurrent edits of different fields or
// parameters of one node all survive.
//
//   node_change add      add_node; if the node is present already, an update
//   node_change update   the fields the sender changed (see below); a node the
//                        server never knew is added (as the seed did); a node
//                        that was removed stays removed (remove wins over a
//                        concurrent update, as in the CRDT)
//   node_change delete   remove_node (with the edges the server sees attached)
//   node_data_update     set_node_data with the keys whose value differs; an
//                        unknown node is an error, a removed one is ignored
//   edge_change ...      likewise; an add whose endpoint is absent is ignored
//
// What "the sender changed" means for a whole object `m`: a field is written
// when its value differs from the server's and from its value in every state
// the sender may have held before the change (SenderBases, from its
// ClientShadow). A value the sender may simply not have refreshed yet (an
// event in flight) is stale, not an edit. A field or data key missing from
// `m` is removed only when every possible prior state had it: the sender
// deleted it. A key the sender may never have seen (another user just added
// it) is kept. Without bases, `m` is compared with the server's state alone
// and absent keys are never removals.
//
// Each transaction is one Mutation, so that a host can run each through
// WorkspaceReplica::edit (one dot per delta). A change maps to at most two
// (writes, then removals).

#include <string>
#include <vector>

#include "trellis/adapters/event_mapping.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::adapters {

struct Mutation {
  enum class Op : std::uint8_t {
    add_node,
    update_node_fields,
    set_node_data,
    remove_node_fields,
    remove_node,
    add_edge,
    update_edge_fields,
    remove_edge_fields,
    remove_edge,
  };
  Op op = Op::add_node;
  std::string id;
  Json value;                          // the object, patch or data of the op
  std::vector<crdt::FieldKey> fields;  // remove_*_fields
};

crdt::Result<crdt::GraphDoc> apply_mutation(crdt::GraphDoc& doc, const Mutation& mutation);

// The states of the entity the sender may have held just before its change:
// `objects` lists the present ones among those known; `known` is false when
// none is known; `partial` when some possible state is unknown (then a
// missing field is never a removal).
struct SenderBases {
  bool known = false;
  std::vector<Json> objects;
  bool partial = false;
};

// The transactions a change event maps to against `doc` (none when nothing
// changes). Only change events (node_change, edge_change, node_data_update).
crdt::Result<std::vector<Mutation>, EventError> plan_change(const crdt::GraphDoc& doc,
                                                            const ClientEvent& change,
                                                            const SenderBases& bases = {});

// plan_change and every mutation applied to `doc`: the joined delta (empty
// when nothing changed). On an error nothing has changed.
crdt::Result<crdt::GraphDoc, EventError> apply_client_change(crdt::GraphDoc& doc,
                                                             const ClientEvent& change,
                                                             const SenderBases& bases = {});

// The nodes and edges whose view may differ after a delta: what it writes or
// removes, and the edges attached to nodes whose presence it changes (an
// edge shows only while both its endpoints are present).
struct Touched {
  std::vector<std::string> nodes;
  std::vector<std::string> edges;
  void add(crdt::EntityKind kind, std::string id);
};

// For a delta about to be joined into `doc_before` (a native client's, a
// replica's). Cost: the delta, plus one pass over the document when the
// delta removes something or adds a node.
Touched touched_by(const crdt::GraphDoc& doc_before, const crdt::GraphDoc& delta);

// The present edges of `doc` (shown or hidden) whose source or target is
// `node_id`. One pass over the edges.
std::vector<std::string> attached_edges(const crdt::GraphDoc& doc, std::string_view node_id);

// A present entity of `doc` as an object {id, fields..., data} whether the
// view shows it or not (a hidden edge); null when absent.
Json present_object(const crdt::GraphDoc& doc, crdt::EntityKind kind, std::string_view id);

}  // namespace trellis::adapters
