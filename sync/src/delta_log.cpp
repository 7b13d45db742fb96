#include "trellis/sync/delta_log.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

namespace trellis::sync {
namespace {

// What malloc keeps beside each block (glibc: one size word, 16-byte
// granules); counted so that the bound is on memory, not on payload.
constexpr std::size_t kAllocationOverhead = 16;
constexpr std::size_t kGranule = 16;

std::size_t round_up_to_granule(std::size_t bytes) {
  return (bytes + kGranule - 1) / kGranule * kGranule;
}

// True when `outer` holds every dot first..last of `replica`.
bool includes_run(const crdt::CausalContext& outer, crdt::ReplicaId replica, std::uint64_t first,
                  std::uint64_t last) {
  const std::uint64_t covered = outer.version_vector().get(replica);
  if (covered >= last) return true;
  const std::uint64_t from = std::max(first, covered + 1);
  // The rest must all be in outer's cloud, which is sorted and duplicate-free.
  const auto& cloud = outer.cloud();
  auto begin = std::lower_bound(cloud.begin(), cloud.end(), crdt::Dot{replica, from});
  auto end = std::upper_bound(begin, cloud.end(), crdt::Dot{replica, last});
  return static_cast<std::uint64_t>(end - begin) == last - from + 1;
}

// Calls f(replica, first, last) for each run of consecutive dots of
// `context`: one per version-vector entry, and one per run of its cloud.
template <class F>
void for_each_run(const crdt::CausalContext& context, F&& f) {
  for (const auto& [replica, seq] : context.version_vector().entries()) {
    if (seq != 0) f(replica, std::uint64_t{1}, seq);
  }
  const auto& cloud = context.cloud();
  for (std::size_t i = 0; i < cloud.size();) {
    std::size_t j = i + 1;
    while (j < cloud.size() && cloud[j].replica == cloud[i].replica &&
           cloud[j].seq == cloud[j - 1].seq + 1) {
      ++j;
    }
    f(cloud[i].replica, cloud[i].seq, cloud[j - 1].seq);
    i = j;
  }
}

}  // namespace

bool context_includes(const crdt::CausalContext& outer, const crdt::CausalContext& inner) {
  bool included = true;
  for_each_run(inner, [&](crdt::ReplicaId replica, std::uint64_t first, std::uint64_t last) {
    included = included && includes_run(outer, replica, first, last);
  });
  return included;
}

DeltaLog::Entry::Entry(const crdt::CausalContext& covers, std::span<const std::uint8_t> delta) {
  std::size_t runs = 0;
  for_each_run(covers, [&](crdt::ReplicaId, std::uint64_t, std::uint64_t) { ++runs; });
  // DeltaLog::append keeps no delta this large; the check keeps the sizes
  // honest whoever builds an entry.
  if (runs > std::numeric_limits<std::uint32_t>::max() ||
      delta.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("DeltaLog::Entry: delta or context too large");
  }
  run_count_ = static_cast<std::uint32_t>(runs);
  delta_size_ = static_cast<std::uint32_t>(delta.size());
  // A byte array provides the storage (aligned for DotRun by operator
  // new[]); the runs are constructed in it, the encoding copied after them.
  block_ = std::make_unique_for_overwrite<std::byte[]>(runs * sizeof(DotRun) + delta.size());
  std::byte* next = block_.get();
  for_each_run(covers, [&](crdt::ReplicaId replica, std::uint64_t first, std::uint64_t last) {
    ::new (next) DotRun{replica, first, last};
    next += sizeof(DotRun);
  });
  if (!delta.empty()) std::memcpy(next, delta.data(), delta.size());
}

std::span<const DeltaLog::Entry::DotRun> DeltaLog::Entry::runs() const {
  return {reinterpret_cast<const DotRun*>(block_.get()), run_count_};
}

std::span<const std::uint8_t> DeltaLog::Entry::delta() const {
  return {reinterpret_cast<const std::uint8_t*>(block_.get() + run_count_ * sizeof(DotRun)),
          delta_size_};
}

bool DeltaLog::Entry::seen_by(const crdt::CausalContext& known) const {
  return std::all_of(runs().begin(), runs().end(), [&](const DotRun& run) {
    return includes_run(known, run.replica, run.first, run.last);
  });
}

crdt::CausalContext DeltaLog::Entry::covers() const {
  std::vector<crdt::Dot> vector_entries;
  std::vector<crdt::Dot> cloud;
  for (const DotRun& run : runs()) {
    if (run.first == 1) {
      vector_entries.push_back(crdt::Dot{run.replica, run.last});
      continue;
    }
    for (std::uint64_t seq = run.first; seq <= run.last; ++seq)
      cloud.push_back(crdt::Dot{run.replica, seq});
  }
  return crdt::CausalContext::from_parts(std::move(vector_entries), std::move(cloud));
}

std::size_t DeltaLog::Entry::footprint() const {
  const std::size_t block = run_count_ * sizeof(DotRun) + delta_size_;
  return sizeof(Entry) + round_up_to_granule(block) + kAllocationOverhead;
}

DeltaLog::DeltaLog(std::size_t max_bytes, crdt::CausalContext horizon)
    : max_bytes_(max_bytes), horizon_(std::move(horizon)) {}

void DeltaLog::append(const crdt::CausalContext& covers, std::span<const std::uint8_t> delta) {
  if (delta.size() >= max_bytes_) {
    // Its entry alone would be past the bound: nothing before it can stay
    // either, and neither can it.
    while (!entries_.empty())
      evict_oldest();
    horizon_.join(covers);
    return;
  }
  entries_.emplace_back(covers, delta);
  bytes_ += entries_.back().footprint();
  while (bytes_ > max_bytes_)
    evict_oldest();
}

void DeltaLog::evict_oldest() {
  horizon_.join(entries_.front().covers());
  bytes_ -= entries_.front().footprint();
  entries_.pop_front();
}

std::optional<std::vector<const DeltaLog::Entry*>> DeltaLog::missing_for(
    const crdt::CausalContext& known) const {
  if (!context_includes(known, horizon_)) return std::nullopt;
  std::vector<const Entry*> missing;
  for (const Entry& entry : entries_) {
    if (!entry.seen_by(known)) missing.push_back(&entry);
  }
  return missing;
}

}  // namespace trellis::sync
