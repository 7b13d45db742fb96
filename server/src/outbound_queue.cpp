#include "outbound_queue.hpp"

#include <algorithm>
#include <variant>
#include <vector>

#include "outbound_bound.hpp"
#include "trellis/crdt/causal_context.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::server {
namespace {

// Halfway from `pending` to `hard`, never below `soft`.
std::size_t halfway(std::size_t pending, std::size_t soft, std::size_t hard) {
  if (pending >= hard) return hard;
  return std::max(soft, pending + (hard - pending) / 2);
}

}  // namespace

OutboundQueue::OutboundQueue(std::size_t hard_limit_bytes, std::size_t max_entries,
                             std::size_t max_frame_bytes)
    : hard_limit_(hard_limit_bytes),
      max_entries_(std::max<std::size_t>(max_entries, 2)),
      max_frame_bytes_(max_frame_bytes) {
  reset_merge_thresholds();
}

PushResult OutboundQueue::push_control(Frame frame) {
  return push(Kind::control, std::move(frame), {});
}

PushResult OutboundQueue::push_delta(Frame frame) {
  return push(Kind::delta, std::move(frame), {});
}

PushResult OutboundQueue::push_presence(std::string_view user_id, Frame frame) {
  return push(Kind::presence, std::move(frame), user_id);
}

PushResult OutboundQueue::push(Kind kind, Frame frame, std::string_view user_id) {
  if (!frame) return PushResult::queued;  // nothing to send
  const bool was_empty = entries_.empty();
  if (kind == Kind::presence) {
    if (auto pending = presence_.find(user_id); pending != presence_.end()) erase(pending->second);
  }
  pending_bytes_ += frame->size();
  entries_.push_back(Entry{kind, std::move(frame), std::string(user_id)});
  if (kind == Kind::delta) ++delta_count_;
  if (kind == Kind::presence) presence_.emplace(std::string(user_id), std::prev(entries_.end()));
  if (was_empty) return PushResult::queued;

  PushResult result = PushResult::queued;
  if (backlog_bytes() > merge_bytes_threshold_ || entries_.size() > merge_entries_threshold_) {
    if (delta_count_ >= 2 && merge_deltas()) result = PushResult::merged;
    raise_merge_thresholds();
  }
  if (over_hard_limits()) {
    drop_presence();
    if (over_hard_limits()) return PushResult::overflow;
  }
  return result;
}

Frame OutboundQueue::pop() {
  if (entries_.empty()) return nullptr;
  Frame frame = entries_.front().frame;
  erase(entries_.begin());
  if (backlog_bytes() <= soft_limit() && entries_.size() <= max_entries_ / 2) {
    reset_merge_thresholds();
  }
  return frame;
}

std::vector<Frame> OutboundQueue::pop_batch(std::size_t max_batch_bytes) {
  std::vector<Frame> batch;
  std::size_t batch_bytes = sync::kBatchHeaderBytes;
  while (!entries_.empty() && batch.size() < sync::limits::kMaxBatchMessages) {
    const std::size_t entry_bytes = sync::batch_entry_bytes(entries_.front().frame->size());
    if (!batch.empty() && batch_bytes + entry_bytes > max_batch_bytes) break;
    batch_bytes += entry_bytes;
    batch.push_back(pop());
  }
  return batch;
}

void OutboundQueue::clear() {
  entries_.clear();
  presence_.clear();
  pending_bytes_ = 0;
  delta_count_ = 0;
  reset_merge_thresholds();
}

OutboundQueue::Entries::iterator OutboundQueue::erase(Entries::iterator entry) {
  pending_bytes_ -= entry->frame->size();
  if (entry->kind == Kind::delta) --delta_count_;
  if (entry->kind == Kind::presence) presence_.erase(entry->user_id);
  return entries_.erase(entry);
}

bool OutboundQueue::merge_deltas() {
  crdt::GraphDoc group;
  crdt::CausalContext covers;
  std::vector<Entries::iterator> parts;
  std::size_t parts_bytes = 0;
  // Not the oldest frame: it is exempt from the bound (outbound_bound.hpp),
  // and a merge into it would move the whole backlog out of the bound.
  for (auto entry = std::next(entries_.begin()); entry != entries_.end(); ++entry) {
    if (entry->kind != Kind::delta) continue;
    auto message = sync::decode_message(*entry->frame, max_frame_bytes_);
    if (!message) continue;
    const auto* delta = std::get_if<sync::DeltaMessage>(&*message);
    if (delta == nullptr || crdt::join_encoded(group, delta->delta)) continue;
    covers.join(delta->covers);
    parts.push_back(entry);
    parts_bytes += entry->frame->size();
  }
  if (parts.size() < 2) return false;

  auto merged = std::make_shared<const crdt::Bytes>(
      sync::encode_message(sync::DeltaMessage{crdt::encode(group), std::move(covers)}));
  if (merged->size() >= parts_bytes || merged->size() > max_frame_bytes_) return false;

  // The earliest part's slot keeps the frame; the others go.
  pending_bytes_ = pending_bytes_ - parts.front()->frame->size() + merged->size();
  parts.front()->frame = std::move(merged);
  for (auto part = std::next(parts.begin()); part != parts.end(); ++part)
    erase(*part);
  return true;
}

void OutboundQueue::drop_presence() {
  for (auto entry = entries_.begin(); entry != entries_.end();)
    entry = entry->kind == Kind::presence ? erase(entry) : std::next(entry);
}

bool OutboundQueue::over_hard_limits() const {
  if (entries_.size() > max_entries_) return true;
  return backlog_over_bound(pending_bytes_, oldest_bytes(), hard_limit_);
}

std::size_t OutboundQueue::oldest_bytes() const {
  return entries_.empty() ? 0 : entries_.front().frame->size();
}

void OutboundQueue::raise_merge_thresholds() {
  merge_bytes_threshold_ = halfway(backlog_bytes(), soft_limit(), hard_limit_);
  merge_entries_threshold_ = halfway(entries_.size(), max_entries_ / 2, max_entries_);
}

void OutboundQueue::reset_merge_thresholds() {
  merge_bytes_threshold_ = soft_limit();
  merge_entries_threshold_ = max_entries_ / 2;
}

}  // namespace trellis::server
