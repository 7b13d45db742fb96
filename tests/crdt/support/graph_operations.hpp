#pragma once
// GraphOp: one random mutation of a GraphDoc, drawn from deliberately small
// pools of ids, field names and values, so that generated histories collide:
// replicas add the same node id concurrently, write the same field, remove a
// node another replica is editing, and re-add ids that were removed.
//
// An operation that does not apply where it runs (updating an absent node,
// adding an edge to a missing endpoint) fails with an Error and changes
// nothing; the simulations simply skip it.

#include <rapidcheck.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/json.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::crdt::testkit {

inline constexpr std::array<std::string_view, 4> kNodeIds = {"n0", "n1", "n2", "n3"};
inline constexpr std::array<std::string_view, 3> kEdgeIds = {"e0", "e1", "e2"};
inline constexpr std::array<std::string_view, 3> kDataKeys = {"label", "color", "size"};

enum class GraphOpKind : std::uint8_t {
  add_node,
  update_node_fields,
  set_node_data,
  set_node_data_value,
  remove_node_fields,
  remove_node,
  add_edge,
  update_edge_fields,
  remove_edge_fields,
  remove_edge,
};

inline std::string_view to_string(GraphOpKind kind) {
  switch (kind) {
    case GraphOpKind::add_node:
      return "add_node";
    case GraphOpKind::update_node_fields:
      return "update_node_fields";
    case GraphOpKind::set_node_data:
      return "set_node_data";
    case GraphOpKind::set_node_data_value:
      return "set_node_data_value";
    case GraphOpKind::remove_node_fields:
      return "remove_node_fields";
    case GraphOpKind::remove_node:
      return "remove_node";
    case GraphOpKind::add_edge:
      return "add_edge";
    case GraphOpKind::update_edge_fields:
      return "update_edge_fields";
    case GraphOpKind::remove_edge_fields:
      return "remove_edge_fields";
    case GraphOpKind::remove_edge:
      return "remove_edge";
  }
  return "?";
}

struct GraphOp {
  GraphOpKind kind = GraphOpKind::add_node;
  std::string id;
  // The node or edge object of an add, the patch of an update, the data
  // object of set_node_data, {key: value} of set_node_data_value; null for
  // the other kinds.
  Json payload;
  // The fields a remove_*_fields removes.
  std::vector<FieldKey> keys;

  EntityKind entity_kind() const {
    switch (kind) {
      case GraphOpKind::add_edge:
      case GraphOpKind::update_edge_fields:
      case GraphOpKind::remove_edge_fields:
      case GraphOpKind::remove_edge:
        return EntityKind::edge;
      default:
        return EntityKind::node;
    }
  }
};

inline std::ostream& operator<<(std::ostream& out, const GraphOp& op) {
  out << to_string(op.kind) << "(" << op.id;
  if (!op.payload.is_null()) out << ", " << op.payload.dump();
  if (!op.keys.empty()) {
    out << ", [";
    for (std::size_t i = 0; i < op.keys.size(); ++i) {
      out << (i ? ", " : "") << (op.keys[i].is_data() ? "data." : "") << op.keys[i].name.view();
    }
    out << "]";
  }
  return out << ")";
}

// RapidCheck prints counterexamples through showValue, found by ADL.
inline void showValue(const GraphOp& op, std::ostream& out) {
  out << op;
}

// Runs `op` on `doc` as a local mutation.
inline Result<GraphDoc> apply(GraphDoc& doc, const GraphOp& op) {
  switch (op.kind) {
    case GraphOpKind::add_node:
      return doc.add_node(op.payload);
    case GraphOpKind::update_node_fields:
      return doc.update_node_fields(op.id, op.payload);
    case GraphOpKind::set_node_data:
      return doc.set_node_data(op.id, op.payload);
    case GraphOpKind::set_node_data_value: {
      const auto member = op.payload.begin();
      return doc.set_node_data_value(op.id, member.key(), member.value());
    }
    case GraphOpKind::remove_node_fields:
      return doc.remove_node_fields(op.id, op.keys);
    case GraphOpKind::remove_node:
      return doc.remove_node(op.id);
    case GraphOpKind::add_edge:
      return doc.add_edge(op.payload);
    case GraphOpKind::update_edge_fields:
      return doc.update_edge_fields(op.id, op.payload);
    case GraphOpKind::remove_edge_fields:
      return doc.remove_edge_fields(op.id, op.keys);
    case GraphOpKind::remove_edge:
      return doc.remove_edge(op.id);
  }
  return make_error(ErrorCode::invalid_argument, "unknown operation");
}

