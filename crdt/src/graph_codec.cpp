#include "trellis/crdt/graph_codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "json_codec.hpp"
#include "trellis/crdt/limits.hpp"
#include "well_known_fields.hpp"

// The encoding half of graph_codec.hpp; decoding is graph_decode.cpp.
// Layouts: docs/encoding.md.

namespace trellis::crdt {

namespace {

using codec::Packer;

using codec::kWellKnownFields;

// Removed dots one transaction-form delta may carry before the encoder falls
// back to the state form.
constexpr std::uint64_t kMaxTransactionContextDots = 4096;

// Packs onto codec::Packer or onto a codec::ReservedPacker.
template <class AnyPacker>
void pack_string(AnyPacker& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

// `key` is a FieldKey or a FieldKeyView.
template <class AnyPacker, class Key>
void pack_field_key(AnyPacker& packer, const Key& key) {
  if (key.scope == FieldKey::Scope::data) {
    pack_string(packer, key.name);
    return;
  }
  auto known = std::find(kWellKnownFields.begin(), kWellKnownFields.end(), key.name);
  if (known != kWellKnownFields.end()) {
    packer.pack_uint32(static_cast<std::uint32_t>(known - kWellKnownFields.begin()));
    return;
  }
  packer.pack_array(1);
  pack_string(packer, key.name);
}

// The most bytes pack_field_key writes besides the name: a long-form key's
// array and string headers.
constexpr std::size_t kFieldKeyOverhead = 1 + 5;

// The transaction form (encode_transaction's layout) of a write of
// `field_count` fields of one entity that the transaction did not add, with
// no removed dots, up to its first field key: the header, the entity's id
// and the length of its field list. kFieldWriteHeadBound + id.size() bytes
// at most.
constexpr std::size_t kFieldWriteHeadBound = 1 + 4 * 9 + 1 + 1 + 5 + 5;

template <class AnyPacker>
void pack_field_write_head(AnyPacker& packer, EntityKind kind, Stamp stamp, std::string_view id,
                           std::size_t field_count) {
  const bool is_edge = kind == EntityKind::edge;
  packer.pack_array(is_edge ? 6 : 5);
  packer.pack_uint64(kTransactionFormatV1);
  packer.pack_uint64(stamp.replica.value);
  packer.pack_uint64(stamp.seq);
  packer.pack_uint64(stamp.counter - stamp.seq);
  if (is_edge) packer.pack_array(0);  // no nodes
  packer.pack_array(2);
  pack_string(packer, id);
  packer.pack_array(static_cast<std::uint32_t>(field_count * 2));
}

// Entities of one kind, sorted by id: the canonical order of both layouts.
// `sorted` is the caller's buffer (reused, so a one-entity delta allocates
// nothing here).
void sort_entities(const EntityMap& map, std::vector<const EntityMap::value_type*>& sorted) {
  sorted.clear();
  for (const auto& entry : map)
    sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
}

// ---------------------------------------------------------------- state form

// A string-table reference costs at most 4 bytes (fixext2), an inline
// string 1 + its length: a string is interned when writing it `count` times
// inline costs more than the table entry plus `count` references.
bool worth_interning(std::size_t length, std::size_t count) {
  constexpr std::size_t kMaxReferenceBytes = 4;
  return count >= 2 && (count - 1) * (1 + length) > count * kMaxReferenceBytes;
}

// Writes format 3, or format 1 (the same without the string table) for
// encode_state_v1_to.
class StateEncoder {
 public:
  StateEncoder(const GraphDoc& doc, Bytes& out, std::uint64_t format)
      : doc_(doc), format_(format), writer_{&out}, packer_(writer_) {}

  void encode() {
    collect_replicas();
    const bool with_strings = format_ == kStateFormatV2;
    if (with_strings) collect_strings();
    packer_.pack_array(with_strings ? 6 : 5);
    packer_.pack_uint64(format_);
    packer_.pack_array(static_cast<std::uint32_t>(replicas_.size()));
    for (ReplicaId replica : replicas_)
      packer_.pack_uint64(replica.value);
    encode_context();
    if (with_strings) {
      packer_.pack_array(static_cast<std::uint32_t>(strings_.size()));
      for (std::string_view text : strings_)
        pack_string(packer_, text);
    }
    encode_entities(doc_.nodes());
    encode_entities(doc_.edges());
  }

 private:
  // The string table: strings that recur as whole field values (a node's
  // type, a colour, an endpoint several edges share), most frequent first so
  // that they take the one-byte indexes; ties in text order, so equal states
  // give equal tables.
  void collect_strings() {
    std::unordered_map<std::string_view, std::size_t, StringHash> counts;
    for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
      for (const auto& [id, entity] : doc_.entities(kind)) {
        for (const auto& entry : entity.fields.entries()) {
          const auto& value = entry.reg.value;
          if (value && value->is_string()) ++counts[value->string()];
        }
      }
    }
    std::vector<std::pair<std::string_view, std::size_t>> recurring;
    for (const auto& [text, count] : counts) {
      if (worth_interning(text.size(), count)) recurring.emplace_back(text, count);
    }
    std::sort(recurring.begin(), recurring.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (recurring.size() > limits::kMaxInternedStrings) {
      recurring.resize(limits::kMaxInternedStrings);
    }
    strings_.reserve(recurring.size());
    string_index_.reserve(recurring.size());
    for (const auto& [text, count] : recurring) {
      string_index_.emplace(text, static_cast<std::uint32_t>(strings_.size()));
      strings_.push_back(text);
    }
  }

  void pack_value(const std::optional<FieldValue>& value) {
    if (!string_index_.empty() && value && value->is_string()) {
      auto known = string_index_.find(value->string());
      if (known != string_index_.end()) {
        const std::uint32_t index = known->second;
        if (index < 256) {
          const char body[1] = {static_cast<char>(index)};
          packer_.pack_ext(1, codec::kStringRefExt);
          packer_.pack_ext_body(body, 1);
        } else {
          const char body[2] = {static_cast<char>(index >> 8), static_cast<char>(index)};
          packer_.pack_ext(2, codec::kStringRefExt);
          packer_.pack_ext_body(body, 2);
        }
        return;
      }
    }
    codec::pack_field_value(packer_, value);
  }

  void collect_replicas() {
    for (const auto& [replica, seq] : doc_.context().version_vector().entries()) {
      replicas_.push_back(replica);
    }
    for (Dot dot : doc_.context().cloud())
      replicas_.push_back(dot.replica);
    for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
      for (const auto& [id, entity] : doc_.entities(kind)) {
        for (Dot dot : entity.dots)
          replicas_.push_back(dot.replica);
        for (const auto& entry : entity.fields.entries())
          replicas_.push_back(entry.reg.stamp.replica);
      }
    }
    std::sort(replicas_.begin(), replicas_.end());
    replicas_.erase(std::unique(replicas_.begin(), replicas_.end()), replicas_.end());
  }

  std::uint32_t replica_index(ReplicaId replica) const {
    return static_cast<std::uint32_t>(
        std::lower_bound(replicas_.begin(), replicas_.end(), replica) - replicas_.begin());
  }

  void pack_dot(Dot dot) {
    packer_.pack_uint32(replica_index(dot.replica));
    packer_.pack_uint64(dot.seq);
  }

  void encode_context() {
    const auto& entries = doc_.context().version_vector().entries();
    const auto& cloud = doc_.context().cloud();
    packer_.pack_array(2);
    packer_.pack_array(static_cast<std::uint32_t>(entries.size() * 2));
    for (const auto& [replica, seq] : entries)
      pack_dot(Dot{replica, seq});
    packer_.pack_array(static_cast<std::uint32_t>(cloud.size() * 2));
    for (Dot dot : cloud)
      pack_dot(dot);
  }

  void encode_entities(const EntityMap& map) {
    std::vector<const EntityMap::value_type*> sorted;
    sort_entities(map, sorted);
    packer_.pack_array(static_cast<std::uint32_t>(sorted.size() * 3));
    for (const auto* entry : sorted) {
      const EntityState& entity = entry->second;
      pack_string(packer_, entry->first);
      packer_.pack_array(static_cast<std::uint32_t>(entity.dots.size() * 2));
      for (Dot dot : entity.dots)
        pack_dot(dot);
      encode_groups(entity);
    }
  }

  // Fields written by one transaction share a stamp: they form one group,
  // and the group's keys are a "shape" written once per message.
  void encode_groups(const EntityState& entity) {
    const auto& entries = entity.fields.entries();
    order_.resize(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
      order_[i] = i;
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) {
      return entries[a].reg.stamp < entries[b].reg.stamp;
    });
    std::size_t group_count = 0;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      if (i == 0 || entries[order_[i]].reg.stamp != entries[order_[i - 1]].reg.stamp) ++group_count;
    }
    packer_.pack_array(static_cast<std::uint32_t>(group_count));
    for (std::size_t begin = 0; begin < order_.size();) {
      const Stamp& stamp = entries[order_[begin]].reg.stamp;
      std::size_t end = begin;
      shape_.clear();
      while (end < order_.size() && entries[order_[end]].reg.stamp == stamp) {
        shape_.push_back(entries[order_[end]].key);
        ++end;
      }
      packer_.pack_array(static_cast<std::uint32_t>(2 + (end - begin)));
      if (!entity.dots.empty() && entity.dots.front() == stamp.dot()) {
        packer_.pack_uint64(stamp.counter - stamp.seq);
      } else {
        packer_.pack_array(3);
        packer_.pack_uint32(replica_index(stamp.replica));
        packer_.pack_uint64(stamp.seq);
        packer_.pack_uint64(stamp.counter - stamp.seq);
      }
      auto known = shapes_.find(shape_);
      if (known != shapes_.end()) {
        packer_.pack_uint32(known->second);
      } else {
        packer_.pack_array(static_cast<std::uint32_t>(shape_.size()));
        for (const auto& key : shape_)
          pack_field_key(packer_, key);
        shapes_.emplace(shape_, static_cast<std::uint32_t>(shapes_.size()));
      }
      for (std::size_t i = begin; i < end; ++i)
        pack_value(entries[order_[i]].reg.value);
      begin = end;
    }
  }

