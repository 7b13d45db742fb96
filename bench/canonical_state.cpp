#include "canonical_state.hpp"

#include <cstdio>
#include <type_traits>

#include "canonical_number.hpp"
#include "sha256.hpp"

namespace trellis::bench {
namespace {

// JSON.stringify's escaping; the workload's strings are plain ASCII
// alphanumerics, so this matters only for a corrupted state.
void append_string(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_value(std::string& out, const ParamValue& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          append_number(out, v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          append_integer(out, v);
        } else {
          append_string(out, v);
        }
      },
      value);
}

// Keys in the order §5 fixes: "data" < "position" < "type".
void append_node(std::string& out, const CanonicalNode& node) {
  out += "{\"data\":{";
  bool first = true;
  for (const auto& [key, value] : node.data) {
    if (!first) out += ',';
    first = false;
    append_string(out, key);
    out += ':';
    append_value(out, value);
  }
  out += "},\"position\":{\"x\":";
  append_number(out, node.x);
  out += ",\"y\":";
  append_number(out, node.y);
  out += "},\"type\":";
  append_string(out, node.type);
  out += '}';
}

void append_edge(std::string& out, const CanonicalEdge& edge) {
  out += "{\"source\":";
  append_string(out, edge.source);
  out += ",\"target\":";
  append_string(out, edge.target);
  out += '}';
}

template <class Entities, class AppendEntity>
void append_entities(std::string& out, const Entities& entities, AppendEntity append_entity) {
  out += '{';
  bool first = true;
  for (const auto& [id, entity] : entities) {
    if (!first) out += ',';
    first = false;
    append_string(out, id);
    out += ':';
    append_entity(out, entity);
  }
  out += '}';
}

}  // namespace

std::string canonical_value(const ParamValue& value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string canonical_json(const CanonicalGraph& graph) {
  std::string out;
  out.reserve(200 * graph.nodes.size() + 60 * graph.edges.size() + 32);
  out += "{\"edges\":";
  append_entities(out, graph.edges, append_edge);
  out += ",\"nodes\":";
  append_entities(out, graph.nodes, append_node);
  out += '}';
  return out;
}

std::string state_digest(const CanonicalGraph& graph) {
  return sha256_hex(canonical_json(graph));
}

}  // namespace trellis::bench
