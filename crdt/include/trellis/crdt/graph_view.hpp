#pragma once
// The materialized view of a GraphDoc: what a React Flow canvas renders.
//
// nodes  array of {id, <top-level fields>, data: {...}} for every present
//        node, ordered by id (bytewise), except that a node whose `parentId`
//        names a present node comes after that parent (React Flow needs
//        parents first). `data` is always an object.
// edges  array of {id, source, target, <other fields>[, data]} for every
//        present edge whose `source` and `target` are strings naming present
//        nodes, ordered by id. An edge with a missing endpoint is not shown:
//        no view ever holds a dangling edge.
//
// Equal states give equal views.

#include <string_view>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt {

Json nodes_view(const GraphDoc& doc);
Json edges_view(const GraphDoc& doc);
// {"nodes": nodes_view(doc), "edges": edges_view(doc)}
Json graph_view(const GraphDoc& doc);
// One present node as the view shows it, or null when it is not present.
Json node_view(const GraphDoc& doc, std::string_view id);
// One edge as the view shows it, or null when it is not shown.
Json edge_view(const GraphDoc& doc, std::string_view id);

}  // namespace trellis::crdt
