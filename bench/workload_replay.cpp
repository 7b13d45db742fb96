#include "workload_replay.hpp"

#include <cstdint>
#include <optional>
#include <string>

#include "bench_failure.hpp"
#include "doc_canonical_state.hpp"
#include "doc_mutations.hpp"
#include "op_lines.hpp"

namespace trellis::bench {

std::span<const std::uint8_t> UpdateLog::message(std::size_t index) const {
  const MessageEnd at = message_ends[index];
  const bool first_in_block = index == 0 || message_ends[index - 1].block != at.block;
  const std::size_t begin = first_in_block ? 0 : message_ends[index - 1].end;
  return std::span<const std::uint8_t>(blocks[at.block]).subspan(begin, at.end - begin);
}

std::size_t UpdateLog::total_bytes() const {
  std::size_t total = 0;
  for (const crdt::Bytes& block : blocks)
    total += block.size();
  return total;
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
  // the sink, as a JS library's update array is copied into the log. A new
  // block starts when the current one has less than this left; an update
  // larger than that grows its block (a copy of at most one block).
  constexpr std::size_t kHeadroom = 1024;
  for (const Op& op : ops) {
    if (log.blocks.empty() || log.blocks.back().size() + kHeadroom > UpdateLog::kBlockBytes) {
      log.blocks.emplace_back().reserve(UpdateLog::kBlockBytes);
    }
    crdt::Bytes& block = log.blocks.back();
    apply_and_encode(doc, op, block);
    if (block.size() > UINT32_MAX) throw BenchFailure("an update block past 4 GiB");
    log.message_ends.push_back(
        UpdateLog::MessageEnd{static_cast<std::uint32_t>(log.blocks.size() - 1),
                              static_cast<std::uint32_t>(block.size())});
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
