#include "doc_mutations.hpp"

#include <string_view>
#include <type_traits>

#include "bench_failure.hpp"
#include "op_lines.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::bench {
namespace {

using crdt::GraphDoc;
using crdt::Json;

Json param_json(const ParamValue& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

crdt::FieldScalar param_scalar(const ParamValue& value) {
  return std::visit(
      [](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>) {
          return crdt::FieldScalar(std::string_view(v));
        } else {
          return crdt::FieldScalar(v);
        }
      },
      value);
}

// Objects are built member by member: nlohmann's initializer-list
// constructor inspects and copies every element, which an application on a
// hot path would avoid too.
void put(Json& object, std::string_view key, Json value) {
  object.get_ref<Json::object_t&>().emplace(key, std::move(value));
}

Json position_json(double x, double y) {
  Json position(Json::value_t::object);
  put(position, "x", x);
  put(position, "y", y);
  return position;
}

struct DocMutator {
  GraphDoc& doc;

  crdt::Result<GraphDoc> operator()(const AddNode& op) const {
    Json data(Json::value_t::object);
    for (std::size_t key = 0; key < kParamCount; ++key) {
      put(data, kParamKeys[key], param_json(op.node->params[key]));
    }
    Json node(Json::value_t::object);
    put(node, "id", op.id);
    put(node, "type", op.node->type);
    put(node, "position", position_json(op.node->x, op.node->y));
    put(node, "data", std::move(data));
    return doc.add_node(node);
  }
  crdt::Result<GraphDoc> operator()(const AddEdge& op) const {
    Json edge(Json::value_t::object);
    put(edge, "id", op.id);
    put(edge, "source", op.source);
    put(edge, "target", op.target);
    return doc.add_edge(edge);
  }
  crdt::Result<GraphDoc> operator()(const SetParam& op) const {
    return doc.set_node_data_value(op.id, kParamKeys[op.key], param_json(op.value));
  }
  crdt::Result<GraphDoc> operator()(const SetPosition& op) const {
    Json patch(Json::value_t::object);
    put(patch, "position", position_json(op.x, op.y));
    return doc.update_node_fields(op.id, patch);
  }
  crdt::Result<GraphDoc> operator()(const DeleteNode& op) const { return doc.remove_node(op.id); }
};

[[noreturn]] void refused(const Op& op, const crdt::Error& error) {
  std::string line;
  append_op_line(line, op);
  line.pop_back();
  throw BenchFailure("GraphDoc refused op '" + line + "': " + error.message);
}

// Encodes each op's delta into `out`; field writes through the lean mutators.
struct EncodingDocMutator {
  GraphDoc& doc;
  crdt::Bytes& out;

  // `op` is copied into an Op only to report a refusal.
  template <class Alternative, class Delta>
  void encode(const Alternative& op, const crdt::Result<Delta>& delta) const {
    if (!delta.ok()) refused(Op(op), delta.error());
    crdt::encode_to(*delta, out);
  }
  // A parameter is a scalar: written and encoded without a Json or a delta
  // value, as an editor's widgets would.
  void operator()(const SetParam& op) const {
    if (auto error = crdt::write_node_data_scalar(doc, op.id, kParamKeys[op.key],
                                                  param_scalar(op.value), out)) {
      refused(Op(op), *error);
    }
  }
  void operator()(const SetPosition& op) const {
    Json patch(Json::value_t::object);
    put(patch, "position", position_json(op.x, op.y));
    encode(op, doc.write_node_fields(op.id, patch));
  }
  template <class Other>
  void operator()(const Other& op) const {
    encode(op, DocMutator{doc}(op));
  }
};

}  // namespace

GraphDoc apply_to_doc(GraphDoc& doc, const Op& op) {
  crdt::Result<GraphDoc> delta = std::visit(DocMutator{doc}, op);
  if (!delta.ok()) refused(op, delta.error());
  return std::move(delta).value();
}

void apply_and_encode(GraphDoc& doc, const Op& op, crdt::Bytes& out) {
  std::visit(EncodingDocMutator{doc, out}, op);
}

}  // namespace trellis::bench
