#pragma once
// The one join algorithm of GraphDoc, written against a "delta source" so
// that a full GraphDoc and a transaction decoded in place from the wire
// (transaction_delta.hpp) are joined by the same code. A source provides:
//
//   const CausalContext& context() const;
//   bool mentions(EntityKind, const std::string& id) const;
//   template <class F> void for_each_entity(EntityKind, F&& f);
//       f(const std::string& id, const DotSet& dots, merge) where
//       merge(FieldMap&) joins the entity's fields into the
//       map and returns the highest stamp counter among them.

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "trellis/crdt/graph_doc.hpp"

namespace trellis::crdt {

std::array<std::string, 2> edge_endpoints(const EntityState& edge);

template <class Source>
void GraphDoc::join_from(Source&& other) {
  const CausalContext& their_context = other.context();

  // 1. Dots this state holds for entities `other` does not mention, and that
  //    `other` has seen: `other` removed them. Found through the dot index
  //    when other's context is small (a delta), by a scan otherwise.
  struct Removal {
    EntityKind kind;
    std::string id;
    Dot dot;
  };
  std::vector<Removal> removals;
  auto consider = [&](Dot dot, DotOwner owner) {
    if (!other.mentions(owner.kind(), *owner.id())) {
      removals.push_back(Removal{owner.kind(), *owner.id(), dot});
    }
  };
  if (their_context.dot_count() <= dot_owners_.size()) {
    their_context.for_each_dot([&](Dot dot) {
      // A dot this state has never seen supports nothing here: most dots of
      // a delta are its own new transaction, so this skips the index.
      if (!context_.contains(dot)) return;
      dot_owners_.for_each_equal(dot, [&](DotOwner owner) { consider(dot, owner); });
    });
  } else {
    dot_owners_.for_each([&](Dot dot, DotOwner owner) {
      if (their_context.contains(dot)) consider(dot, owner);
    });
  }
  for (const auto& removal : removals) {
    EntityMap& map = entities_mut(removal.kind);
    auto it = map.find(removal.id);
    if (it == map.end()) continue;
    DotSet kept = it->second.dots;
    kept.erase(std::remove(kept.begin(), kept.end(), removal.dot), kept.end());
    set_dots(removal.kind, it, std::move(kept));
    if (it->second.empty()) map.erase(it);
  }

  // 2. Entities `other` mentions: the dot-kernel join of their dots and the
  //    last-writer-wins join of their fields.
  std::uint64_t highest_counter = 0;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    EntityMap& mine = entities_mut(kind);
    other.for_each_entity(kind, [&](const std::string& id, const DotSet& dots, auto&& merge) {
      auto it = mine.find(id);
      if (it == mine.end()) it = mine.emplace(id, EntityState{}).first;
      // Most deltas only write fields: when they bring no dots and remove
      // none of ours, the presence is untouched and costs nothing.
      const DotSet& ours = it->second.dots;
      const bool unchanged = dots.empty() && std::none_of(ours.begin(), ours.end(), [&](Dot dot) {
                               return their_context.contains(dot);
                             });
      if (!unchanged) set_dots(kind, it, join_dot_sets(ours, context_, dots, their_context));
      if (kind == EntityKind::edge) {
        const auto before = edge_endpoints(it->second);
        highest_counter = std::max(highest_counter, merge(it->second.fields));
        const auto after = edge_endpoints(it->second);
        if (before != after) reindex_edge(it->first, before, after);
      } else {
        highest_counter = std::max(highest_counter, merge(it->second.fields));
      }
      if (it->second.empty()) mine.erase(it);
    });
  }

  context_.join(their_context);
  clock_.observe(highest_counter);
}

}  // namespace trellis::crdt