  const GraphDoc& doc_;
  std::uint64_t format_;
  codec::ByteWriter writer_;
  Packer packer_;
  std::vector<ReplicaId> replicas_;
  std::vector<std::string_view> strings_;  // views into doc_'s values
  std::unordered_map<std::string_view, std::uint32_t, StringHash> string_index_;
  std::map<std::vector<FieldKey>, std::uint32_t> shapes_;
  std::vector<std::size_t> order_;
  std::vector<FieldKey> shape_;
};

// ---------------------------------------------------------- transaction form

struct TransactionShape {
  Stamp stamp;
  std::vector<Dot> removed;  // context dots other than the transaction's own
};

// A delta qualifies for the transaction form when one stamp serves every
// field, every present entity was added by that same transaction, and its
// context is that transaction's dot plus a bounded number of removed dots.
std::optional<TransactionShape> transaction_shape(const GraphDoc& doc) {
  std::optional<Stamp> stamp;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, entity] : doc.entities(kind)) {
      for (const auto& entry : entity.fields.entries()) {
        if (!stamp) stamp = entry.reg.stamp;
        if (entry.reg.stamp != *stamp) return std::nullopt;
      }
    }
  }
  if (!stamp) return std::nullopt;
  for (EntityKind kind : {EntityKind::node, EntityKind::edge}) {
    for (const auto& [id, entity] : doc.entities(kind)) {
      if (!entity.dots.empty() && entity.dots != DotSet{stamp->dot()}) return std::nullopt;
    }
  }
  const CausalContext& context = doc.context();
  if (!context.contains(stamp->dot()) || context.dot_count() > kMaxTransactionContextDots) {
    return std::nullopt;
  }
  TransactionShape shape{*stamp, {}};
  context.for_each_dot([&](Dot dot) {
    if (dot != stamp->dot()) shape.removed.push_back(dot);
  });
  std::sort(shape.removed.begin(), shape.removed.end());
  return shape;
}

