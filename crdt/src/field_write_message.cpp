#include "field_write_message.hpp"

#include "assign_scalar.hpp"
#include "entity_validation.hpp"
#include "json_codec.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/limits.hpp"
#include "trellis/crdt/msgpack_reader.hpp"
#include "well_known_fields.hpp"

namespace trellis::crdt {

namespace {

// A field key in either of its short forms: a data key's name, or a
// well-known top-level field's index. (The long form [name] is rare.)
bool read_key(MsgpackReader& reader, FieldKeyView& key) {
  if (reader.next_str(key.name)) {
    key.scope = FieldKey::Scope::data;
    return is_valid_field_name(key.name);
  }
  std::uint64_t index;
  if (!reader.next_uint(index) || index >= codec::kWellKnownFields.size()) return false;
  key.scope = FieldKey::Scope::top;
  key.name = codec::kWellKnownFields[index];
  return true;
}

bool read_value(MsgpackReader& reader, FieldWriteValue& value) {
  if (reader.next_uint(value.uint)) {
    value.kind = FieldWriteValue::Kind::uint;
    return true;
  }
  if (reader.next_str(value.text)) {
    value.kind = FieldWriteValue::Kind::text;
    // codec::check_text's predicate, without building its error.
    return is_valid_text(value.text);
  }
  MsgpackReader ahead = reader;
  std::int8_t type;
  std::span<const std::uint8_t> payload;
  if (ahead.next_fixext(type, payload) && type == codec::kDecimalExt) {
    value.kind = FieldWriteValue::Kind::number;
    reader = ahead;
    return codec::read_decimal(payload, value.number);
  }
  value.kind = FieldWriteValue::Kind::decoded;
  return !codec::read_field_value(reader, value.decoded);
}

}  // namespace

// Inline into join_field_write: a call per written field, for a few stores.
inline void FieldWriteValue::write_to(std::optional<FieldValue>& target) {
  switch (kind) {
    case Kind::uint:
      assign_scalar(target, uint);
      return;
    case Kind::text:
      assign_scalar(target, text);
      return;
    case Kind::number:
      assign_scalar(target, number);
      return;
    case Kind::decoded:
      target = std::move(decoded);
      return;
  }
}

bool read_field_write_head(MsgpackReader& reader, FieldWriteMessage& message) {
  if (reader.remaining() > limits::kMaxEncodedBytes) return false;
  // [format, replica, seq, counter - seq, [id, [key, value, ...]]]: nodes
  // only (five parts), one node, no dots (an even body), no removed dots.
  std::uint32_t parts;
  std::uint64_t format;
  if (!reader.next_array(parts) || parts != 5) return false;
  if (!reader.next_uint(format) || format != kTransactionFormatV1) return false;
  std::uint64_t replica;
  std::uint64_t seq;
  std::uint64_t offset;
  if (!reader.next_uint(replica) || replica == 0) return false;
  if (!reader.next_uint(seq) || seq == 0 || seq > limits::kMaxCounter) return false;
  if (!reader.next_uint(offset) || offset > limits::kMaxCounter) return false;
  const std::uint64_t counter = seq + offset;  // both at most 2^53: no wrap
  if (counter > limits::kMaxCounter) return false;
  message.stamp = Stamp{counter, ReplicaId{replica}, seq};

  std::uint32_t entities;
  if (!reader.next_array(entities) || entities != 2) return false;
  if (!reader.next_str(message.id) || !is_valid_id(message.id)) return false;
  message.id_hash = EntityMap::hash_of(message.id);
  return true;
}

bool read_field_write_fields(MsgpackReader& reader, FieldWriteMessage& message) {
  std::uint32_t body;
  if (!reader.next_array(body) || body == 0 || body % 2 != 0) return false;
  message.field_count = body / 2;
  if (message.field_count > FieldWriteMessage::kMaxFields) return false;
  for (std::size_t i = 0; i < message.field_count; ++i) {
    FieldKeyView& key = message.keys[i];
    if (!read_key(reader, key)) return false;
    if (i > 0) {
      const FieldKeyView& previous = message.keys[i - 1];
      if (previous.scope > key.scope ||
          (previous.scope == key.scope && compare_names(previous.name, key.name) >= 0)) {
        return false;
      }
    }
    if (!read_value(reader, message.values[i])) return false;
  }
  return reader.at_end();
}

bool GraphDoc::join_field_write(FieldWriteMessage& message) {
  const Dot dot = message.stamp.dot();
  // A transaction seen before may have added or removed dots here: the
  // general join sorts that out. One not seen yet supports no dot here (the
  // dots of every entity lie in the context), so it removes nothing, adds
  // nothing, and no register holds its stamp. Its dot goes into the
  // context before the fields are merged: no step after that can fail.
  auto node = nodes_.find(message.id, message.id_hash);
  if (node == nodes_.end()) return false;
  if (!context_.insert_new(dot)) return false;
  FieldMap& fields = node->second.fields;
  for (std::size_t i = 0; i < message.field_count; ++i) {
    FieldWriteValue& value = message.values[i];
    fields.merge_view(message.keys[i], message.stamp,
                      [&](std::optional<FieldValue>& target) { value.write_to(target); });
  }
  clock_.observe(message.stamp.counter);
  return true;
}

}  // namespace trellis::crdt
