#pragma once
// WorkspaceReplica: the server's replica of one workspace's document, with
// its delta log. It applies deltas from clients and computes what a
// reconnecting client lacks. Pure: the host (trellisd, or a simulated
// network in tests) owns threading, storage and sockets.

#include <cstdint>
#include <functional>
#include <optional>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/messages.hpp"

namespace trellis::sync {

class WorkspaceReplica {
 public:
  // `loaded`: the state read from storage (or empty for a new workspace).
  WorkspaceReplica(ReplicaId server, crdt::GraphDoc loaded = {},
                   std::size_t log_bytes = DeltaLog::kDefaultMaxBytes);

  ReplicaId replica() const { return doc_.replica(); }
  const crdt::GraphDoc& doc() const { return doc_; }
  const DeltaLog& log() const { return log_; }
  // Counts the changes to doc(): it rises with every delta that brought
  // something new and every edit (even one that changed nothing or failed),
  // so something derived from doc() is current while this is as it was.
  std::uint64_t changes() const { return changes_; }

  // What a replica that has seen `known` lacks, as one encoded delta: the
  // whole state when `known` is empty; else the log's missing entries
  // joined, or delta_since when the log does not reach back far enough or
  // the peer lacks at least as many entries as the document has entities
  // (diffing the state is then the cheaper way). The whole state's encoding
  // is kept until the next change, so fresh clients joining an unchanged
  // workspace one after another cost one encoding, not one each.
  Bytes catch_up_for(const CausalContext& known) const;

  // Joins a client's delta. `origin` is the client's replica: every dot the
  // message says it covers must be the origin's own and lie in the delta's
  // context. Returns whether it brought events this replica had not seen
  // (a duplicate brings none and need not be stored or forwarded).
  crdt::Result<bool> apply(const DeltaMessage& message, ReplicaId origin);

  // An edit the server makes itself, on behalf of a client that does not
  // speak this protocol (the Socket.IO adapter): `edit` runs one mutator on
  // the server's replica. Returns the delta message to forward and store
  // (covers = the server's transaction dot), or nullopt when the edit
  // changed nothing. The server's replica id must never be reused after a
  // crash (trellisd picks a random one per load), or a dot could name two
  // different edits.
  crdt::Result<std::optional<DeltaMessage>> edit(
      const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit);

 private:
  // crdt::encode(doc_), or empty when doc_ changed since it was taken.
  const Bytes& state_encoding() const;

  crdt::GraphDoc doc_;
  DeltaLog log_;
  mutable Bytes state_encoding_;
  std::uint64_t changes_ = 0;
};

}  // namespace trellis::sync
