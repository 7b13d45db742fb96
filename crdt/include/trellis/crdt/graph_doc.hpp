#pragma once
// GraphDoc: the collaborative node graph of a React Flow canvas as one
// delta-state CRDT.
//
//   node presence  add-wins OR-set of node ids (dots; see dot_set.hpp)
//   node fields    per node, a FieldMap (FieldKey -> FieldValue, LWW per
//                  key; entity_map.hpp): every top-level field
//                  (`type`, `position` as one atomic {x, y} value, `width`,
//                  `height`, `parentId`, anything else) and each key of `data`
//                  separately
//   edge presence  add-wins OR-set of edge ids
//   edge fields    per edge, a FieldMap (`source`, `target`,
//                  `sourceHandle`, `targetHandle`, `type`, each `data` key, ...)
//   context        one CausalContext for the whole document: the dot of every
//                  transaction this state has seen
//
// Every mutator is one transaction: it takes one Dot and one Stamp, applies
// itself to this replica, and returns its delta, a GraphDoc holding just what
// it changed. The field writes also come in a lean form (write_node_fields,
// write_node_data_value) that returns the same delta as a FieldWriteDelta,
// for callers that encode every delta as it is made, and a parameter edit
// can write its delta's bytes without any delta value at all
// (write_node_data_scalar, graph_codec.hpp). Shipping and joining deltas in any order, any
// number of times, gives the same state as joining full states: join is idempotent, commutative and
// associative. Semantics of every pair of concurrent operations: docs/crdt.md.
//
// A GraphDoc constructed with a ReplicaId can originate mutations; a default
// constructed one (replica 0) is a delta or a received state and can only be
// joined, viewed and encoded. Equality compares CRDT state only, never the
// replica id or its clock.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/dot_set.hpp"
#include "trellis/crdt/entity_kind.hpp"
#include "trellis/crdt/entity_map.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/field_scalar.hpp"
#include "trellis/crdt/field_write_delta.hpp"
#include "trellis/crdt/flat_multimap.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/lamport_clock.hpp"
#include "trellis/crdt/lww_map.hpp"
#include "trellis/crdt/replica_id.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

struct FieldWriteMessage;  // crdt/src/field_write_message.hpp

class GraphDoc {
 public:
  // One field write of a mutator, before it has a stamp.
  struct FieldWrite {
    FieldKey key;
    const Json* value;
  };

  GraphDoc() = default;
  explicit GraphDoc(ReplicaId self) : clock_(self) {}
  // The state a FieldWriteDelta means (field_write_delta.hpp): the GraphDoc
  // delta of the same transaction. Replica 0, as every delta.
  explicit GraphDoc(FieldWriteDelta delta);

  GraphDoc(const GraphDoc& other);
  GraphDoc& operator=(const GraphDoc& other);
  GraphDoc(GraphDoc&&) noexcept = default;
  GraphDoc& operator=(GraphDoc&&) noexcept = default;

  ReplicaId replica() const { return clock_.replica(); }
  const LamportClock& clock() const { return clock_; }
  const CausalContext& context() const { return context_; }
  const EntityMap& nodes() const { return nodes_; }
  const EntityMap& edges() const { return edges_; }
  const EntityMap& entities(EntityKind kind) const {
    return kind == EntityKind::node ? nodes_ : edges_;
  }
  bool has_node(std::string_view id) const;
  bool has_edge(std::string_view id) const;
  // The entity, present or not; nullptr when this state knows nothing of it.
  const EntityState* find(EntityKind kind, std::string_view id) const;
  // True when the state holds nothing at all (no entity, empty context).
  bool empty() const { return nodes_.empty() && edges_.empty() && context_.empty(); }

  // --- Mutators. Each applies one transaction here and returns its delta, or
  // an Error (invalid_argument, not_found, already_exists, limit_exceeded)
  // and changes nothing. A mutation that would change nothing (an empty
  // patch) returns an empty delta and takes no dot.

