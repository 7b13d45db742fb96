#include "op_lines.hpp"

#include <type_traits>

#include "canonical_number.hpp"
#include "sha256.hpp"

namespace trellis::bench {
namespace {

void append_value(std::string& out, const ParamValue& value) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, double>) {
          append_number(out, v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          append_integer(out, v);
        } else {
          out += v;
        }
      },
      value);
}

void append_fields(std::string& out, const AddNode& op) {
  out += "N ";
  out += op.id;
  out += ' ';
  out += op.node->type;
  out += ' ';
  append_number(out, op.node->x);
  out += ' ';
  append_number(out, op.node->y);
  for (const ParamValue& value : op.node->params) {
    out += ' ';
    append_value(out, value);
  }
}

void append_fields(std::string& out, const AddEdge& op) {
  out += "E ";
  out += op.id;
  out += ' ';
  out += op.source;
  out += ' ';
  out += op.target;
}

void append_fields(std::string& out, const SetParam& op) {
  out += "S ";
  out += op.id;
  out += ' ';
  out += kParamKeys[op.key];
  out += ' ';
  append_value(out, op.value);
}

void append_fields(std::string& out, const SetPosition& op) {
  out += "P ";
  out += op.id;
  out += ' ';
  append_number(out, op.x);
  out += ' ';
  append_number(out, op.y);
}

void append_fields(std::string& out, const DeleteNode& op) {
  out += "D ";
  out += op.id;
}

}  // namespace

void append_op_line(std::string& out, const Op& op) {
  std::visit([&out](const auto& fields) { append_fields(out, fields); }, op);
  out += '\n';
}

std::string stream_digest(const OpStream& ops) {
  Sha256 hash;
  std::string line;
  for (const Op& op : ops) {
    line.clear();
    append_op_line(line, op);
    hash.update(line);
  }
  return hash.hex_digest();
}

}  // namespace trellis::bench
