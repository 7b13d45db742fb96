#include "reference_model.hpp"

#include <stdexcept>

namespace trellis::bench {
namespace {

CanonicalNode& existing_node(CanonicalGraph& graph, const std::string& id) {
  auto it = graph.nodes.find(id);
  if (it == graph.nodes.end()) throw std::logic_error("reference model: no node " + id);
  return it->second;
}

struct ReferenceApplier {
  CanonicalGraph& graph;

  void operator()(const AddNode& op) const {
    CanonicalNode node{op.node->type, op.node->x, op.node->y, {}};
    for (std::size_t key = 0; key < kParamCount; ++key) {
      node.data.emplace(std::string(kParamKeys[key]), op.node->params[key]);
    }
    graph.nodes.insert_or_assign(op.id, std::move(node));
  }
  void operator()(const AddEdge& op) const {
    graph.edges.insert_or_assign(op.id, CanonicalEdge{op.source, op.target});
  }
  void operator()(const SetParam& op) const {
    existing_node(graph, op.id).data.insert_or_assign(std::string(kParamKeys[op.key]), op.value);
  }
  void operator()(const SetPosition& op) const {
    CanonicalNode& node = existing_node(graph, op.id);
    node.x = op.x;
    node.y = op.y;
  }
  void operator()(const DeleteNode& op) const { graph.nodes.erase(op.id); }
};

}  // namespace

void apply_to_reference(CanonicalGraph& graph, const Op& op) {
  std::visit(ReferenceApplier{graph}, op);
}

void apply_to_reference(CanonicalGraph& graph, const OpStream& ops) {
  for (const Op& op : ops)
    apply_to_reference(graph, op);
}

}  // namespace trellis::bench
