#include "trellis/crdt/graph_codec.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "entity_validation.hpp"
#include "graph_join.hpp"
#include "json_codec.hpp"
#include "transaction_delta.hpp"
#include "trellis/crdt/limits.hpp"

// Layouts: docs/encoding.md. Every decoding step checks its element's type
// and range before using it; the msgpack parser itself is bounded by limits
// proportional to the input size, so a short input cannot make it allocate
// much.

namespace trellis::crdt {

namespace {

using codec::Packer;

// Top-level fields common enough in React Flow objects to get a one-byte key
// in format v1. The order is part of the format: append only.
constexpr std::array<std::string_view, 18> kWellKnownFields = {
    "type",   "position",     "width",        "height",    "parentId", "source",
    "target", "sourceHandle", "targetHandle", "hidden",    "selected", "draggable",
    "zIndex", "extent",       "style",        "className", "animated", "measured"};

// Removed dots one transaction-form delta may carry before the encoder falls
// back to the state form.
constexpr std::uint64_t kMaxTransactionContextDots = 4096;

Error malformed(std::string message) {
  return make_error(ErrorCode::malformed, std::move(message));
}

// Packs onto codec::Packer or onto a ReservedPacker (below).
template <class AnyPacker>
void pack_string(AnyPacker& packer, std::string_view text) {
  packer.pack_str(static_cast<std::uint32_t>(text.size()));
  packer.pack_str_body(text.data(), static_cast<std::uint32_t>(text.size()));
}

template <class AnyPacker>
void pack_field_key(AnyPacker& packer, const FieldKey& key) {
  if (key.is_data()) {
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

// A msgpack stream into bytes reserved in advance, for the short runs of
// tokens between two values of a local edit's delta: msgpack writes a token
// at a time, and codec::ByteWriter checks capacity on every byte of it.
struct ReservedWriter {
  std::uint8_t* at;
  void write(const char* data, std::size_t size) {
    // Tokens are 1 to 9 bytes: a short loop beats a call to memcpy.
    if (size <= 16) {
      for (std::size_t i = 0; i < size; ++i)
        at[i] = static_cast<std::uint8_t>(data[i]);
    } else {
      std::memcpy(at, data, size);
    }
    at += size;
  }
};
using ReservedPacker = msgpack::packer<ReservedWriter>;

// Appends what `pack(ReservedPacker&)` writes, which must be at most `bound`
// bytes.
template <class Pack>
void append_reserved(Bytes& out, std::size_t bound, Pack&& pack) {
  const std::size_t start = out.size();
  out.resize(start + bound);
  ReservedWriter writer{out.data() + start};
  ReservedPacker packer(writer);
  pack(packer);
  out.resize(static_cast<std::size_t>(writer.at - out.data()));
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

class StateEncoder {
 public:
  StateEncoder(const GraphDoc& doc, Bytes& out) : doc_(doc), writer_{&out}, packer_(writer_) {}

  void encode() {
    collect_replicas();
    packer_.pack_array(5);
    packer_.pack_uint64(kStateFormatV1);
    packer_.pack_array(static_cast<std::uint32_t>(replicas_.size()));
    for (ReplicaId replica : replicas_)
      packer_.pack_uint64(replica.value);
    encode_context();
    encode_entities(doc_.nodes());
    encode_entities(doc_.edges());
  }

 private:
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
      for (std::size_t i = begin; i < end; ++i) {
        codec::pack_field_value(packer_, entries[order_[i]].reg.value);
      }
      begin = end;
    }
  }

  const GraphDoc& doc_;
  codec::ByteWriter writer_;
  Packer packer_;
  std::vector<ReplicaId> replicas_;
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

// ------------------------------------------------------------------ decoding

Result<std::uint64_t> as_uint(const msgpack::object& object, const char* what) {
  if (object.type != msgpack::type::POSITIVE_INTEGER) {
    return malformed(std::string(what) + " must be an unsigned integer");
  }
  return object.via.u64;
}

Result<const msgpack::object_array*> as_array(const msgpack::object& object, const char* what) {
  if (object.type != msgpack::type::ARRAY)
    return malformed(std::string(what) + " must be an array");
  return &object.via.array;
}

Result<std::uint64_t> checked_sum(std::uint64_t a, std::uint64_t b) {
  if (a > UINT64_MAX - b) return malformed("a stamp counter overflows");
  return a + b;
}

Result<FieldKey> decode_field_key(const msgpack::object& object) {
  switch (object.type) {
    case msgpack::type::POSITIVE_INTEGER:
      if (object.via.u64 >= kWellKnownFields.size()) return malformed("unknown well-known field");
      return FieldKey::top(kWellKnownFields[object.via.u64]);
    case msgpack::type::STR:
      return FieldKey::data(std::string_view(object.via.str.ptr, object.via.str.size));
    case msgpack::type::ARRAY:
      if (object.via.array.size == 1 && object.via.array.ptr[0].type == msgpack::type::STR) {
        const auto& name = object.via.array.ptr[0].via.str;
        std::string_view text(name.ptr, name.size);
        // A well-known name must use its short form: one state, one encoding.
        if (std::find(kWellKnownFields.begin(), kWellKnownFields.end(), text) !=
            kWellKnownFields.end()) {
          return malformed("a well-known field written in long form");
        }
        return FieldKey::top(text);
      }
      return malformed("a top-level field key must be [name]");
    default:
      return malformed("a field key has the wrong type");
  }
}

// Sorts decoded fields into an LwwMap, rejecting a key given twice.
Result<LwwMap<FieldKey, Json>> build_fields(
    std::vector<std::pair<FieldKey, LwwMap<FieldKey, Json>::Register>> fields) {
  std::sort(fields.begin(), fields.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  LwwMap<FieldKey, Json> map;
  for (auto& [key, reg] : fields) {
    if (!map.append_sorted(std::move(key), std::move(reg))) {
      return malformed("a field is given twice");
    }
  }
  return map;
}

class StateDecoder {
 public:
  Result<GraphDoc> decode(const msgpack::object_array& root) {
    if (root.size != 5) return malformed("state form has 5 elements");
    if (auto error = decode_replicas(root.ptr[1])) return *error;
    CausalContext context;
    if (auto error = decode_context(root.ptr[2], context)) return *error;
    EntityMap nodes;
    EntityMap edges;
    if (auto error = decode_entities(root.ptr[3], nodes)) return *error;
    if (auto error = decode_entities(root.ptr[4], edges)) return *error;
    return GraphDoc::from_parts(std::move(context), std::move(nodes), std::move(edges));
  }

 private:
  std::optional<Error> decode_replicas(const msgpack::object& object) {
    auto array = as_array(object, "replica table");
    if (!array) return array.error();
    if ((*array)->size > limits::kMaxReplicasPerMessage) {
      return make_error(ErrorCode::limit_exceeded, "too many replicas in one message");
    }
    for (std::uint32_t i = 0; i < (*array)->size; ++i) {
      auto id = as_uint((*array)->ptr[i], "a replica id");
      if (!id) return id.error();
      if (*id == 0) return malformed("replica id 0 is reserved");
      if (!replicas_.empty() && ReplicaId{*id} <= replicas_.back()) {
        return malformed("the replica table must be sorted and distinct");
      }
      replicas_.push_back(ReplicaId{*id});
    }
    return std::nullopt;
  }

  Result<Dot> decode_dot(const msgpack::object& replica, const msgpack::object& seq) {
    auto index = as_uint(replica, "a replica index");
    if (!index) return index.error();
    if (*index >= replicas_.size()) return malformed("a replica index is out of range");
    auto number = as_uint(seq, "a sequence number");
    if (!number) return number.error();
    if (*number == 0) return malformed("sequence numbers start at 1");
    return Dot{replicas_[*index], *number};
  }

  std::optional<Error> decode_dot_pairs(const msgpack::object& object, const char* what,
                                        std::vector<Dot>& out) {
    auto array = as_array(object, what);
    if (!array) return array.error();
    if ((*array)->size % 2 != 0) return malformed(std::string(what) + " must hold pairs");
    out.reserve((*array)->size / 2);
    for (std::uint32_t i = 0; i < (*array)->size; i += 2) {
      auto dot = decode_dot((*array)->ptr[i], (*array)->ptr[i + 1]);
      if (!dot) return dot.error();
      out.push_back(*dot);
    }
    return std::nullopt;
  }

  std::optional<Error> decode_context(const msgpack::object& object, CausalContext& context) {
    auto array = as_array(object, "context");
    if (!array) return array.error();
    if ((*array)->size != 2) return malformed("context is [vector, cloud]");
    std::vector<Dot> entries;
    if (auto error = decode_dot_pairs((*array)->ptr[0], "version vector", entries)) return error;
    std::vector<Dot> cloud;
    if (auto error = decode_dot_pairs((*array)->ptr[1], "dot cloud", cloud)) return error;
    context = CausalContext::from_parts(std::move(entries), std::move(cloud));
    return std::nullopt;
  }

  std::optional<Error> decode_entities(const msgpack::object& object, EntityMap& map) {
    auto array = as_array(object, "entity list");
    if (!array) return array.error();
    if ((*array)->size % 3 != 0) return malformed("entity list must hold triples");
    map.reserve((*array)->size / 3);
    const std::string* previous = nullptr;
    for (std::uint32_t i = 0; i < (*array)->size; i += 3) {
      const msgpack::object& id = (*array)->ptr[i];
      if (id.type != msgpack::type::STR) return malformed("an entity id must be a string");
      std::string key(id.via.str.ptr, id.via.str.size);
      if (previous && !(*previous < key)) return malformed("entities must be sorted by id");
      EntityState entity;
      if (auto error = decode_dot_pairs((*array)->ptr[i + 1], "entity dots", entity.dots)) {
        return error;
      }
      std::sort(entity.dots.begin(), entity.dots.end());
      if (std::adjacent_find(entity.dots.begin(), entity.dots.end()) != entity.dots.end()) {
        return malformed("an entity lists a dot twice");
      }
      if (auto error = decode_groups((*array)->ptr[i + 2], entity)) return error;
      auto [it, inserted] = map.emplace(std::move(key), std::move(entity));
      previous = &it->first;
    }
    return std::nullopt;
  }

  std::optional<Error> decode_groups(const msgpack::object& object, EntityState& entity) {
    auto groups = as_array(object, "field groups");
    if (!groups) return groups.error();
    std::vector<std::pair<FieldKey, LwwMap<FieldKey, Json>::Register>> fields;
    for (std::uint32_t g = 0; g < (*groups)->size; ++g) {
      auto group = as_array((*groups)->ptr[g], "a field group");
      if (!group) return group.error();
      if ((*group)->size < 2) return malformed("a field group is [stamp, shape, values...]");
      auto stamp = decode_stamp((*group)->ptr[0], entity);
      if (!stamp) return stamp.error();
      auto shape = decode_shape((*group)->ptr[1]);
      if (!shape) return shape.error();
      const std::vector<FieldKey>& keys = shapes_[*shape];
      if ((*group)->size - 2 != keys.size()) {
        return malformed("a field group's values do not match its shape");
      }
      for (std::size_t k = 0; k < keys.size(); ++k) {
        auto value = codec::unpack_field_value((*group)->ptr[2 + k]);
        if (!value) return value.error();
        fields.emplace_back(keys[k], LwwMap<FieldKey, Json>::Register{std::move(*value), *stamp});
      }
    }
    auto map = build_fields(std::move(fields));
    if (!map) return map.error();
    entity.fields = std::move(*map);
    return std::nullopt;
  }

  Result<Stamp> decode_stamp(const msgpack::object& object, const EntityState& entity) {
    if (object.type == msgpack::type::POSITIVE_INTEGER) {
      if (entity.dots.empty()) return malformed("a short stamp needs an entity dot");
      const Dot dot = entity.dots.front();
      auto counter = checked_sum(dot.seq, object.via.u64);
      if (!counter) return counter.error();
      return Stamp{*counter, dot.replica, dot.seq};
    }
    auto array = as_array(object, "a stamp");
    if (!array) return array.error();
    if ((*array)->size != 3) return malformed("a stamp is [replica, seq, counter - seq]");
    auto dot = decode_dot((*array)->ptr[0], (*array)->ptr[1]);
    if (!dot) return dot.error();
    auto offset = as_uint((*array)->ptr[2], "a counter offset");
    if (!offset) return offset.error();
    auto counter = checked_sum(dot->seq, *offset);
    if (!counter) return counter.error();
    return Stamp{*counter, dot->replica, dot->seq};
  }

  Result<std::size_t> decode_shape(const msgpack::object& object) {
    if (object.type == msgpack::type::POSITIVE_INTEGER) {
      if (object.via.u64 >= shapes_.size()) return malformed("a shape index is out of range");
      return static_cast<std::size_t>(object.via.u64);
    }
    auto array = as_array(object, "a shape");
    if (!array) return array.error();
    if ((*array)->size == 0) return malformed("a shape names at least one field");
    std::vector<FieldKey> keys;
    keys.reserve((*array)->size);
    for (std::uint32_t i = 0; i < (*array)->size; ++i) {
      auto key = decode_field_key((*array)->ptr[i]);
      if (!key) return key.error();
      if (!keys.empty() && !(keys.back() < *key)) return malformed("shape keys must increase");
      keys.push_back(std::move(*key));
    }
    shapes_.push_back(std::move(keys));
    return shapes_.size() - 1;
  }

  std::vector<ReplicaId> replicas_;
  std::vector<std::vector<FieldKey>> shapes_;
};

// Parses and fully validates a transaction-form message into `delta`
// (whose buffers are reused). Nothing is joined anywhere until it succeeds.
std::optional<Error> parse_transaction(const msgpack::object_array& root, TransactionDelta& delta) {
  if (root.size < 4 || root.size > 7) return malformed("transaction form has 4 to 7 elements");
  auto replica = as_uint(root.ptr[1], "the replica id");
  if (!replica) return replica.error();
  if (*replica == 0) return malformed("replica id 0 is reserved");
  auto seq = as_uint(root.ptr[2], "the sequence number");
  if (!seq) return seq.error();
  if (*seq == 0) return malformed("sequence numbers start at 1");
  auto offset = as_uint(root.ptr[3], "the counter offset");
  if (!offset) return offset.error();
  auto counter = checked_sum(*seq, *offset);
  if (!counter) return counter.error();
  if (*counter > limits::kMaxCounter) {
    return make_error(ErrorCode::limit_exceeded, "a stamp counter is beyond the limit");
  }
  delta.stamp = Stamp{*counter, ReplicaId{*replica}, *seq};
  delta.seen.clear();
  delta.seen.insert(delta.stamp.dot());
  delta.own_dot.assign(1, delta.stamp.dot());
  delta.entity_count = 0;

  for (std::uint32_t part = 0; part < 2 && 4 + part < root.size; ++part) {
    const EntityKind kind = part == 0 ? EntityKind::node : EntityKind::edge;
    auto entities = as_array(root.ptr[4 + part], "entity list");
    if (!entities) return entities.error();
    if ((*entities)->size % 2 != 0) return malformed("entity list must hold pairs");
    // An index, not a pointer: entities may reallocate as it grows.
    std::optional<std::size_t> previous;
    for (std::uint32_t i = 0; i < (*entities)->size; i += 2) {
      const msgpack::object& id = (*entities)->ptr[i];
      if (id.type != msgpack::type::STR) return malformed("an entity id must be a string");
      auto body = as_array((*entities)->ptr[i + 1], "an entity body");
      if (!body) return body.error();
      if (delta.entity_count == delta.entities.size()) delta.entities.emplace_back();
      TransactionEntity& entity = delta.entities[delta.entity_count];
      entity.kind = kind;
      entity.id.assign(id.via.str.ptr, id.via.str.size);
      entity.fields.clear();
      if (auto error = validate_id(entity.id)) return error;
      if (previous && !(delta.entities[*previous].id < entity.id)) {
        return malformed("entities must be sorted by id");
      }
      std::uint32_t at = 0;
      entity.added = (*body)->size % 2 == 1;
      if (entity.added) {
        const msgpack::object& flag = (*body)->ptr[0];
        if (flag.type != msgpack::type::BOOLEAN || !flag.via.boolean) {
          return malformed("an entity body starts with true or a field key");
        }
        at = 1;
      }
      if ((*body)->size == 0) return malformed("an entity holds neither dots nor fields");
      for (; at < (*body)->size; at += 2) {
        auto field_key = decode_field_key((*body)->ptr[at]);
        if (!field_key) return field_key.error();
        if (auto error = validate_field_key(*field_key)) return error;
        if (!entity.fields.empty() && !(entity.fields.back().first < *field_key)) {
          return malformed("field keys must increase");
        }
        auto value = codec::unpack_field_value((*body)->ptr[at + 1]);
        if (!value) return value.error();
        entity.fields.emplace_back(std::move(*field_key), std::move(*value));
      }
      previous = delta.entity_count;
      ++delta.entity_count;
    }
  }
  if (root.size == 7) {
    auto removed = as_array(root.ptr[6], "removed dots");
    if (!removed) return removed.error();
    if ((*removed)->size % 2 != 0) return malformed("removed dots must be pairs");
    std::optional<Dot> previous;
    for (std::uint32_t i = 0; i < (*removed)->size; i += 2) {
      auto removed_replica = as_uint((*removed)->ptr[i], "a replica id");
      if (!removed_replica) return removed_replica.error();
      auto removed_seq = as_uint((*removed)->ptr[i + 1], "a sequence number");
      if (!removed_seq) return removed_seq.error();
      const Dot dot{ReplicaId{*removed_replica}, *removed_seq};
      if (dot.replica.is_null() || dot.seq == 0) return malformed("an invalid removed dot");
      if (dot.seq > limits::kMaxCounter) {
        return make_error(ErrorCode::limit_exceeded, "a sequence number is beyond the limit");
      }
      if ((previous && !(*previous < dot)) || dot == delta.stamp.dot()) {
        return malformed("removed dots must be sorted, distinct and not the transaction's");
      }
      previous = dot;
      delta.seen.insert(dot);
    }
  }
  return std::nullopt;
}

Result<GraphDoc> transaction_to_doc(TransactionDelta& delta) {
  EntityMap maps[2];
  for (std::size_t i = 0; i < delta.entity_count; ++i) {
    TransactionEntity& parsed = delta.entities[i];
    EntityState entity;
    if (parsed.added) entity.dots = delta.own_dot;
    for (auto& [key, value] : parsed.fields) {
      entity.fields.append_sorted(std::move(key), {std::move(value), delta.stamp});
    }
    maps[parsed.kind == EntityKind::node ? 0 : 1].emplace(std::move(parsed.id), std::move(entity));
  }
  return GraphDoc::from_parts(std::move(delta.seen), std::move(maps[0]), std::move(maps[1]));
}

// Parses the msgpack value of a message, bounded by the input size. The
// objects live in `zone` and reference `bytes`.
Result<msgpack::object> parse_message(std::span<const std::uint8_t> bytes, msgpack::zone& zone) {
  if (bytes.size() > limits::kMaxEncodedBytes) {
    return make_error(ErrorCode::limit_exceeded, "encoded state is too large");
  }
  if (bytes.empty()) return malformed("empty input");
  // Every msgpack element takes at least one byte of input, so no count may
  // exceed the input size: a forged length cannot make the parser allocate.
  const auto size = static_cast<std::size_t>(bytes.size());
  const msgpack::unpack_limit limit(size, size / 2, size, size, size, limits::kMaxValueDepth + 8);
  msgpack::object root;
  std::size_t offset = 0;
  try {
    bool referenced = false;
    root = msgpack::unpack(
        zone, reinterpret_cast<const char*>(bytes.data()), size, offset, referenced,
        [](msgpack::type::object_type, std::size_t, void*) { return true; }, nullptr, limit);
  } catch (const msgpack::size_overflow& error) {
    return make_error(ErrorCode::limit_exceeded, std::string("msgpack limit: ") + error.what());
  } catch (const std::exception& error) {
    return malformed(std::string("not valid msgpack: ") + error.what());
  }
  if (offset != size) return malformed("trailing bytes after the message");
  if (root.type != msgpack::type::ARRAY || root.via.array.size == 0) {
    return malformed("a message is a non-empty array");
  }
  const msgpack::object& format = root.via.array.ptr[0];
  if (format.type != msgpack::type::POSITIVE_INTEGER) return malformed("format must be an integer");
  if (format.via.u64 != kStateFormatV1 && format.via.u64 != kTransactionFormatV1) {
    return make_error(ErrorCode::unsupported_version,
                      "format " + std::to_string(format.via.u64) + " is not supported");
  }
  return root;
}

// Scratch space reused by every decode on this thread (no state carries over
// from one call to the next).
struct DecodeScratch {
  msgpack::zone zone;
  TransactionDelta transaction;
};

DecodeScratch& scratch() {
  thread_local DecodeScratch instance;
  instance.zone.clear();
  return instance;
}

}  // namespace

void encode_state_to(const GraphDoc& doc, Bytes& out) {
  StateEncoder(doc, out).encode();
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
  // encode_transaction's layout for a delta with one entity, which it did
  // not add, and no removed dots: header, entity id and the first key, then
  // each value followed by the next key.
  const bool is_edge = delta.kind == EntityKind::edge;
  const std::size_t header_bound = 1 + 4 * 9 + 1 + 1 + 5 + delta.id.size() + 5;
  const FieldKey& first_key = delta.fields.front().key;
  append_reserved(out, header_bound + kFieldKeyOverhead + first_key.name.size(), [&](auto& packer) {
    packer.pack_array(is_edge ? 6 : 5);
    packer.pack_uint64(kTransactionFormatV1);
    packer.pack_uint64(delta.stamp.replica.value);
    packer.pack_uint64(delta.stamp.seq);
    packer.pack_uint64(delta.stamp.counter - delta.stamp.seq);
    if (is_edge) packer.pack_array(0);  // no nodes
    packer.pack_array(2);
    pack_string(packer, delta.id);
    packer.pack_array(static_cast<std::uint32_t>(delta.fields.size() * 2));
    pack_field_key(packer, first_key);
  });
  codec::ByteWriter writer{&out};
  Packer packer(writer);
  for (std::size_t i = 0; i < delta.fields.size(); ++i) {
    if (i > 0) {
      const FieldKey& key = delta.fields[i].key;
      append_reserved(out, kFieldKeyOverhead + key.name.size(),
                      [&](auto& reserved) { pack_field_key(reserved, key); });
    }
    codec::pack_field_value(packer, delta.fields[i].value);
  }
}

Bytes encode(const GraphDoc& doc) {
  Bytes out;
  encode_to(doc, out);
  return out;
}

namespace {

// Shared checks (entity_validation.cpp) call bad input invalid_argument; from
// a decoder's point of view that input is malformed bytes.
Error as_decode_error(Error error) {
  if (error.code == ErrorCode::invalid_argument) error.code = ErrorCode::malformed;
  return error;
}

Result<GraphDoc> decode_bytes(std::span<const std::uint8_t> bytes);

}  // namespace

Result<GraphDoc> decode(std::span<const std::uint8_t> bytes) {
  auto decoded = decode_bytes(bytes);
  if (!decoded) return as_decode_error(decoded.error());
  return decoded;
}

namespace {

Result<GraphDoc> decode_bytes(std::span<const std::uint8_t> bytes) {
  DecodeScratch& space = scratch();
  auto root = parse_message(bytes, space.zone);
  if (!root) return root.error();
  const msgpack::object_array& parts = root->via.array;
  if (parts.ptr[0].via.u64 == kStateFormatV1) return StateDecoder().decode(parts);
  TransactionDelta delta;
  if (auto error = parse_transaction(parts, delta)) return *error;
  return transaction_to_doc(delta);
}

}  // namespace

std::optional<Error> join_encoded(GraphDoc& doc, std::span<const std::uint8_t> bytes) {
  DecodeScratch& space = scratch();
  auto root = parse_message(bytes, space.zone);
  if (!root) return as_decode_error(root.error());
  const msgpack::object_array& parts = root->via.array;
  if (parts.ptr[0].via.u64 == kStateFormatV1) {
    auto state = StateDecoder().decode(parts);
    if (!state) return as_decode_error(state.error());
    doc.join(std::move(*state));
    return std::nullopt;
  }
  if (auto error = parse_transaction(parts, space.transaction)) {
    return as_decode_error(std::move(*error));
  }
  doc.join_from(space.transaction);
  return std::nullopt;
}

}  // namespace trellis::crdt