  // Adds a node given as a React Flow object: a string `id`, any other
  // top-level fields, and an optional `data` object whose keys become
  // separate fields. A node id that was removed may be added again: fields
  // of the old node that the new object does not carry are removed, so a
  // re-added node is exactly the object given.
  Result<GraphDoc> add_node(const Json& node);
  // Writes the given top-level fields of a present node; a `data` member is
  // taken key by key (keys not mentioned are left alone). `id` may be given
  // only with the node's own id.
  Result<GraphDoc> update_node_fields(std::string_view id, const Json& patch);
  // Writes the given keys of a present node's `data` (an object).
  Result<GraphDoc> set_node_data(std::string_view id, const Json& data);
  // Writes one key of a present node's `data` (a parameter edit).
  Result<GraphDoc> set_node_data_value(std::string_view id, std::string_view key,
                                       const Json& value);
  // Removes fields of a present node (stamped tombstones).
  Result<GraphDoc> remove_node_fields(std::string_view id, const std::vector<FieldKey>& keys);
  // Removes a present node and the edges this replica sees attached to it.
  Result<GraphDoc> remove_node(std::string_view id);
  // Adds an edge given as a React Flow object with string `id`, `source` and
  // `target` naming present nodes, and any other fields.
  Result<GraphDoc> add_edge(const Json& edge);
  Result<GraphDoc> update_edge_fields(std::string_view id, const Json& patch);
  Result<GraphDoc> remove_edge_fields(std::string_view id, const std::vector<FieldKey>& keys);
  Result<GraphDoc> remove_edge(std::string_view id);

  // The lean forms of update_node_fields and set_node_data_value: the same
  // transaction, the same checks and errors, and the delta as a
  // FieldWriteDelta (GraphDoc(delta) is what the GraphDoc form returns).
  // write_node_data_value takes the value by value so that a caller can move
  // it into the delta.
  Result<FieldWriteDelta> write_node_fields(std::string_view id, const Json& patch);
  Result<FieldWriteDelta> write_node_data_value(std::string_view id, std::string_view key,
                                                Json value);
  // The same transaction, its delta written into `delta`, whose buffers are
  // reused: a caller that encodes each delta as it is made keeps one and
  // allocates nothing per edit for it. On an error `delta` is left empty.
  std::optional<Error> write_node_data_value(std::string_view id, std::string_view key, Json value,
                                             FieldWriteDelta& delta);

  // Joins a delta or a full state into this one.
  void join(const GraphDoc& other);
  // The same, taking field values from `other` instead of copying them.
  void join(GraphDoc&& other);
  // The same as join(GraphDoc(delta)), without building it.
  void join(const FieldWriteDelta& delta);

  // What a replica lacks that has joined the deltas of exactly the events in
  // `known`: joining the result into that replica gives the same state as
  // joining this whole state. It carries every field written by an event
  // outside `known`, and the ids and dots of every present entity (the
  // receiver must not mistake an entity it already has for a removed one),
  // with this state's full context. It is the anti-entropy fallback when no
  // log of recent deltas covers the gap (docs/protocol.md).
  //
  // `known` must list events received in full, which a replica's causal
  // context may overstate: a removal's delta carries the dots it removed
  // without their fields. A context is exact for a state built only by its
  // own mutators and by joins of full states; sync tracks the exact set
  // separately (ClientSession::received).
  GraphDoc delta_since(const CausalContext& known) const;

  // Builds a state from decoded parts, checking the invariants a replica
  // relies on: every dot and every stamp's dot lies in the context, no
  // entity is empty, ids and fields are within limits. The result has
  // replica 0 (see above).
  static Result<GraphDoc> from_parts(CausalContext context, EntityMap nodes, EntityMap edges);

  // graph_codec.hpp: joins encoded bytes without building the delta first.
  friend std::optional<Error> join_encoded(GraphDoc& doc, std::span<const std::uint8_t> bytes);
  // graph_codec.hpp: set_node_data_value of a scalar, its delta written
  // straight as bytes.
  friend std::optional<Error> write_node_data_scalar(GraphDoc& doc, std::string_view id,
                                                     std::string_view key, const FieldScalar& value,
                                                     std::vector<std::uint8_t>& out);

  friend bool operator==(const GraphDoc& a, const GraphDoc& b) {
    return a.context_ == b.context_ && a.nodes_ == b.nodes_ && a.edges_ == b.edges_;
  }

 private:
  // Which entity a dot supports: its kind and its id (the key in nodes_ or
  // edges_). The kind rides in the low bit of the id's address, which a
  // std::string's alignment keeps free, so that a dot_owners_ slot is 24
  // bytes. DotOwner{} (no id) marks a free slot.
  class DotOwner {
   public:
    DotOwner() = default;
    DotOwner(EntityKind kind, const std::string* id)
        : bits_(reinterpret_cast<std::uintptr_t>(id) | (kind == EntityKind::edge ? 1u : 0u)) {}
    EntityKind kind() const { return (bits_ & 1u) != 0 ? EntityKind::edge : EntityKind::node; }
    const std::string* id() const {
      return reinterpret_cast<const std::string*>(bits_ & ~std::uintptr_t{1});
    }
    friend bool operator==(DotOwner, DotOwner) = default;