void encode_transaction(const GraphDoc& doc, const TransactionShape& shape, Bytes& out) {
  codec::ByteWriter writer{&out};
  Packer packer(writer);
  const bool has_removed = !shape.removed.empty();
  const bool has_edges = has_removed || !doc.edges().empty();
  const bool has_nodes = has_edges || !doc.nodes().empty();
  packer.pack_array(4 + has_nodes + has_edges + has_removed);
  packer.pack_uint64(kTransactionFormatV1);
  packer.pack_uint64(shape.stamp.replica.value);
  packer.pack_uint64(shape.stamp.seq);
  packer.pack_uint64(shape.stamp.counter - shape.stamp.seq);
  auto pack_entities = [&](const EntityMap& map) {
    thread_local std::vector<const EntityMap::value_type*> sorted;
    sort_entities(map, sorted);
    packer.pack_array(static_cast<std::uint32_t>(sorted.size() * 2));
    for (const auto* entry : sorted) {
      const EntityState& entity = entry->second;
      pack_string(packer, entry->first);
      const bool added = entity.present();
      packer.pack_array(static_cast<std::uint32_t>(added + entity.fields.size() * 2));
      if (added) packer.pack_true();
      for (const auto& field : entity.fields.entries()) {
        pack_field_key(packer, field.key);
        codec::pack_field_value(packer, field.reg.value);
      }
    }
  };
  if (has_nodes) pack_entities(doc.nodes());
  if (has_edges) pack_entities(doc.edges());
  if (has_removed) {
    packer.pack_array(static_cast<std::uint32_t>(shape.removed.size() * 2));
    for (Dot dot : shape.removed) {
      packer.pack_uint64(dot.replica.value);
      packer.pack_uint64(dot.seq);
    }
  }
}

}  // namespace

