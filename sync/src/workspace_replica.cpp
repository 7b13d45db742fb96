#include "trellis/sync/workspace_replica.hpp"

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/sync/transaction.hpp"

namespace trellis::sync {

namespace {

crdt::Error invalid(std::string message) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, std::move(message));
}

// A client may only originate its own events: every dot a delta adds and
// every stamp it writes must be the origin's, and covered by the message.
std::optional<crdt::Error> check_origin(const crdt::GraphDoc& delta, const CausalContext& covers,
                                        ReplicaId origin, const CausalContext& server_context) {
  // A client learns of other replicas' events only through the server, so
  // every foreign dot its delta mentions (a removal's observed dots) must be
  // one the server has: otherwise a forged "removal" of an event not yet
  // here would make the real event look like a duplicate later.
  std::vector<crdt::Dot> foreign_entries;
  std::vector<crdt::Dot> foreign_cloud;
  for (const auto& [replica, seq] : delta.context().version_vector().entries()) {
    if (replica != origin) foreign_entries.push_back(crdt::Dot{replica, seq});
  }
  for (const auto& dot : delta.context().cloud()) {
    if (dot.replica != origin) foreign_cloud.push_back(dot);
  }
  if (!context_includes(server_context, CausalContext::from_parts(std::move(foreign_entries),
                                                                  std::move(foreign_cloud)))) {
    return invalid("a delta mentions another replica's events the server has not seen");
  }
  if (covers.empty()) return invalid("a delta must cover at least one event");
  bool foreign = false;
  covers.for_each_dot([&](crdt::Dot dot) { foreign = foreign || dot.replica != origin; });
  if (foreign) return invalid("a delta may only cover the sender's own events");
  if (!context_includes(delta.context(), covers)) {
    return invalid("a delta covers events outside its context");
  }
  for (crdt::EntityKind kind : {crdt::EntityKind::node, crdt::EntityKind::edge}) {
    for (const auto& [id, entity] : delta.entities(kind)) {
      for (const auto& dot : entity.dots) {
        if (!covers.contains(dot)) return invalid("'" + id + "' is added by an uncovered event");
      }
      for (const auto& entry : entity.fields.entries()) {
        if (!covers.contains(entry.reg.stamp.dot())) {
          return invalid("'" + id + "' is written by an uncovered event");
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

WorkspaceReplica::WorkspaceReplica(ReplicaId server, crdt::GraphDoc loaded, std::size_t log_bytes)
    : doc_(server), log_(log_bytes, loaded.context()) {
  doc_.join(loaded);
}

Bytes WorkspaceReplica::catch_up_for(const CausalContext& known) const {
  // A peer that knows nothing lacks the whole state, which is what the
  // entries joined, or delta_since, would rebuild at length.
  if (known.empty()) return state_encoding();
  auto missing = log_.missing_for(known);
  // Re-decoding and joining an entry costs more than diffing one entity of
  // the state, so a peer that lacks as many entries as the document has
  // entities is served from the state instead.
  const std::size_t entities = doc_.nodes().size() + doc_.edges().size();
  if (!missing || (missing->size() > 1 && missing->size() >= entities)) {
    return crdt::encode(doc_.delta_since(known));
  }
  if (missing->size() == 1) {
    const auto delta = missing->front()->delta();
    return Bytes(delta.begin(), delta.end());
  }
  crdt::GraphDoc group;
  for (const DeltaLog::Entry* entry : *missing) {
    // Log entries were decoded when they were applied; they decode again.
    if (auto delta = crdt::decode(entry->delta())) group.join(*delta);
  }
  return crdt::encode(group);
}

const Bytes& WorkspaceReplica::state_encoding() const {
  // Never empty once taken: an encoding has at least its header.
  if (state_encoding_.empty()) state_encoding_ = crdt::encode(doc_);
  return state_encoding_;
}

crdt::Result<bool> WorkspaceReplica::apply(const DeltaMessage& message, ReplicaId origin) {
  auto delta = crdt::decode(message.delta);
  if (!delta) return delta.error();
  if (auto error = check_origin(*delta, message.covers, origin, doc_.context())) return *error;
  if (context_includes(doc_.context(), message.covers)) return false;
  doc_.join(*delta);
  state_encoding_.clear();
  ++changes_;
  log_.append(message.covers, message.delta);
  return true;
}

crdt::Result<std::optional<DeltaMessage>> WorkspaceReplica::edit(
    const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit) {
  // The mutator may have changed the document even when it failed.
  state_encoding_.clear();
  ++changes_;
  auto delta = edit(doc_);
  if (!delta) return delta.error();
  auto dot = transaction_dot(*delta, doc_.replica());
  if (!dot) return std::optional<DeltaMessage>();
  DeltaMessage message{crdt::encode(*delta), {}};
  message.covers.insert(*dot);
  log_.append(message.covers, message.delta);
  return std::optional<DeltaMessage>(std::move(message));
}

}  // namespace trellis::sync
