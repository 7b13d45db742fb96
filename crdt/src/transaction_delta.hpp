#pragma once
// A transaction-form delta (docs/encoding.md, format 2) decoded into flat,
// reusable buffers instead of a GraphDoc: the receive hot path joins it
// straight into a replica (join_encoded). It is a delta source for
// GraphDoc::join_from (graph_join.hpp), with the same meaning as the GraphDoc
// that decode() builds from the same bytes.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/dot_set.hpp"
#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/stamp.hpp"

namespace trellis::crdt {

struct TransactionEntity {
  EntityKind kind = EntityKind::node;
  std::string id;
  bool added = false;
  std::vector<std::pair<FieldKey, std::optional<Json>>> fields;  // sorted by key
};

struct TransactionDelta {
  Stamp stamp;
  CausalContext seen;  // the transaction's dot and the dots it removed
  DotSet own_dot;      // {stamp.dot()}: the dots of an entity this transaction adds
  std::vector<TransactionEntity> entities;
  std::size_t entity_count = 0;  // entities[0, entity_count) are in use

  // Delta-source interface (graph_join.hpp).
  const CausalContext& context() const { return seen; }
  bool mentions(EntityKind kind, const std::string& id) const {
    for (std::size_t i = 0; i < entity_count; ++i) {
      if (entities[i].kind == kind && entities[i].id == id) return true;
    }
    return false;
  }
  template <class F>
  void for_each_entity(EntityKind kind, F&& f) {
    static const DotSet no_dots;
    for (std::size_t i = 0; i < entity_count; ++i) {
      TransactionEntity& entity = entities[i];
      if (entity.kind != kind) continue;
      auto merge = [&](FieldMap& fields) {
        for (auto& [key, value] : entity.fields) {
          fields.merge(std::move(key), {std::move(value), stamp});
        }
        return entity.fields.empty() ? std::uint64_t{0} : stamp.counter;
      };
      f(entity.id, entity.added ? own_dot : no_dots, merge);
    }
  }
};

}  // namespace trellis::crdt
