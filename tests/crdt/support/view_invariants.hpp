#pragma once
// What every view of every state must satisfy (graph_view.hpp), checked
// against the state it was computed from:
//
//   - the nodes are exactly the present nodes, each once, with an object `data`;
//   - a node whose parent is present comes after it (when the parentId chain
//     has no cycle), and without parents the order is by id;
//   - no dangling edge: every edge's source and target are ids of nodes in
//     the nodes view;
//   - the edges are exactly the present edges whose source and target fields
//     name present nodes, each once, ordered by id;
//   - node_view / edge_view agree with the arrays, graph_view with both.
//
// Returns a description of the first violation, or nothing.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt::testkit {

inline std::optional<std::string> find_view_violation(const GraphDoc& doc) {
  const Json nodes = nodes_view(doc);
  const Json edges = edges_view(doc);
  if (!nodes.is_array() || !edges.is_array()) return "a view is not an array";

  std::map<std::string, std::size_t> node_index;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Json& node = nodes[i];
    if (!node.is_object() || !node.contains("id") || !node["id"].is_string()) {
      return "node view entry " + std::to_string(i) + " has no string id";
    }
    const std::string id = node["id"];
    if (!node.contains("data") || !node["data"].is_object()) {
      return "node " + id + " has no object 'data'";
    }
    if (!node_index.emplace(id, i).second) return "node " + id + " is shown twice";
    if (!doc.has_node(id)) return "node " + id + " is shown but not present";
    if (node_view(doc, id) != node) return "node_view(" + id + ") differs from nodes_view";
  }
  for (const auto& [id, entity] : doc.nodes()) {
    if (entity.present() && !node_index.count(id)) return "present node " + id + " is not shown";
    if (!entity.present() && !node_view(doc, id).is_null()) {
      return "node_view(" + id + ") is not null for an absent node";
    }
  }

  bool any_parent = false;
  for (const auto& [id, index] : node_index) {
    const Json parent_field = nodes[index].value("parentId", Json());
    if (!parent_field.is_string()) continue;
    const std::string parent = parent_field.get<std::string>();
    if (!node_index.count(parent)) continue;
    any_parent = true;
    // Follow the chain; only an acyclic chain has a required order.
    std::set<std::string> chain{id};
    std::string at = parent;
    bool cycle = false;
    while (node_index.count(at)) {
      if (!chain.insert(at).second) {
        cycle = true;
        break;
      }
      const Json next = nodes[node_index[at]].value("parentId", Json());
      if (!next.is_string()) break;
      at = next.get<std::string>();
    }
    if (!cycle && node_index[parent] > index) {
      return "node " + id + " comes before its parent " + parent;
    }
  }
  if (!any_parent) {
    for (std::size_t i = 1; i < nodes.size(); ++i) {
      if (!(nodes[i - 1]["id"].get<std::string>() < nodes[i]["id"].get<std::string>())) {
        return "nodes are not ordered by id";
      }
    }
  }

  std::set<std::string> edge_ids;
  std::string previous;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const Json& edge = edges[i];
    if (!edge.is_object() || !edge.contains("id") || !edge["id"].is_string()) {
      return "edge view entry " + std::to_string(i) + " has no string id";
    }
    const std::string id = edge["id"];
    for (const char* role : {"source", "target"}) {
      if (!edge.contains(role) || !edge[role].is_string()) {
        return "edge " + id + " has no string " + role;
      }
      if (!node_index.count(edge[role].get<std::string>())) {
        return "dangling edge " + id + ": its " + role + " " + edge[role].get<std::string>() +
               " is not in the nodes view";
      }
    }
    if (i > 0 && !(previous < id)) return "edges are not ordered by id (or repeat)";
    previous = id;
    edge_ids.insert(id);
    if (edge_view(doc, id) != edge) return "edge_view(" + id + ") differs from edges_view";
  }
  for (const auto& [id, entity] : doc.edges()) {
    // `fields` by name: clang before 16 cannot capture a structured binding.
    auto names_present_node = [&doc, &fields = entity.fields](const char* role) {
      const crdt::FieldValue* end = fields.get(FieldKey::top(role));
      return end && end->is_string() && doc.has_node(end->string());
    };
    const bool should_show =
        entity.present() && names_present_node("source") && names_present_node("target");
    if (should_show != (edge_ids.count(id) != 0)) {
      return "edge " + id +
             (should_show ? " should be shown but is not" : " is shown but should not be");
    }
    if (!should_show && !edge_view(doc, id).is_null()) {
      return "edge_view(" + id + ") is not null for an edge that is not shown";
    }
  }

  if (graph_view(doc) != Json{{"nodes", nodes}, {"edges", edges}}) {
    return "graph_view differs from {nodes_view, edges_view}";
  }
  return std::nullopt;
}

}  // namespace trellis::crdt::testkit
