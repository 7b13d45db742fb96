#pragma once
// OutboundQueue: the frames waiting to be written to ONE connection, which
// keeps exactly one write in flight and pops the next frame when that write
// completes. Single-threaded: it lives on its connection's strand. A
// connection whose peer reads batches takes several frames at once
// (pop_batch) and writes them as one `batch` frame.
//
// Frames are shared immutable buffers: a workspace encodes a delta once and
// pushes the same bytes to every connection.
//
// Three kinds of frames share one FIFO:
//   control   welcome, ack, error, server presence of joins and leaves:
//             sent in order, never merged or dropped.
//   delta     sync DeltaMessage frames: in order with control frames, but
//             mergeable (see the policy).
//   presence  one user's ephemeral state (cursor, selection): a newer
//             presence of a user removes that user's pending one and joins
//             the tail, so a peer sees only the latest state, after what
//             was queued before it.
//
// Slow-consumer policy. A peer that reads more slowly than its workspace
// changes makes the queue grow; the queue bounds it without losing edits:
//  1. Merge. When the backlog passes the soft limit (hard_limit / 2), or
//     pending entries pass max_entries / 2, every delta frame of the backlog
//     is decoded and the deltas joined into ONE DeltaMessage (the GraphDocs
//     joined, the `covers` contexts joined), which takes the place of the
//     earliest of them. CRDT deltas join, so the peer ends in the same state; repeated
//     edits of one field collapse to the last. The merged frame is kept only
//     if it is smaller than what it replaces and within max_frame_bytes.
//     After a merge the next one waits until the backlog (bytes or entries)
//     has grown by half of the remaining headroom, so a backlog that does not shrink is not
//     re-decoded on every push. push returns `merged` (count it as a
//     slow_consumer_merge).
//  2. Drop presence. If the backlog or the entries are still over the hard
//     limits, every pending presence frame is dropped: presence is
//     ephemeral and the next update replaces it.
//  3. Overflow. If still over, push returns `overflow`. The caller then
//     clear()s the queue, pushes the slow_consumer error as the only frame,
//     and closes once it is written. The peer reconnects and resyncs from
//     its causal context: nothing is lost.
// The backlog is what waits behind the oldest pending frame: the byte
// limits are on it, as on every outbound queue of trellisd
// (outbound_bound.hpp). The oldest frame is always accepted, whatever its
// size (bounded by max_frame_bytes), so a large welcome or delta still
// reaches the peer with what follows it, and it is never merged into. The
// frame being written has already left the queue.

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::server {

// One encoded frame, shared by every connection it is sent to.
using Frame = std::shared_ptr<const crdt::Bytes>;

enum class PushResult {
  queued,    // accepted
  merged,    // accepted, and the pending deltas were merged to make room
  overflow,  // the peer is too slow: close it with slow_consumer
};

class OutboundQueue {
 public:
  // Default cap on pending entries: with presence coalesced per user and
  // deltas merged it is reached only by a flood of control frames.
  static constexpr std::size_t kDefaultMaxEntries = 4096;

  // `hard_limit_bytes`: ServerConfig::outbound_queue_bytes.
  // `max_frame_bytes`: the largest frame the peer accepts; bounds merges.
  explicit OutboundQueue(std::size_t hard_limit_bytes, std::size_t max_entries = kDefaultMaxEntries,
                         std::size_t max_frame_bytes = sync::limits::kMaxFrameBytes);

  PushResult push_control(Frame frame);
  // `frame` must be an encoded sync DeltaMessage; a frame that does not
  // decode as one is still sent, but never merged.
  PushResult push_delta(Frame frame);
  PushResult push_presence(std::string_view user_id, Frame frame);

  // The next frame to write, or null when nothing is pending.
  Frame pop();
  // The frames to write next as one `batch` frame (sync::encode_batch), in
  // FIFO order: the first pending frame whatever its size, then the
  // following ones while the batch they make stays within
  // `max_batch_bytes` (sync::kBatchHeaderBytes plus sync::batch_entry_bytes
  // of each). Empty when nothing is pending. Taking frames off in a batch
  // changes nothing of the order or of the policy: it is pop() repeated.
  std::vector<Frame> pop_batch(std::size_t max_batch_bytes);
  // Drops every pending frame (after an overflow, before the error frame).
  void clear();

  std::size_t pending_bytes() const { return pending_bytes_; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::size_t soft_limit() const { return hard_limit_ / 2; }
  std::size_t hard_limit() const { return hard_limit_; }

 private:
  enum class Kind { control, delta, presence };
  struct Entry {
    Kind kind;
    Frame frame;
    std::string user_id;  // presence only
  };
  using Entries = std::list<Entry>;

  PushResult push(Kind kind, Frame frame, std::string_view user_id);
  Entries::iterator erase(Entries::iterator entry);
  // Step 1 of the policy; true when a merged frame replaced the deltas.
  bool merge_deltas();
  void drop_presence();
  bool over_hard_limits() const;
  std::size_t oldest_bytes() const;
  std::size_t backlog_bytes() const { return pending_bytes_ - oldest_bytes(); }
  // Moves the merge thresholds halfway from what is pending to the hard
  // limits (after a merge), or back to the soft limits (once drained).
  void raise_merge_thresholds();
  void reset_merge_thresholds();

  std::size_t hard_limit_;
  std::size_t max_entries_;
  std::size_t max_frame_bytes_;
  // Pending bytes and entries above which the next push merges.
  std::size_t merge_bytes_threshold_;
  std::size_t merge_entries_threshold_;
  std::size_t pending_bytes_ = 0;
  std::size_t delta_count_ = 0;
  Entries entries_;
  // The pending presence entry of each user.
  std::unordered_map<std::string, Entries::iterator, crdt::StringHash, std::equal_to<>> presence_;
};

}  // namespace trellis::server