void encode_state_to(const GraphDoc& doc, Bytes& out) {
  StateEncoder(doc, out, kStateFormatV2).encode();
}

void encode_state_v1_to(const GraphDoc& doc, Bytes& out) {
  StateEncoder(doc, out, kStateFormatV1).encode();
}

void encode_to(const GraphDoc& doc, Bytes& out) {
  if (auto shape = transaction_shape(doc)) {
    encode_transaction(doc, *shape, out);
  } else {
    encode_state_to(doc, out);
  }
}

void encode_to(const FieldWriteDelta& delta, Bytes& out) {
  if (delta.empty()) {
    encode_state_to(GraphDoc(), out);
    return;
  }
  // Written into space reserved at once, up to the first value that is a
  // container (packed_bound 0), which goes through pack_value.
  std::size_t bound = kFieldWriteHeadBound + delta.id.size();
  std::size_t reserved_fields = 0;
  for (const auto& field : delta.fields) {
    const std::size_t value_bound = codec::packed_bound(field.value);
    bound += kFieldKeyOverhead + field.key.name.size() + value_bound;
    if (value_bound == 0) break;
    ++reserved_fields;
  }
  codec::append_reserved(out, bound, [&](auto& packer) {
    pack_field_write_head(packer, delta.kind, delta.stamp, delta.id, delta.fields.size());
    for (std::size_t i = 0; i < reserved_fields; ++i) {
      pack_field_key(packer, delta.fields[i].key);
      codec::pack_field_value(packer, delta.fields[i].value);
    }
    if (reserved_fields < delta.fields.size()) {
      pack_field_key(packer, delta.fields[reserved_fields].key);
    }
  });
  if (reserved_fields == delta.fields.size()) return;
  codec::ByteWriter writer{&out};
  Packer packer(writer);
  for (std::size_t i = reserved_fields; i < delta.fields.size(); ++i) {
    if (i > reserved_fields) {
      const FieldKey& key = delta.fields[i].key;
      codec::append_reserved(out, kFieldKeyOverhead + key.name.size(),
                             [&](auto& reserved) { pack_field_key(reserved, key); });
    }
    codec::pack_field_value(packer, delta.fields[i].value);
  }
}

std::optional<Error> write_node_data_scalar(GraphDoc& doc, std::string_view id,
                                            std::string_view key, const FieldScalar& value,
                                            Bytes& out) {
  Stamp stamp;
  if (auto error = doc.write_data_scalar(id, key, value, stamp)) return error;
  // encode_to(FieldWriteDelta)'s bytes for the one write, from the arguments.
  const FieldKeyView field{FieldKey::Scope::data, key};
  const std::size_t bound = kFieldWriteHeadBound + id.size() + kFieldKeyOverhead + key.size() +
                            codec::packed_bound(value);
  codec::append_reserved(out, bound, [&](auto& packer) {
    pack_field_write_head(packer, EntityKind::node, stamp, id, 1);
    pack_field_key(packer, field);
    codec::pack_scalar(packer, value);
  });
  return std::nullopt;
}

Bytes encode(const GraphDoc& doc) {
  Bytes out;
  encode_to(doc, out);
  return out;
}

}  // namespace trellis::crdt
