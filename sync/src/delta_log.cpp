#include "trellis/sync/delta_log.hpp"

#include <algorithm>

namespace trellis::sync {

bool context_includes(const crdt::CausalContext& outer, const crdt::CausalContext& inner) {
  const auto& cloud = outer.cloud();
  for (const auto& [replica, seq] : inner.version_vector().entries()) {
    const std::uint64_t covered = outer.version_vector().get(replica);
    if (covered >= seq) continue;
    // Dots covered+1..seq must all be in outer's cloud, which is sorted.
    auto first = std::lower_bound(cloud.begin(), cloud.end(), crdt::Dot{replica, covered + 1});
    auto last = std::upper_bound(cloud.begin(), cloud.end(), crdt::Dot{replica, seq});
    if (static_cast<std::uint64_t>(last - first) != seq - covered) return false;
  }
  return std::all_of(inner.cloud().begin(), inner.cloud().end(),
                     [&](const crdt::Dot& dot) { return outer.contains(dot); });
}

DeltaLog::DeltaLog(std::size_t max_bytes, crdt::CausalContext horizon)
    : max_bytes_(max_bytes), horizon_(std::move(horizon)) {}

void DeltaLog::append(crdt::CausalContext covers, crdt::Bytes delta) {
  bytes_ += delta.size();
  entries_.push_back(Entry{std::move(covers), std::move(delta)});
  while (bytes_ > max_bytes_ && !entries_.empty()) {
    horizon_.join(entries_.front().covers);
    bytes_ -= entries_.front().delta.size();
    entries_.pop_front();
  }
}

std::optional<std::vector<const DeltaLog::Entry*>> DeltaLog::missing_for(
    const crdt::CausalContext& known) const {
  if (!context_includes(known, horizon_)) return std::nullopt;
  std::vector<const Entry*> missing;
  for (const Entry& entry : entries_) {
    if (!context_includes(known, entry.covers)) missing.push_back(&entry);
  }
  return missing;
}

}  // namespace trellis::sync
