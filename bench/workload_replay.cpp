#include "workload_replay.hpp"

#include <optional>
#include <string>

#include "bench_failure.hpp"
#include "doc_canonical_state.hpp"
#include "doc_mutations.hpp"
#include "op_lines.hpp"

namespace trellis::bench {

std::span<const std::uint8_t> UpdateLog::message(std::size_t index) const {
  std::size_t begin = index == 0 ? 0 : message_ends[index - 1];
  return std::span<const std::uint8_t>(bytes).subspan(begin, message_ends[index] - begin);
}

void apply_stream(crdt::GraphDoc& doc, const OpStream& ops) {
  for (const Op& op : ops)
    apply_to_doc(doc, op);
}

UpdateLog apply_stream_capturing(crdt::GraphDoc& doc, const OpStream& ops) {
  UpdateLog log;
  log.message_ends.reserve(ops.size());
  // The library appends each update to the caller's buffer: the log is
  // that buffer, so an update is copied once, from where it is packed into
  // the sink, as a JS library's update array is copied into the log.
  for (const Op& op : ops) {
    apply_and_encode(doc, op, log.bytes);
    log.message_ends.push_back(log.bytes.size());
  }
  return log;
}

std::vector<crdt::GraphDoc> apply_stream_keeping_deltas(crdt::GraphDoc& doc, const OpStream& ops) {
  std::vector<crdt::GraphDoc> deltas;
  deltas.reserve(ops.size());
  for (const Op& op : ops)
    deltas.push_back(apply_to_doc(doc, op));
  return deltas;
}

crdt::Bytes encode_snapshot(const crdt::GraphDoc& doc) {
  crdt::Bytes snapshot;
  crdt::encode_state_to(doc, snapshot);
  return snapshot;
}

crdt::GraphDoc load_snapshot(std::span<const std::uint8_t> snapshot, crdt::ReplicaId replica) {
  crdt::GraphDoc doc(replica);
  apply_update(doc, snapshot);
  return doc;
}

void apply_update(crdt::GraphDoc& doc, std::span<const std::uint8_t> update) {
  if (std::optional<crdt::Error> error = crdt::join_encoded(doc, update)) {
    throw BenchFailure("join_encoded of " + std::to_string(update.size()) +
                       " bytes failed: " + error->message);
  }
}

void apply_updates(crdt::GraphDoc& doc, const UpdateLog& log) {
  for (std::size_t i = 0; i < log.message_count(); ++i)
    apply_update(doc, log.message(i));
}

void require_stream_digest(const OpStream& ops, std::string_view expected, std::string_view what) {
  std::string actual = stream_digest(ops);
  if (actual != expected) {
    throw BenchFailure(std::string(what) + " stream digest " + actual + " != expected " +
                       std::string(expected));
  }
}

void require_state_digest(const crdt::GraphDoc& doc, std::string_view expected,
                          std::string_view what) {
  std::string actual = state_digest(doc);
  if (actual != expected) {
    throw BenchFailure(std::string(what) + " state digest " + actual + " != expected " +
                       std::string(expected));
  }
}

}  // namespace trellis::bench
