#include "trellis/crdt/graph_view.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

namespace trellis::crdt {

namespace {

Json entity_json(std::string_view id, const EntityState& entity, bool always_data) {
  Json object = Json::object();
  Json data = Json::object();
  object["id"] = std::string(id);
  for (const auto& entry : entity.fields.entries()) {
    if (entry.is_tombstone()) continue;
    if (entry.key.is_data()) {
      data[std::string(entry.key.name)] = entry.reg.value->to_json();
    } else {
      object[std::string(entry.key.name)] = entry.reg.value->to_json();
    }
  }
  if (always_data || !data.empty()) object["data"] = std::move(data);
  return object;
}

// The text of a string field, a view into the entity; nullopt when the field
// is absent or not a string.
std::optional<std::string_view> string_field(const EntityState& entity, const char* name) {
  const FieldValue* value = entity.fields.get(FieldKey::top(name));
  if (value && value->is_string()) return value->string();
  return std::nullopt;
}

bool edge_shown(const GraphDoc& doc, const EntityState& edge) {
  if (!edge.present()) return false;
  const std::optional<std::string_view> source = string_field(edge, "source");
  const std::optional<std::string_view> target = string_field(edge, "target");
  return source && target && doc.has_node(*source) && doc.has_node(*target);
}

}  // namespace

Json nodes_view(const GraphDoc& doc) {
  std::vector<const std::pair<const std::string, EntityState>*> present;
  present.reserve(doc.nodes().size());
  for (const auto& entry : doc.nodes()) {
    if (entry.second.present()) present.push_back(&entry);
  }
  std::sort(present.begin(), present.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });

  // Id order, except that a present parent is placed before its children.
  // Iterative (a parent chain can be as long as the graph): walk up from a
  // node through parents not yet placed, then place that chain top-down.
  // `state` guards against parentId cycles: 1 = on the current chain,
  // 2 = placed.
  using Entry = std::pair<const std::string, EntityState>;
  std::unordered_map<std::string_view, int> state;
  state.reserve(present.size());
  Json out = Json::array();
  std::vector<const Entry*> chain;
  for (const Entry* start : present) {
    chain.clear();
    const Entry* node = start;
    while (node && state[node->first] == 0) {
      state[node->first] = 1;
      chain.push_back(node);
      const std::optional<std::string_view> parent = string_field(node->second, "parentId");
      node = nullptr;
      if (parent) {
        auto it = doc.nodes().find(*parent);
        if (it != doc.nodes().end() && it->second.present()) node = &*it;
      }
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      state[(*it)->first] = 2;
      out.push_back(entity_json((*it)->first, (*it)->second, true));
    }
  }
  return out;
}

Json edges_view(const GraphDoc& doc) {
  std::vector<const std::pair<const std::string, EntityState>*> shown;
  for (const auto& entry : doc.edges()) {
    if (edge_shown(doc, entry.second)) shown.push_back(&entry);
  }
  std::sort(shown.begin(), shown.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  Json out = Json::array();
  for (const auto* edge : shown)
    out.push_back(entity_json(edge->first, edge->second, false));
  return out;
}

Json graph_view(const GraphDoc& doc) {
  return Json{{"nodes", nodes_view(doc)}, {"edges", edges_view(doc)}};
}

Json node_view(const GraphDoc& doc, std::string_view id) {
  const EntityState* node = doc.find(EntityKind::node, id);
  if (!node || !node->present()) return nullptr;
  return entity_json(id, *node, true);
}

Json edge_view(const GraphDoc& doc, std::string_view id) {
  const EntityState* edge = doc.find(EntityKind::edge, id);
  if (!edge || !edge_shown(doc, *edge)) return nullptr;
  return entity_json(id, *edge, false);
}

}  // namespace trellis::crdt
