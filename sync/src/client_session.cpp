#include "trellis/sync/client_session.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/sync/delta_log.hpp"
#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/transaction.hpp"

namespace trellis::sync {
namespace {

// The smallest dot of `context`, if any.
std::optional<crdt::Dot> smallest_dot(const CausalContext& context) {
  std::optional<crdt::Dot> smallest;
  for (const auto& [replica, seq] : context.version_vector().entries()) {
    const crdt::Dot first{replica, 1};
    if (seq > 0 && (!smallest || first < *smallest)) smallest = first;
  }
  if (!context.cloud().empty() && (!smallest || context.cloud().front() < *smallest)) {
    smallest = context.cloud().front();
  }
  return smallest;
}

// The largest sequence number of `replica` in `context` (0: none).
std::uint64_t last_seq(const CausalContext& context, crdt::ReplicaId replica) {
  std::uint64_t last = context.version_vector().get(replica);
  const auto& cloud = context.cloud();  // sorted
  auto past = std::upper_bound(cloud.begin(), cloud.end(),
                               crdt::Dot{replica, std::numeric_limits<std::uint64_t>::max()});
  if (past != cloud.begin() && std::prev(past)->replica == replica) {
    last = std::max(last, std::prev(past)->seq);
  }
  return last;
}

}  // namespace

ClientSession::ClientSession(ClientConfig config, crdt::GraphDoc replica, CausalContext received,
                             std::vector<OutboxEntry> outbox)
    : config_(std::move(config)),
      doc_(std::move(replica)),
      received_(std::move(received)),
      outbox_(std::move(outbox)) {}

crdt::Result<std::optional<Bytes>> ClientSession::edit(
    const std::function<crdt::Result<crdt::GraphDoc>(crdt::GraphDoc&)>& edit) {
  auto delta = edit(doc_);
  if (!delta) return delta.error();
  auto dot = transaction_dot(*delta, doc_.replica());
  if (!dot) return std::optional<Bytes>();  // the edit changed nothing
  return enqueue_local(*dot, crdt::encode(*delta));
}

crdt::Result<std::optional<Bytes>> ClientSession::set_node_data_scalar(
    std::string_view id, std::string_view key, const crdt::FieldScalar& value) {
  // The write takes this dot or, refused, none (it always changes a field).
  const crdt::Dot dot = doc_.context().next_dot(doc_.replica());
  Bytes delta;
  if (auto error = crdt::write_node_data_scalar(doc_, id, key, value, delta)) return *error;
  return enqueue_local(dot, std::move(delta));
}

std::optional<Bytes> ClientSession::enqueue_local(crdt::Dot dot, Bytes delta) {
  CausalContext covers;
  covers.insert(dot);
  received_.insert(dot);
  outbox_.push_back(OutboxEntry{covers, std::move(delta)});
  if (state_ != ConnectionState::online) return std::nullopt;
  return encode_message(DeltaMessage{outbox_.back().delta, covers});
}

Bytes ClientSession::on_connected() {
  state_ = ConnectionState::connecting;
  return encode_message(Hello{config_.protocol_version, config_.workspace_id, doc_.replica(),
                              config_.auth_token, received_, config_.client_name});
}

void ClientSession::on_disconnected() {
  state_ = ConnectionState::offline;
}

ClientOutput ClientSession::protocol_violation(ProtocolError code, std::string message) {
  ClientOutput out;
  out.to_server.push_back(encode_message(ErrorMessage{code, message, false}));
  out.error = ErrorMessage{code, std::move(message), false};
  out.close = true;
  return out;
}

void ClientSession::drop_acknowledged(const CausalContext& durable) {
  auto covered = [&](const OutboxEntry& entry) { return context_includes(durable, entry.covers); };
  // The outbox is in the order of its dots, and the server makes edits
  // durable in the order they arrive: an ack covers a prefix of it. The
  // prefix is skipped, not erased: erasing from the front of the vector moved
  // every later entry on every ack, quadratic in the edits in flight (4 s
  // of CPU for the acks of 16,000 in a release build, docs/performance.md).
  while (outbox_head_ < outbox_.size() && covered(outbox_[outbox_head_])) {
    outbox_[outbox_head_] = OutboxEntry{};  // frees its delta now
    ++outbox_head_;
  }
  // A durable context with dots past a gap can cover entries further on.
  // (So can a plain one, for an outbox restored out of dot order: such an
  // entry stays until the ones before it are acknowledged, and is resent
  // meanwhile on a reconnect, which the server acknowledges again.)
  // Only as far as an entry whose first dot is past every dot the ack holds
  // of that replica: in dot order, nothing after it can be covered. trellisd
  // acknowledges each delta with its own dot (a cloud, past the first), so
  // scanning to the end made every ack a pass over all the edits in flight:
  // quadratic again, 4.9 billion instructions for a client that sent 10,000
  // edits at once (docs/performance.md, "Native client acks").
  if (!durable.cloud().empty()) {
    const auto rest = outbox_.begin() + static_cast<std::ptrdiff_t>(outbox_head_);
    const auto end = std::find_if(rest, outbox_.end(), [&](const OutboxEntry& entry) {
      const auto first = smallest_dot(entry.covers);
      return first && first->seq > last_seq(durable, first->replica);
    });
    outbox_.erase(std::remove_if(rest, end, covered), end);
  }
  // Erasing the skipped entries once they are half of the vector moves at
  // most as many entries as were skipped: amortized O(1) per entry.
  if (outbox_head_ > 0 && outbox_head_ * 2 >= outbox_.size()) {
    outbox_.erase(outbox_.begin(), outbox_.begin() + static_cast<std::ptrdiff_t>(outbox_head_));
    outbox_head_ = 0;
  }
}

ClientOutput ClientSession::on_frame(std::span<const std::uint8_t> frame) {
  auto decoded = decode_message(frame, config_.max_frame_bytes);
  if (!decoded) {
    return protocol_violation(decoded.error().code,
                              "bad frame from server: " + decoded.error().message);
  }
  return on_message(*decoded);
}

ClientOutput ClientSession::on_message(const Message& message) {
  if (const auto* batch = std::get_if<Batch>(&message)) {
    ClientOutput out;
    for (const Message& part : batch->messages) {
      ClientOutput part_out = on_message(part);
      for (Bytes& frame : part_out.to_server)
        out.to_server.push_back(std::move(frame));
      out.document_changed = out.document_changed || part_out.document_changed;
      for (Presence& presence : part_out.presence)
        out.presence.push_back(std::move(presence));
      if (part_out.error) out.error = std::move(part_out.error);
      if (part_out.close) {
        out.close = true;
        break;
      }
    }
    return out;
  }
  ClientOutput out;

  if (const auto* error = std::get_if<ErrorMessage>(&message)) {
    out.error = *error;
    out.close = !out.error->keeps_open;
    return out;
  }
  if (state_ == ConnectionState::connecting) {
    const auto* welcome = std::get_if<Welcome>(&message);
    if (!welcome) return protocol_violation(ProtocolError::unexpected_message, "expected welcome");
    if (auto error = crdt::join_encoded(doc_, welcome->catch_up)) {
      return protocol_violation(ProtocolError::unexpected_message,
                                "bad catch-up delta: " + error->message);
    }
    // The catch-up holds everything the server had that we lacked.
    received_.join(welcome->context);
    user_ = welcome->user;
    state_ = ConnectionState::online;
    out.document_changed = true;
    // Every unacknowledged edit goes again, even one the server's context
    // already holds: its ack may have been lost with the old connection, and
    // the server answers a duplicate with an ack once it is durable.
    for (const OutboxEntry& entry : outbox()) {
      out.to_server.push_back(encode_message(DeltaMessage{entry.delta, entry.covers}));
    }
    return out;
  }
  if (state_ != ConnectionState::online) return out;

  if (const auto* delta = std::get_if<DeltaMessage>(&message)) {
    if (auto error = crdt::join_encoded(doc_, delta->delta)) {
      return protocol_violation(ProtocolError::unexpected_message,
                                "bad delta from server: " + error->message);
    }
    received_.join(delta->covers);
    out.document_changed = true;
    return out;
  }
  if (const auto* ack = std::get_if<Ack>(&message)) {
    drop_acknowledged(ack->durable);
    return out;
  }
  if (const auto* presence = std::get_if<Presence>(&message)) {
    out.presence.push_back(*presence);
    return out;
  }
  return protocol_violation(ProtocolError::unexpected_message, "unexpected message from server");
}

std::optional<Bytes> ClientSession::presence(const Json& state) const {
  if (state_ != ConnectionState::online) return std::nullopt;
  return encode_message(Presence{user_ ? user_->id : std::string(), state});
}

}  // namespace trellis::sync
