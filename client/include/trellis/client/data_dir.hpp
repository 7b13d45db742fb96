#pragma once
// The native client's data directory beyond what ClientStore keeps in it: a
// replica id for a new directory, the workspace an existing one belongs to,
// and the lock that keeps two processes from writing one journal.

#include <cstdint>
#include <filesystem>
#include <string>

#include "trellis/crdt/replica_id.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::client {

// A fresh replica id: 64 random bits from getrandom(2), never 0. Two
// directories must never share one (crdt/replica_id.hpp), so it is not
// derived from anything a copy of the machine would repeat. An error only
// when the kernel offers no getrandom.
crdt::Result<crdt::ReplicaId> random_replica_id();

// The workspace a data directory belongs to, read from its snapshot (for
// commands given the directory alone). An error when the directory holds no
// store.
crdt::Result<std::string> stored_workspace_id(const std::filesystem::path& data_dir);

// An exclusive flock(2) on DIR/lock, held while the object lives: a second
// client on the same directory would interleave journal records.
class DataDirLock {
 public:
  static crdt::Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace trellis::client