   private:
    static_assert(alignof(std::string) >= 2);
    std::uintptr_t bits_ = 0;
  };
  // EntityMap::hash_of of a node id is the endpoint index's key, spread already.
  struct HashedAlready {
    std::size_t operator()(std::uint32_t hash) const { return hash; }
  };

  EntityMap& entities_mut(EntityKind kind) { return kind == EntityKind::node ? nodes_ : edges_; }
  Result<GraphDoc> add_entity(EntityKind kind, const Json& object);
  // The field writes of a JSON patch (or, `data_only`, of a data object).
  Result<FieldWriteDelta> write_patch(EntityKind kind, std::string_view id, const Json& patch,
                                      bool data_only);
  // Where a field write goes: the present entity and the transaction's dot.
  struct FieldWriteTarget {
    Dot dot;
    EntityMap::iterator entity;
  };
  // The target of a write of fields of `id`, or the refusals every field
  // write makes first, in this order: no dot left to stamp, no such entity
  // present. `id_hash` is EntityMap::hash_of(id). Inlined into both writes,
  // the first step of every local edit (a call cost 35 instructions per
  // W2 edit); defined in graph_doc.cpp, the one file that calls it.
  [[gnu::always_inline]] inline Result<FieldWriteTarget> field_write_target(EntityKind kind,
                                                                            std::string_view id,
                                                                            std::uint32_t id_hash);
  // The one implementation of every field write: the writes are
  // delta.fields, in any order, each key once; it fills in the rest of
  // `delta` (or, on an error, empties it).
  // `id_hash` is EntityMap::hash_of(id).
  std::optional<Error> write_fields(EntityKind kind, std::string_view id, std::uint32_t id_hash,
                                    FieldWriteDelta& delta);
  // The transaction of write_node_data_scalar: the checks and the write of
  // set_node_data_value, and the stamp it took (its delta is that stamp's
  // write of `value` to data key `key` of node `id`). On an error nothing
  // changed.
  std::optional<Error> write_data_scalar(std::string_view id, std::string_view key,
                                         const FieldScalar& value, Stamp& stamp);
  Result<GraphDoc> remove_fields(EntityKind kind, std::string_view id,
                                 const std::vector<FieldKey>& keys);
  Result<GraphDoc> remove_entity(EntityKind kind, std::string_view id);
  // The dot of this replica's next transaction, or why it cannot stamp one.
  Result<Dot> next_transaction_dot() const;
  std::optional<Error> check_can_stamp() const;
  Stamp begin_transaction(GraphDoc& delta);
  // The join algorithm, over a GraphDoc or a wire transaction (graph_join.hpp).
  template <class Source>
  void join_from(Source&& other);
  // join_encoded's path for a received write of one node's fields: the
  // same result as join_from, or false, changing nothing, when the message
  // needs the general join (the node is unknown here, or the transaction
  // was seen already).
  bool join_field_write(FieldWriteMessage& message);
  // join(GraphDoc&&) into a state that holds nothing.
  void adopt(GraphDoc&& other);
  void set_dots(EntityKind kind, EntityMap::iterator entity, DotSet dots);
  void rebuild_indexes();
  // Keeps edges_by_endpoint_ in step with an edge's source and target.
  // `edge_id` is the edge's key in edges_: the index holds its address.
  void reindex_edge(const std::string& edge_id, const std::array<std::string, 2>& before,
                    const std::array<std::string, 2>& after);

  LamportClock clock_;
  CausalContext context_;
  EntityMap nodes_;
  EntityMap edges_;
  // Which entity each live dot supports, so that joining a delta that
  // removes dots costs O(dots in the delta's context), not O(entities).
  // A multimap only because forged input could claim one dot for two
  // entities; join must stay a pure function of the states even then.
  FlatMultimap<Dot, DotOwner> dot_owners_;
  // Hash of a node id (EntityMap::hash_of) -> the ids of the edges whose
  // source or target has that hash, each edge at most once per hash, so that
  // removing a node finds its edges without scanning every edge. A hash, not
  // the node id, to keep an entry at 16 bytes: two ids that share a hash only
  // make remove_entity look at an edge it then finds is not attached. The
  // edge ids are edges_' own keys, as in dot_owners_: an edge with an
  // endpoint has a field and so is never erased (only empty entities are),
  // and an entity stays where it was allocated.
  FlatMultimap<std::uint32_t, const std::string*, HashedAlready> edges_by_endpoint_;
};

}  // namespace trellis::crdt
