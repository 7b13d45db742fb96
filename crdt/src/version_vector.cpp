#include "trellis/crdt/version_vector.hpp"

#include <algorithm>

namespace trellis::crdt {

namespace {

auto find_entry(const std::vector<VersionVector::Entry>& entries, ReplicaId replica) {
  return std::lower_bound(
      entries.begin(), entries.end(), replica,
      [](const VersionVector::Entry& entry, ReplicaId id) { return entry.first < id; });
}

}  // namespace

std::uint64_t VersionVector::get_searched(ReplicaId replica) const {
  auto at = find_entry(entries_, replica);
  return at != entries_.end() && at->first == replica ? at->second : 0;
}

void VersionVector::raise(ReplicaId replica, std::uint64_t seq) {
  if (seq == 0) return;
  auto at = entries_.begin() + (find_entry(entries_, replica) - entries_.cbegin());
  if (at != entries_.end() && at->first == replica) {
    at->second = std::max(at->second, seq);
  } else {
    entries_.insert(at, Entry{replica, seq});
  }
}

bool VersionVector::advance_searched(ReplicaId replica, std::uint64_t seq) {
  auto at = entries_.begin() + (find_entry(entries_, replica) - entries_.cbegin());
  if (at != entries_.end() && at->first == replica) return advance_entry(*at, seq);
  if (seq != 1) return false;
  entries_.insert(at, Entry{replica, seq});
  return true;
}

void VersionVector::join(const VersionVector& other) {
  for (const auto& [replica, seq] : other.entries_)
    raise(replica, seq);
}

bool VersionVector::dominated_by(const VersionVector& other) const {
  return std::all_of(entries_.begin(), entries_.end(),
                     [&](const Entry& entry) { return entry.second <= other.get(entry.first); });
}

std::uint64_t VersionVector::event_count() const {
  // Saturates: a forged vector must not wrap around and look small.
  std::uint64_t total = 0;
  for (const auto& entry : entries_) {
    total = entry.second > UINT64_MAX - total ? UINT64_MAX : total + entry.second;
  }
  return total;
}

}  // namespace trellis::crdt
