#pragma once
// FieldWriteDelta: the delta of one transaction that writes or removes fields
// of one present node or edge and changes nothing else (a parameter edit, a
// move, a patch). It is the lean form of the GraphDoc delta the same mutation
// returns, and a valid state of its own, meaning exactly GraphDoc(delta):
//
//   context  {stamp.dot()}, the transaction's one dot
//   entity   `id` of `kind`, with no dots (it does not add the entity) and
//            each field a last-writer-wins register stamped `stamp`
//
// or, when `fields` is empty, the empty state (a mutation that changed
// nothing took no dot). GraphDoc::join(delta), encode_to(delta, out) and
// GraphDoc(delta) agree with the GraphDoc form state for state and byte for
// byte, so a receiver cannot tell which form was shipped.
//
// Why it exists: the GraphDoc form of a one-field delta builds hash maps, a
// causal context and their indexes, then frees them; on the local-edit path
// that costs several times the edit itself (docs/performance.md,
// crdt-peers). This form is a stamp, an id and the written values.

#include <optional>
#include <string>
#include <vector>

#include "trellis/crdt/entity_kind.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

struct FieldWriteDelta {
  struct Field {
    FieldKey key;
    std::optional<Json> value;  // nullopt: the field was removed (a tombstone)

    friend bool operator==(const Field&, const Field&) = default;
  };

  EntityKind kind = EntityKind::node;
  std::string id;
  Stamp stamp;
  // Sorted by key, each key once (the mutators that build a delta ensure it;
  // the canonical encoding relies on it).
  std::vector<Field> fields;

  bool empty() const { return fields.empty(); }
  friend bool operator==(const FieldWriteDelta&, const FieldWriteDelta&) = default;
};

}  // namespace trellis::crdt
