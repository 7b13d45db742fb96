#pragma once
// DeltaLog: the most recent deltas a replica has joined, encoded as they
// travelled, each with the transaction dots it covers. Anti-entropy serves
// a reconnecting peer from it: the entries whose dots the peer has not seen
// are exactly what it lacks, a few bytes per missed edit instead of the
// document. The log is bounded (bytes); evicted entries' dots move into
// horizon(), and a peer that has not seen all of horizon() is served by the
// fallback, GraphDoc::delta_since.

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/graph_codec.hpp"

namespace trellis::sync {

class DeltaLog {
 public:
  struct Entry {
    crdt::CausalContext covers;
    crdt::Bytes delta;
  };

  // `horizon`: the events of the state the log starts from (a loaded
  // snapshot); they are not in the log.
  explicit DeltaLog(std::size_t max_bytes = kDefaultMaxBytes, crdt::CausalContext horizon = {});

  void append(crdt::CausalContext covers, crdt::Bytes delta);

  // The entries a peer that has seen `known` lacks, oldest first, or nullopt
  // when the log does not reach back far enough (horizon() not within known).
  std::optional<std::vector<const Entry*>> missing_for(const crdt::CausalContext& known) const;

  const crdt::CausalContext& horizon() const { return horizon_; }
  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }

  static constexpr std::size_t kDefaultMaxBytes = 8u << 20;

 private:
  std::size_t max_bytes_;
  crdt::CausalContext horizon_;
  std::deque<Entry> entries_;
  std::size_t bytes_ = 0;
};

// True when every dot of `inner` is in `outer`.
bool context_includes(const crdt::CausalContext& outer, const crdt::CausalContext& inner);

}  // namespace trellis::sync
