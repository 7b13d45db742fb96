#pragma once
// The steps the cases share: replaying a stream on a document, with or
// without capturing its updates, loading a snapshot into a fresh replica,
// applying captured updates, and the digest checks that make a run count.
// A case times a step by wrapping the call; the steps do nothing else, so
// the same code is what W2 times and what W4 runs as its setup.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "workload_ops.hpp"

namespace trellis::bench {

// Fixed by graph-workload.md §4 so that byte sizes are reproducible.
inline constexpr crdt::ReplicaId kBuilderReplica{1};
inline constexpr crdt::ReplicaId kReloadReplica{9};
inline constexpr crdt::ReplicaId kReceiverReplica{7};
inline constexpr crdt::ReplicaId kMergeReplicaA{2};
inline constexpr crdt::ReplicaId kMergeReplicaB{3};

// Every update of a stream, back to back in buffers of kBlockBytes ("written
// to the socket"), with where each message is. A full buffer is followed by
// a new one rather than grown: a buffer grown by doubling copies every byte
// again into fresh pages, about twice the update bytes in page faults, which
// a socket writer (or a JS engine's heap, which adds fixed-size pages) never
// pays.
struct UpdateLog {
  static constexpr std::size_t kBlockBytes = 64 * 1024;
  struct MessageEnd {
    std::uint32_t block;
    std::uint32_t end;  // in the block
  };
  std::vector<crdt::Bytes> blocks;
  std::vector<MessageEnd> message_ends;

  std::size_t message_count() const { return message_ends.size(); }
  std::span<const std::uint8_t> message(std::size_t index) const;
  std::size_t total_bytes() const;
};

// One transaction per op; the deltas are dropped (no update capture).
void apply_stream(crdt::GraphDoc& doc, const OpStream& ops);
// One transaction per op; each delta is encoded as it would be shipped and
// appended to the log.
UpdateLog apply_stream_capturing(crdt::GraphDoc& doc, const OpStream& ops);
// One transaction per op; the deltas are kept, in order.
std::vector<crdt::GraphDoc> apply_stream_keeping_deltas(crdt::GraphDoc& doc, const OpStream& ops);

crdt::Bytes encode_snapshot(const crdt::GraphDoc& doc);
// Joins the snapshot into a fresh replica `replica`.
crdt::GraphDoc load_snapshot(std::span<const std::uint8_t> snapshot, crdt::ReplicaId replica);
// Joins encoded `update` into `doc` with crdt::join_encoded, the library's
// receive path (decode + join, without building a GraphDoc for a
// transaction-form delta).
void apply_update(crdt::GraphDoc& doc, std::span<const std::uint8_t> update);
// Each message of the log in production order.
void apply_updates(crdt::GraphDoc& doc, const UpdateLog& log);

// Throw BenchFailure naming `what` when the digest differs.
void require_stream_digest(const OpStream& ops, std::string_view expected, std::string_view what);
void require_state_digest(const crdt::GraphDoc& doc, std::string_view expected,
                          std::string_view what);

}  // namespace trellis::bench
