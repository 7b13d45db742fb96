#pragma once
// DeltaLog: the most recent deltas a replica has joined, encoded as they
// travelled, each with the transaction dots it covers. Anti-entropy serves
// a reconnecting peer from it: the entries whose dots the peer has not seen
// are exactly what it lacks, a few bytes per missed edit instead of the
// document. The log is bounded by the memory its entries hold (not only
// their encodings); evicted entries' dots move into horizon(), and a peer
// that has not seen all of horizon() is served by the fallback,
// GraphDoc::delta_since.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::sync {

class DeltaLog {
 public:
  // One logged delta: its encoding and the dots it covers, kept as runs of
  // consecutive seqs of one replica, in one allocation. An edit covers one
  // dot, so it costs the entry (16 bytes) and one block of 24 bytes plus
  // its encoding, where a CausalContext and a byte vector would take
  // 72 bytes and two or three blocks: a server holds one log per workspace.
  class Entry {
   public:
    Entry(const crdt::CausalContext& covers, std::span<const std::uint8_t> delta);

    std::span<const std::uint8_t> delta() const;
    // True when `known` holds every dot this entry covers.
    bool seen_by(const crdt::CausalContext& known) const;
    // The dots this entry covers.
    crdt::CausalContext covers() const;
    // The memory this entry holds, as counted against the log's bound: the
    // entry itself, its block and the allocator's header of the block.
    std::size_t footprint() const;

   private:
    struct DotRun {
      crdt::ReplicaId replica;
      std::uint64_t first;
      std::uint64_t last;
    };
    std::span<const DotRun> runs() const;

    // run_count_ DotRuns, then delta_size_ bytes.
    std::unique_ptr<std::byte[]> block_;
    std::uint32_t run_count_ = 0;
    std::uint32_t delta_size_ = 0;
  };

  // `horizon`: the events of the state the log starts from (a loaded
  // snapshot); they are not in the log.
  explicit DeltaLog(std::size_t max_bytes = kDefaultMaxBytes, crdt::CausalContext horizon = {});

  // Logs `delta`, evicting the oldest entries while the log holds more
  // than its bound. A delta whose entry alone is past the bound is not
  // kept: its dots go straight to horizon().
  void append(const crdt::CausalContext& covers, std::span<const std::uint8_t> delta);

  // The entries a peer that has seen `known` lacks, oldest first, or nullopt
  // when the log does not reach back far enough (horizon() not within known).
  std::optional<std::vector<const Entry*>> missing_for(const crdt::CausalContext& known) const;

  const crdt::CausalContext& horizon() const { return horizon_; }
  std::size_t size() const { return entries_.size(); }
  // The memory the entries hold (Entry::footprint), never past the bound.
  std::size_t bytes() const { return bytes_; }

  static constexpr std::size_t kDefaultMaxBytes = 8u << 20;

 private:
  void evict_oldest();

  std::size_t max_bytes_;
  crdt::CausalContext horizon_;
  std::deque<Entry> entries_;
  std::size_t bytes_ = 0;
};

// True when every dot of `inner` is in `outer`.
bool context_includes(const crdt::CausalContext& outer, const crdt::CausalContext& inner);

}  // namespace trellis::sync
