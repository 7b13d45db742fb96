// The decoding half of graph_codec.hpp: decode() and join_encoded().
//
// Layouts: docs/encoding.md. The bytes are read element by element in stream
// order (msgpack_reader.hpp): each step checks its element's kind and range
// before using it and builds the result directly. Well-formed input, nearly
// all input, is read once. When reading fails or leaves bytes over, the
// whole input is checked as msgpack (check_encoding) and a fault it finds
// takes precedence, so the error is the one a decoder that checks first
// would give. Reading never trusts a declared count further than the bytes
// left can hold: what decoding allocates is in proportion to the input.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "entity_validation.hpp"
#include "field_write_message.hpp"
#include "graph_join.hpp"
#include "json_codec.hpp"
#include "transaction_delta.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/limits.hpp"
#include "trellis/crdt/msgpack_reader.hpp"
#include "well_known_fields.hpp"

namespace trellis::crdt {

namespace {

using codec::kWellKnownFields;

Error malformed(std::string message) {
  return make_error(ErrorCode::malformed, std::move(message));
}

// The next element. Reading fails on truncated input or an invalid byte;
// read_message() then has check_encoding() name the fault.
std::optional<Error> read(MsgpackReader& reader, MsgpackElement& element) {
  if (!reader.next(element)) return malformed("the input ends inside a value");
  return std::nullopt;
}

// read_uint() and read_array() for any encoding; they try the reader's fast
// paths first, inline.
std::optional<Error> read_uint_element(MsgpackReader& reader, const char* what,
                                       std::uint64_t& value) {
  MsgpackElement element;
  if (auto error = read(reader, element)) return error;
  if (element.kind != MsgpackKind::uint) {
    return malformed(std::string(what) + " must be an unsigned integer");
  }
  value = element.uint;
  return std::nullopt;
}

std::optional<Error> read_array_element(MsgpackReader& reader, const char* what,
                                        std::uint32_t& count) {
  MsgpackElement element;
  if (auto error = read(reader, element)) return error;
  if (element.kind != MsgpackKind::array) return malformed(std::string(what) + " must be an array");
  count = element.count;
  return std::nullopt;
}

inline std::optional<Error> read_uint(MsgpackReader& reader, const char* what,
                                      std::uint64_t& value) {
  if (reader.next_uint(value)) return std::nullopt;
  return read_uint_element(reader, what, value);
}

// Reads an array header; `count` is its element count.
inline std::optional<Error> read_array(MsgpackReader& reader, const char* what,
                                       std::uint32_t& count) {
  if (reader.next_array(count)) return std::nullopt;
  return read_array_element(reader, what, count);
}

// Reads a string element; `message` is the error when the element is not one.
std::optional<Error> read_str(MsgpackReader& reader, const char* message, std::string_view& text) {
  if (reader.next_str(text)) return std::nullopt;
  MsgpackElement element;
  if (auto error = read(reader, element)) return error;
  if (element.kind != MsgpackKind::str) return malformed(message);
  text = element.text();
  return std::nullopt;
}

std::optional<Error> checked_sum(std::uint64_t a, std::uint64_t b, std::uint64_t& sum) {
  if (a > UINT64_MAX - b) return malformed("a stamp counter overflows");
  sum = a + b;
  return std::nullopt;
}

// Reads a field key into `key`, reusing its storage.
std::optional<Error> read_field_key(MsgpackReader& reader, FieldKey& key) {
  std::string_view text;
  if (reader.next_str(text)) {
    key.scope = FieldKey::Scope::data;
    key.name.assign(text);
    return std::nullopt;
  }
  MsgpackElement element;
  if (auto error = read(reader, element)) return error;
  switch (element.kind) {
    case MsgpackKind::uint:
      if (element.uint >= kWellKnownFields.size()) return malformed("unknown well-known field");
      key.scope = FieldKey::Scope::top;
      key.name.assign(kWellKnownFields[element.uint]);
      return std::nullopt;
    case MsgpackKind::str:
      key.scope = FieldKey::Scope::data;
      key.name.assign(element.text());
      return std::nullopt;
    case MsgpackKind::array: {
      MsgpackElement name;
      if (element.count != 1) return malformed("a top-level field key must be [name]");
      if (auto error = read(reader, name)) return error;
      if (name.kind != MsgpackKind::str) return malformed("a top-level field key must be [name]");
      // A well-known name must use its short form: one state, one encoding.
      if (std::find(kWellKnownFields.begin(), kWellKnownFields.end(), name.text()) !=
          kWellKnownFields.end()) {
        return malformed("a well-known field written in long form");
      }
      key.scope = FieldKey::Scope::top;
      key.name.assign(name.text());
      return std::nullopt;
    }
    default:
      return malformed("a field key has the wrong type");
  }
}

// Sorts decoded fields into an LwwMap, rejecting a key given twice.
Result<FieldMap> build_fields(std::vector<std::pair<FieldKey, FieldMap::Register>> fields) {
  std::sort(fields.begin(), fields.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  FieldMap map;
  for (auto& [key, reg] : fields) {
    if (!map.append_sorted(std::move(key), std::move(reg))) {
      return malformed("a field is given twice");
    }
  }
  return map;
}

// ---------------------------------------------------------------- state form

// Formats 1 and 3; they differ only in format 3's string table.
class StateDecoder {
 public:
  StateDecoder(MsgpackReader& reader, std::uint64_t format)
      : reader_(reader), with_strings_(format == kStateFormatV2) {}

  // The format element has been read; `parts` is the root array's size.
  Result<GraphDoc> decode(std::uint32_t parts) {
    if (with_strings_ && parts != 6) return malformed("state form 3 has 6 elements");
    if (!with_strings_ && parts != 5) return malformed("state form 1 has 5 elements");
    if (auto error = decode_replicas()) return *error;
    CausalContext context;
    if (auto error = decode_context(context)) return *error;
    if (with_strings_) {
      if (auto error = decode_strings()) return *error;
    }
    EntityMap nodes;
    EntityMap edges;
    if (auto error = decode_entities(nodes)) return *error;
    if (auto error = decode_entities(edges)) return *error;
    return GraphDoc::from_parts(std::move(context), std::move(nodes), std::move(edges));
  }

 private:
  std::optional<Error> decode_replicas() {
    std::uint32_t count;
    if (auto error = read_array(reader_, "replica table", count)) return error;
    if (count > limits::kMaxReplicasPerMessage) {
      return make_error(ErrorCode::limit_exceeded, "too many replicas in one message");
    }
    for (std::uint32_t i = 0; i < count; ++i) {
      std::uint64_t id;
      if (auto error = read_uint(reader_, "a replica id", id)) return error;
      if (id == 0) return malformed("replica id 0 is reserved");
      if (!replicas_.empty() && ReplicaId{id} <= replicas_.back()) {
        return malformed("the replica table must be sorted and distinct");
      }
      replicas_.push_back(ReplicaId{id});
    }
    return std::nullopt;
  }

  // The entries stay views into the input, which outlives decoding.
  std::optional<Error> decode_strings() {
    std::uint32_t count;
    if (auto error = read_array(reader_, "string table", count)) return error;
    if (count > limits::kMaxInternedStrings) {
      return make_error(ErrorCode::limit_exceeded, "too many strings in the string table");
    }
    strings_.reserve(std::min<std::size_t>(count, reader_.remaining()));
    std::unordered_set<std::string_view, StringHash> seen;
    seen.reserve(std::min<std::size_t>(count, reader_.remaining()));
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string_view text;
      if (auto error = read_str(reader_, "the string table holds strings", text)) return error;
      if (auto error = codec::check_text(text, "a string of the string table")) return error;
      if (!seen.insert(text).second) return malformed("the string table lists a string twice");
      strings_.push_back(text);
    }
    return std::nullopt;
  }

  // A field value: a reference into the string table (format 3), or inline.
  std::optional<Error> decode_value(std::optional<FieldValue>& value) {
    if (with_strings_) {
      MsgpackReader probe = reader_;
      std::int8_t type;
      std::span<const std::uint8_t> payload;
      if (probe.next_fixext(type, payload) && type == codec::kStringRefExt) {
        std::size_t index;
        if (payload.size() == 1) {
          index = payload[0];
        } else if (payload.size() == 2) {
          index = (std::size_t{payload[0]} << 8) | payload[1];
          if (index < 256) return malformed("a string reference below 256 takes one byte");
        } else {
          return malformed("a string reference is a fixext1 or fixext2");
        }
        if (index >= strings_.size()) return malformed("a string reference is out of range");
        value.emplace(FieldScalar(strings_[index]));
        reader_ = probe;
        return std::nullopt;
      }
    }
    return codec::read_field_value(reader_, value);
  }

  // A dot whose replica is an index into the table: its two elements.
  std::optional<Error> decode_dot(Dot& dot) {
    std::uint64_t index;
    if (auto error = read_uint(reader_, "a replica index", index)) return error;
    if (index >= replicas_.size()) return malformed("a replica index is out of range");
    std::uint64_t seq;
    if (auto error = read_uint(reader_, "a sequence number", seq)) return error;
    if (seq == 0) return malformed("sequence numbers start at 1");
    dot = Dot{replicas_[index], seq};
    return std::nullopt;
  }

  // `Dots` is a std::vector<Dot> or a DotSet.
  template <class Dots>
  std::optional<Error> decode_dot_pairs(const char* what, Dots& out) {
    std::uint32_t count;
    if (auto error = read_array(reader_, what, count)) return error;
    if (count % 2 != 0) return malformed(std::string(what) + " must hold pairs");
    out.reserve(std::min<std::size_t>(count, reader_.remaining()) / 2);
    for (std::uint32_t i = 0; i < count; i += 2) {
      Dot dot;
      if (auto error = decode_dot(dot)) return error;
      out.push_back(dot);
    }
    return std::nullopt;
  }

  std::optional<Error> decode_context(CausalContext& context) {
    std::uint32_t count;
    if (auto error = read_array(reader_, "context", count)) return error;
    if (count != 2) return malformed("context is [vector, cloud]");
    std::vector<Dot> entries;
    if (auto error = decode_dot_pairs("version vector", entries)) return error;
    std::vector<Dot> cloud;
    if (auto error = decode_dot_pairs("dot cloud", cloud)) return error;
    context = CausalContext::from_parts(std::move(entries), std::move(cloud));
    return std::nullopt;
  }

  std::optional<Error> decode_entities(EntityMap& map) {
    std::uint32_t count;
    if (auto error = read_array(reader_, "entity list", count)) return error;
    if (count % 3 != 0) return malformed("entity list must hold triples");
    map.reserve(std::min<std::size_t>(count, reader_.remaining()) / 3);
    const std::string* previous = nullptr;
    for (std::uint32_t i = 0; i < count; i += 3) {
      MsgpackElement id;
      if (auto error = read(reader_, id)) return error;
      if (id.kind != MsgpackKind::str) return malformed("an entity id must be a string");
      std::string key(id.text());
      if (previous && !(*previous < key)) return malformed("entities must be sorted by id");
      EntityState entity;
      if (auto error = decode_dot_pairs("entity dots", entity.dots)) return error;
      std::sort(entity.dots.begin(), entity.dots.end());
      if (std::adjacent_find(entity.dots.begin(), entity.dots.end()) != entity.dots.end()) {
        return malformed("an entity lists a dot twice");
      }
      if (auto error = decode_groups(entity)) return error;
      auto [it, inserted] = map.emplace(std::move(key), std::move(entity));
      previous = &it->first;
    }
    return std::nullopt;
  }

  std::optional<Error> decode_groups(EntityState& entity) {
    std::uint32_t group_count;
    if (auto error = read_array(reader_, "field groups", group_count)) return error;
    // One group, the common case (an entity whose fields one transaction
    // wrote): its shape's keys increase, so they go straight into the map.
    std::vector<std::pair<FieldKey, FieldMap::Register>> fields;
    for (std::uint32_t g = 0; g < group_count; ++g) {
      std::uint32_t size;
      if (auto error = read_array(reader_, "a field group", size)) return error;
      if (size < 2) return malformed("a field group is [stamp, shape, values...]");
      Stamp stamp;
      if (auto error = decode_stamp(entity, stamp)) return error;
      std::size_t shape = 0;
      if (auto error = decode_shape(shape)) return error;
      const std::vector<FieldKey>& keys = shapes_[shape];
      if (size - 2 != keys.size())
        return malformed("a field group's values do not match its shape");
      if (group_count == 1) {
        entity.fields.reserve(keys.size());
        for (const FieldKey& key : keys) {
          // Read in place: a value is not moved on its way into the map.
          auto* reg = entity.fields.append_sorted_slot(key, stamp);
          if (!reg) return malformed("shape keys must increase");
          if (auto error = decode_value(reg->value)) return error;
        }
        return std::nullopt;
      }
      for (const FieldKey& key : keys) {
        std::optional<FieldValue> value;
        if (auto error = decode_value(value)) return error;
        fields.emplace_back(key, FieldMap::Register{std::move(value), stamp});
      }
    }
    auto map = build_fields(std::move(fields));
    if (!map) return map.error();
    entity.fields = std::move(*map);
    return std::nullopt;
  }

  std::optional<Error> decode_stamp(const EntityState& entity, Stamp& stamp) {
    MsgpackElement element;
    if (auto error = read(reader_, element)) return error;
    if (element.kind == MsgpackKind::uint) {
      if (entity.dots.empty()) return malformed("a short stamp needs an entity dot");
      const Dot dot = entity.dots.front();
      std::uint64_t counter;
      if (auto error = checked_sum(dot.seq, element.uint, counter)) return error;
      stamp = Stamp{counter, dot.replica, dot.seq};
      return std::nullopt;
    }
    if (element.kind != MsgpackKind::array) return malformed("a stamp must be an array");
    if (element.count != 3) return malformed("a stamp is [replica, seq, counter - seq]");
    Dot dot;
    if (auto error = decode_dot(dot)) return error;
    std::uint64_t offset;
    if (auto error = read_uint(reader_, "a counter offset", offset)) return error;
    std::uint64_t counter;
    if (auto error = checked_sum(dot.seq, offset, counter)) return error;
    stamp = Stamp{counter, dot.replica, dot.seq};
    return std::nullopt;
  }

  std::optional<Error> decode_shape(std::size_t& shape) {
    MsgpackElement element;
    if (auto error = read(reader_, element)) return error;
    if (element.kind == MsgpackKind::uint) {
      if (element.uint >= shapes_.size()) return malformed("a shape index is out of range");
      shape = static_cast<std::size_t>(element.uint);
      return std::nullopt;
    }
    if (element.kind != MsgpackKind::array) return malformed("a shape must be an array");
    if (element.count == 0) return malformed("a shape names at least one field");
    std::vector<FieldKey> keys;
    keys.reserve(std::min<std::size_t>(element.count, reader_.remaining()));
    for (std::uint32_t i = 0; i < element.count; ++i) {
      FieldKey key;
      if (auto error = read_field_key(reader_, key)) return error;
      if (!keys.empty() && !(keys.back() < key)) return malformed("shape keys must increase");
      keys.push_back(std::move(key));
    }
    shapes_.push_back(std::move(keys));
    shape = shapes_.size() - 1;
    return std::nullopt;
  }

  MsgpackReader& reader_;
  bool with_strings_;
  std::vector<ReplicaId> replicas_;
  std::vector<std::string_view> strings_;
  std::vector<std::vector<FieldKey>> shapes_;
};

// ---------------------------------------------------------- transaction form

std::optional<Error> parse_transaction_entities(MsgpackReader& reader, EntityKind kind,
                                                TransactionDelta& delta) {
  std::uint32_t count;
  if (auto error = read_array(reader, "entity list", count)) return error;
  if (count % 2 != 0) return malformed("entity list must hold pairs");
  // An index, not a pointer: entities may reallocate as it grows.
  std::optional<std::size_t> previous;
  for (std::uint32_t i = 0; i < count; i += 2) {
    std::string_view id;
    if (auto error = read_str(reader, "an entity id must be a string", id)) return error;
    std::uint32_t body;
    if (auto error = read_array(reader, "an entity body", body)) return error;
    if (delta.entity_count == delta.entities.size()) delta.entities.emplace_back();
    TransactionEntity& entity = delta.entities[delta.entity_count];
    entity.kind = kind;
    entity.id.assign(id);
    entity.fields.clear();
    if (auto error = validate_id(entity.id)) return error;
    if (previous && !(delta.entities[*previous].id < entity.id)) {
      return malformed("entities must be sorted by id");
    }
    std::uint32_t at = 0;
    entity.added = body % 2 == 1;
    if (entity.added) {
      MsgpackElement flag;
      if (auto error = read(reader, flag)) return error;
      if (flag.kind != MsgpackKind::boolean || !flag.boolean) {
        return malformed("an entity body starts with true or a field key");
      }
      at = 1;
    }
    if (body == 0) return malformed("an entity holds neither dots nor fields");
    for (; at < body; at += 2) {
      // Read in place: the entry is dropped with the rest should reading fail.
      auto& [key, value] = entity.fields.emplace_back();
      if (auto error = read_field_key(reader, key)) return error;
      if (auto error = validate_field_key(key)) return error;
      const std::size_t fields = entity.fields.size();
      if (fields > 1 && !(entity.fields[fields - 2].first < key)) {
        return malformed("field keys must increase");
      }
      if (auto error = codec::read_field_value(reader, value)) return error;
    }
    previous = delta.entity_count;
    ++delta.entity_count;
  }
  return std::nullopt;
}

std::optional<Error> parse_removed_dots(MsgpackReader& reader, TransactionDelta& delta) {
  std::uint32_t count;
  if (auto error = read_array(reader, "removed dots", count)) return error;
  if (count % 2 != 0) return malformed("removed dots must be pairs");
  std::optional<Dot> previous;
  for (std::uint32_t i = 0; i < count; i += 2) {
    std::uint64_t replica;
    if (auto error = read_uint(reader, "a replica id", replica)) return error;
    std::uint64_t seq;
    if (auto error = read_uint(reader, "a sequence number", seq)) return error;
    const Dot dot{ReplicaId{replica}, seq};
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
  return std::nullopt;
}

// Parses and fully validates a transaction-form message into `delta`
// (whose buffers are reused). Nothing is joined anywhere until it succeeds.
std::optional<Error> parse_transaction(MsgpackReader& reader, std::uint32_t parts,
                                       TransactionDelta& delta) {
  if (parts < 4 || parts > 7) return malformed("transaction form has 4 to 7 elements");
  std::uint64_t replica;
  if (auto error = read_uint(reader, "the replica id", replica)) return error;
  if (replica == 0) return malformed("replica id 0 is reserved");
  std::uint64_t seq;
  if (auto error = read_uint(reader, "the sequence number", seq)) return error;
  if (seq == 0) return malformed("sequence numbers start at 1");
  std::uint64_t offset;
  if (auto error = read_uint(reader, "the counter offset", offset)) return error;
  std::uint64_t counter;
  if (auto error = checked_sum(seq, offset, counter)) return error;
  if (counter > limits::kMaxCounter) {
    return make_error(ErrorCode::limit_exceeded, "a stamp counter is beyond the limit");
  }
  delta.stamp = Stamp{counter, ReplicaId{replica}, seq};
  delta.seen.clear();
  delta.seen.insert(delta.stamp.dot());
  delta.own_dot = DotSet{delta.stamp.dot()};
  delta.entity_count = 0;
  for (std::uint32_t part = 4; part < parts && part < 6; ++part) {
    const EntityKind kind = part == 4 ? EntityKind::node : EntityKind::edge;
    if (auto error = parse_transaction_entities(reader, kind, delta)) return error;
  }
  if (parts == 7) return parse_removed_dots(reader, delta);
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

// ------------------------------------------------------------------ envelope

// A message's root array and format.
struct Envelope {
  std::uint64_t format = 0;
  std::uint32_t parts = 0;  // elements of the root array, the format included
};

std::optional<Error> open_message(MsgpackReader& reader, Envelope& envelope) {
  if (!reader.next_array(envelope.parts)) {
    MsgpackElement root;
    if (auto error = read(reader, root)) return error;
    if (root.kind != MsgpackKind::array) return malformed("a message is a non-empty array");
    envelope.parts = root.count;
  }
  if (envelope.parts == 0) return malformed("a message is a non-empty array");
  if (!reader.next_uint(envelope.format)) {
    MsgpackElement format;
    if (auto error = read(reader, format)) return error;
    if (format.kind != MsgpackKind::uint) return malformed("format must be an integer");
    envelope.format = format.uint;
  }
  if (envelope.format != kStateFormatV1 && envelope.format != kTransactionFormatV1 &&
      envelope.format != kStateFormatV2) {
    return make_error(ErrorCode::unsupported_version,
                      "format " + std::to_string(envelope.format) + " is not supported");
  }
  return std::nullopt;
}

// Reads one whole message, joining nothing: the transaction form into
// `delta`, the state form into a GraphDoc handed to `on_state` once the whole
// message has been read. Every error passes the msgpack check, whose faults
// come first.
template <class OnState>
std::optional<Error> read_message(std::span<const std::uint8_t> bytes, TransactionDelta& delta,
                                  OnState&& on_state) {
  if (bytes.size() > limits::kMaxEncodedBytes) {
    return make_error(ErrorCode::limit_exceeded, "encoded state is too large");
  }
  if (bytes.empty()) return malformed("empty input");
  MsgpackReader reader(bytes);
  Envelope envelope;
  std::optional<Error> error = open_message(reader, envelope);
  if (!error && envelope.format == kTransactionFormatV1) {
    error = parse_transaction(reader, envelope.parts, delta);
    if (!error && !reader.at_end()) error = malformed("trailing bytes after the message");
    if (!error) return std::nullopt;
  } else if (!error) {
    auto decoded = StateDecoder(reader, envelope.format).decode(envelope.parts);
    if (!decoded) {
      error = decoded.error();
    } else if (!reader.at_end()) {
      error = malformed("trailing bytes after the message");
    } else {
      on_state(std::move(*decoded));
      return std::nullopt;
    }
  }
  if (auto fault = codec::check_encoding(bytes, limits::kMaxValueDepth + 8)) return fault;
  return error;
}

// Shared checks (entity_validation.cpp) call bad input invalid_argument; from
// a decoder's point of view that input is malformed bytes.
Error as_decode_error(Error error) {
  if (error.code == ErrorCode::invalid_argument) error.code = ErrorCode::malformed;
  return error;
}

Result<GraphDoc> decode_bytes(std::span<const std::uint8_t> bytes) {
  std::optional<GraphDoc> state;
  TransactionDelta delta;
  auto keep = [&](GraphDoc&& decoded) { state.emplace(std::move(decoded)); };
  if (auto error = read_message(bytes, delta, keep)) return *error;
  if (state) return std::move(*state);
  return transaction_to_doc(delta);
}

// The transaction buffers reused by every join_encoded on this thread (no
// state carries over from one call to the next).
TransactionDelta& transaction_scratch() {
  thread_local TransactionDelta delta;
  return delta;
}

}  // namespace

Result<GraphDoc> decode(std::span<const std::uint8_t> bytes) {
  auto decoded = decode_bytes(bytes);
  if (!decoded) return as_decode_error(decoded.error());
  return decoded;
}

std::optional<Error> join_encoded(GraphDoc& doc, std::span<const std::uint8_t> bytes) {
  // Most messages write fields of one node (field_write_message.hpp).
  thread_local FieldWriteMessage field_write;
  MsgpackReader reader(bytes);
  if (read_field_write_head(reader, field_write)) {
    doc.nodes_.prefetch(field_write.id_hash);
    if (read_field_write_fields(reader, field_write) && doc.join_field_write(field_write)) {
      return std::nullopt;
    }
  }
  TransactionDelta& delta = transaction_scratch();
  bool state_form = false;
  auto join_state = [&](GraphDoc&& state) {
    state_form = true;
    doc.join(std::move(state));
  };
  if (auto error = read_message(bytes, delta, join_state)) {
    return as_decode_error(std::move(*error));
  }
  if (!state_form) doc.join_from(delta);
  return std::nullopt;
}

}  // namespace trellis::crdt
