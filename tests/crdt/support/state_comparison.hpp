#pragma once
// Comparing GraphDoc states inside RapidCheck properties. Two states are the
// same when operator== holds AND their encodings are byte for byte equal (the
// encoding is canonical, and == on JSON values is looser than the bytes: 1 ==
// 1.0). A mismatch fails the property with both views, both full CRDT states
// (dots, context, stamps, tombstones) and the first differing byte, so the
// counterexample says what differed, not only that something did.

#include <rapidcheck.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "trellis/crdt/field_key.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/json.hpp"

namespace trellis::crdt::testkit {

// JSON text for failure messages; never throws (a decoded hostile state may
// hold strings that are not UTF-8, which nlohmann's default dump refuses).
inline std::string text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

inline Json describe_dot(Dot dot) {
  return Json::array({dot.replica.value, dot.seq});
}

// The whole CRDT state as JSON, entities sorted by id (the maps are unordered).
inline Json describe_state(const GraphDoc& doc) {
  Json context{{"vv", Json::array()}, {"cloud", Json::array()}};
  for (const auto& [replica, seq] : doc.context().version_vector().entries()) {
    context["vv"].push_back(Json::array({replica.value, seq}));
  }
  for (Dot dot : doc.context().cloud())
    context["cloud"].push_back(describe_dot(dot));
  Json out{{"context", context}};
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    std::vector<std::string> ids;
    for (const auto& [id, entity] : doc.entities(kind))
      ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    Json entities = Json::object();
    for (const std::string& id : ids) {
      const EntityState& entity = *doc.find(kind, id);
      Json dots = Json::array();
      for (Dot dot : entity.dots)
        dots.push_back(describe_dot(dot));
      Json fields = Json::array();
      for (const auto& entry : entity.fields.entries()) {
        const Stamp& stamp = entry.reg.stamp;
        fields.push_back(
            Json{{"key", (entry.key.is_data() ? "data." : "") + std::string(entry.key.name)},
                 {"value", entry.reg.value ? entry.reg.value->to_json() : Json("<tombstone>")},
                 {"stamp", Json::array({stamp.counter, stamp.replica.value, stamp.seq})}});
      }
      entities[id] = Json{{"dots", dots}, {"fields", fields}};
    }
    out[kind == EntityKind::node ? "nodes" : "edges"] = entities;
  }
  return out;
}

inline std::string hex(const Bytes& bytes, std::size_t from = 0, std::size_t count = 64) {
  std::string out;
  char buffer[4];
  for (std::size_t i = from; i < bytes.size() && i < from + count; ++i) {
    std::snprintf(buffer, sizeof buffer, "%02x ", bytes[i]);
    out += buffer;
  }
  if (from + count < bytes.size()) out += "...";
  return out;
}

// Fails the running property unless `left` and `right` are the same state.
// `what` says which law or step compared them.
inline void assert_same_state(const GraphDoc& left, const GraphDoc& right, std::string_view what) {
  if (!(left == right)) {
    RC_FAIL(std::string(what) + ": states differ (operator==)" + "\n  left view:   " +
            text(graph_view(left)) + "\n  right view:  " + text(graph_view(right)) +
            "\n  left state:  " + text(describe_state(left)) +
            "\n  right state: " + text(describe_state(right)));
  }
  const Bytes left_bytes = encode(left);
  const Bytes right_bytes = encode(right);
  if (left_bytes != right_bytes) {
    const auto [at, unused] =
        std::mismatch(left_bytes.begin(), left_bytes.end(), right_bytes.begin(), right_bytes.end());
    const auto offset = static_cast<std::size_t>(at - left_bytes.begin());
    const std::size_t from = offset > 16 ? offset - 16 : 0;
    RC_FAIL(std::string(what) + ": equal states encode differently, first difference at byte " +
            std::to_string(offset) + " of " + std::to_string(left_bytes.size()) + " vs " +
            std::to_string(right_bytes.size()) + "\n  left bytes from " + std::to_string(from) +
            ":  " + hex(left_bytes, from) + "\n  right bytes from " + std::to_string(from) + ": " +
            hex(right_bytes, from) + "\n  state: " + text(describe_state(left)));
  }
}

// The join of two states as a new value.
inline GraphDoc joined(const GraphDoc& left, const GraphDoc& right) {
  GraphDoc out = left;
  out.join(right);
  return out;
}

}  // namespace trellis::crdt::testkit