// Retargets a generated operation at the state of the replica that runs it,
// so that most generated operations apply: updates and removals go to a
// present id, adds to an absent one (often an id removed earlier: a re-add),
// edge endpoints (of adds and of patches that move them) to present nodes.
// Which id is taken still follows the generated one (its index in the pool,
// modulo the candidates), so shrinking a history keeps its meaning. Without
// candidates the operation is left as generated and fails.
inline GraphOp retarget(const GraphDoc& doc, GraphOp op) {
  auto slot_of = [](std::string_view id) -> std::size_t {
    return id.empty() ? 0 : static_cast<std::size_t>(id.back() - '0');
  };
  auto ids = [&](EntityKind kind, bool present) {
    std::vector<std::string> out;
    if (kind == EntityKind::node) {
      for (std::string_view id : kNodeIds) {
        if (doc.has_node(id) == present) out.emplace_back(id);
      }
    } else {
      for (std::string_view id : kEdgeIds) {
        if (doc.has_edge(id) == present) out.emplace_back(id);
      }
    }
    return out;
  };
  auto choose = [&](const std::vector<std::string>& candidates, const std::string& generated) {
    return candidates.empty() ? generated : candidates[slot_of(generated) % candidates.size()];
  };
  const EntityKind kind = op.entity_kind();
  const bool is_add = op.kind == GraphOpKind::add_node || op.kind == GraphOpKind::add_edge;
  op.id = choose(ids(kind, !is_add), op.id);
  if (is_add) op.payload["id"] = op.id;
  const bool moves_endpoints =
      op.kind == GraphOpKind::add_edge || op.kind == GraphOpKind::update_edge_fields;
  if (moves_endpoints) {
    const auto present_nodes = ids(EntityKind::node, true);
    for (const char* role : {"source", "target"}) {
      if (op.payload.contains(role)) {
        op.payload[role] = choose(present_nodes, op.payload[role].get<std::string>());
      }
    }
  }
  return op;
}

namespace gen {

inline rc::Gen<std::string> node_id() {
  return rc::gen::map(rc::gen::inRange<std::size_t>(0, kNodeIds.size()),
                      [](std::size_t i) { return std::string(kNodeIds[i]); });
}

inline rc::Gen<std::string> edge_id() {
  return rc::gen::map(rc::gen::inRange<std::size_t>(0, kEdgeIds.size()),
                      [](std::size_t i) { return std::string(kEdgeIds[i]); });
}

// Field values: every JSON kind, small enough that concurrent writes often
// write equal values (which LWW must still order by stamp), floats that take
// each number encoding (decimal extension, float32, float64), integral floats
// included (which must stay floats), and 3.0 beside the integer 3.
inline rc::Gen<Json> field_value() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange(-2, 4), [](int v) { return Json(v); }),
      rc::gen::map(rc::gen::element<std::string>("a", "b", "\xc3\xa9t\xc3\xa9", ""),
                   [](std::string text) { return Json(std::move(text)); }),
      rc::gen::map(rc::gen::arbitrary<bool>(), [](bool v) { return Json(v); }),
      rc::gen::just(Json(nullptr)),
      rc::gen::map(rc::gen::element(120.5, -429.408, 0.1, 1e300, -0.0, 3.0, 1e10, 12345678901.0),
                   [](double v) { return Json(v); }),
      rc::gen::map(rc::gen::inRange(0, 3),
                   [](int v) {
                     return Json::array({v, "x", Json::array({v})});
                   }),
      rc::gen::map(rc::gen::inRange(0, 3), [](int v) {
        return Json{{"k", v}, {"nested", {{"deep", Json::array({true, nullptr})}}}};
      }));
}

inline rc::Gen<Json> position() {
  return rc::gen::apply(
      [](int x, int y) {
        return Json{{"x", x * 10}, {"y", y * 10}};
      },
      rc::gen::inRange(0, 4), rc::gen::inRange(0, 4));
}

// A data object with a non-empty subset of kDataKeys.
inline rc::Gen<Json> data_object() {
  return rc::gen::apply(
      [](unsigned mask, Json a, Json b, Json c) {
        const Json values[] = {a, b, c};
        Json data = Json::object();
        for (std::size_t i = 0; i < kDataKeys.size(); ++i) {
          if (mask & (1u << i)) data[std::string(kDataKeys[i])] = values[i];
        }
        return data;
      },
      rc::gen::inRange(1u, 8u), field_value(), field_value(), field_value());
}

// A React Flow node: id plus a random subset of type, position, width,
// parentId and data. A re-add gives a different subset, which must then be
// exactly what the view shows.
inline rc::Gen<Json> node_object() {
  return rc::gen::apply(
      [](std::string id, unsigned mask, std::string type, Json pos, Json width, std::string parent,
         Json data) {
        Json node{{"id", std::move(id)}};
        if (mask & 1u) node["type"] = type;
        if (mask & 2u) node["position"] = std::move(pos);
        if (mask & 4u) node["width"] = std::move(width);
        if (mask & 8u) node["parentId"] = std::move(parent);
        if (mask & 16u) node["data"] = std::move(data);
        return node;
      },
      node_id(), rc::gen::inRange(0u, 32u), rc::gen::element<std::string>("default", "group"),
      position(), field_value(), node_id(), data_object());
}

