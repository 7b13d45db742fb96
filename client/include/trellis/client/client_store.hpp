#pragma once
// ClientStore: the native client's durable state in its data directory — the
// replica, the events it has received in full, and the outbox of local edits
// the server has not acknowledged — so that a client that crashes or
// restarts, online or offline, still has every edit it made and delivers it
// later.
//
// Layout of the directory:
//   snapshot   the whole state, rewritten by compact(): written to
//              snapshot.tmp, fsync'ed, renamed over snapshot, directory fsync'ed
//   journal    append-only records since the snapshot (local edit, remote
//              delta, ack), each [length u32][crc32 u32][msgpack payload],
//              fsync'ed before the call returns
// open() loads the snapshot, replays the journal, and cuts a torn or
// corrupt tail (a crash in the middle of an append) so later appends stay
// readable. Replaying is idempotent, so a crash between the snapshot's
// rename and the journal's truncation loses nothing and duplicates nothing.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/client_session.hpp"

namespace trellis::client {

using crdt::Bytes;
using crdt::CausalContext;
using crdt::Error;
using crdt::Result;

struct StoredState {
  std::string workspace_id;
  crdt::GraphDoc doc;  // with this client's replica id
  CausalContext received;
  std::vector<sync::OutboxEntry> outbox;
};

class ClientStore {
 public:
  // Opens (creating when missing) the store in `dir` for `workspace_id`. A
  // new store takes `new_replica` as its replica id; an existing one keeps
  // its own. A store of another workspace is an error (invalid_argument).
  static Result<ClientStore> open(const std::filesystem::path& dir, const std::string& workspace_id,
                                  crdt::ReplicaId new_replica);

  ClientStore(ClientStore&&) noexcept;
  ClientStore& operator=(ClientStore&&) noexcept;
  ~ClientStore();

  // The state as loaded by open(); the caller keeps it current from there.
  const StoredState& loaded() const { return loaded_; }
  StoredState take_loaded() { return std::move(loaded_); }

  // Each appends one journal record and returns once it is on disk.
  std::optional<Error> record_local(const sync::OutboxEntry& entry);
  std::optional<Error> record_remote(const Bytes& delta, const CausalContext& covers);
  std::optional<Error> record_ack(const CausalContext& durable);

  // Writes `state` as the new snapshot and empties the journal.
  std::optional<Error> compact(const crdt::GraphDoc& doc, const CausalContext& received,
                               std::span<const sync::OutboxEntry> outbox);

  std::uint64_t journal_bytes() const { return journal_bytes_; }

 private:
  ClientStore(std::filesystem::path dir, int journal_fd);
  std::optional<Error> append(const Bytes& payload);

  std::filesystem::path dir_;
  int journal_fd_ = -1;
  std::uint64_t journal_bytes_ = 0;
  std::string workspace_id_;
  StoredState loaded_;
};

// CRC-32 (IEEE 802.3) of `bytes`: the journal's record checksum.
std::uint32_t crc32(const std::uint8_t* bytes, std::size_t size);

}  // namespace trellis::client