// A node patch: any subset (the empty patch included) of the fields above.
inline rc::Gen<Json> node_patch() {
  return rc::gen::apply(
      [](unsigned mask, std::string type, Json pos, Json width, std::string parent, Json data) {
        Json patch = Json::object();
        if (mask & 1u) patch["type"] = type;
        if (mask & 2u) patch["position"] = std::move(pos);
        if (mask & 4u) patch["width"] = std::move(width);
        if (mask & 8u) patch["parentId"] = std::move(parent);
        if (mask & 16u) patch["data"] = std::move(data);
        return patch;
      },
      rc::gen::inRange(0u, 32u), rc::gen::element<std::string>("default", "group"), position(),
      field_value(), node_id(), data_object());
}

inline rc::Gen<Json> edge_object() {
  return rc::gen::apply(
      [](std::string id, std::string source, std::string target, unsigned mask, Json label,
         Json data) {
        Json edge{{"id", std::move(id)}, {"source", std::move(source)}, {"target", target}};
        if (mask & 1u) edge["type"] = "smoothstep";
        if (mask & 2u) edge["label"] = std::move(label);
        if (mask & 4u) edge["data"] = std::move(data);
        return edge;
      },
      edge_id(), node_id(), node_id(), rc::gen::inRange(0u, 8u), field_value(), data_object());
}

// An edge patch may move either endpoint, to a node that may be absent.
inline rc::Gen<Json> edge_patch() {
  return rc::gen::apply(
      [](unsigned mask, Json label, std::string source, std::string target, Json data) {
        Json patch = Json::object();
        if (mask & 1u) patch["label"] = std::move(label);
        if (mask & 2u) patch["source"] = std::move(source);
        if (mask & 4u) patch["target"] = std::move(target);
        if (mask & 8u) patch["data"] = std::move(data);
        return patch;
      },
      rc::gen::inRange(0u, 16u), field_value(), node_id(), node_id(), data_object());
}

inline rc::Gen<std::vector<FieldKey>> field_keys(std::vector<FieldKey> pool) {
  return rc::gen::map(rc::gen::inRange<std::uint32_t>(0, 1u << pool.size()),
                      [pool](std::uint32_t mask) {
                        std::vector<FieldKey> keys;
                        for (std::size_t i = 0; i < pool.size(); ++i) {
                          if (mask & (1u << i)) keys.push_back(pool[i]);
                        }
                        return keys;
                      });
}

inline rc::Gen<std::vector<FieldKey>> node_field_keys() {
  return field_keys({FieldKey::top("type"), FieldKey::top("width"), FieldKey::top("parentId"),
                     FieldKey::data("label"), FieldKey::data("color"), FieldKey::data("size")});
}

inline rc::Gen<std::vector<FieldKey>> edge_field_keys() {
  return field_keys({FieldKey::top("type"), FieldKey::top("label"), FieldKey::data("label"),
                     FieldKey::data("color")});
}

inline GraphOp make_op(GraphOpKind kind, std::string id, Json payload = nullptr,
                       std::vector<FieldKey> keys = {}) {
  return GraphOp{kind, std::move(id), std::move(payload), std::move(keys)};
}

inline rc::Gen<GraphOp> graph_op() {
  using K = GraphOpKind;
  auto with_payload = [](K kind, rc::Gen<std::string> id, rc::Gen<Json> payload) {
    return rc::gen::apply([kind](std::string i, Json p) { return make_op(kind, i, p); }, id,
                          payload);
  };
  auto with_keys = [](K kind, rc::Gen<std::string> id, rc::Gen<std::vector<FieldKey>> keys) {
    return rc::gen::apply(
        [kind](std::string i, std::vector<FieldKey> k) { return make_op(kind, i, nullptr, k); }, id,
        keys);
  };
  auto id_only = [](K kind, rc::Gen<std::string> id) {
    return rc::gen::map(id, [kind](std::string i) { return make_op(kind, i); });
  };
  auto add = [](K kind, rc::Gen<Json> object) {
    return rc::gen::map(object, [kind](Json o) {
      std::string id = o["id"];
      return make_op(kind, id, o);
    });
  };
  return rc::gen::weightedOneOf<GraphOp>({
      {5, add(K::add_node, node_object())},
      {2, with_payload(K::update_node_fields, node_id(), node_patch())},
      {2, with_payload(K::set_node_data, node_id(), data_object())},
      {2, with_payload(K::set_node_data_value, node_id(),
                       rc::gen::apply(
                           [](std::size_t key, Json value) {
                             return Json{{std::string(kDataKeys[key]), std::move(value)}};
                           },
                           rc::gen::inRange<std::size_t>(0, kDataKeys.size()), field_value()))},
      {1, with_keys(K::remove_node_fields, node_id(), node_field_keys())},
      {3, id_only(K::remove_node, node_id())},
      {4, add(K::add_edge, edge_object())},
      {1, with_payload(K::update_edge_fields, edge_id(), edge_patch())},
      {1, with_keys(K::remove_edge_fields, edge_id(), edge_field_keys())},
      {2, id_only(K::remove_edge, edge_id())},
  });
}

}  // namespace gen
}  // namespace trellis::crdt::testkit
