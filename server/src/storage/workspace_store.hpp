#pragma once
// WorkspaceStore: trellisd's durable storage of workspaces, one SQLite
// database (`data_dir/trellis.sqlite3`, schema in workspace_database.hpp)
// written by one background thread, the store thread.
//
// Threading. Every public method may be called from any thread. A method
// validates its arguments, queues a job and returns at once; the store
// thread runs the jobs in the order they were queued (FIFO, across all
// workspaces) and is the only thread that touches SQLite. Each job's
// callback is invoked exactly once, on the store thread, after the job is
// done. Callbacks must be cheap (post the result to your own executor),
// must not throw and must not block (the blocking flush() returns an error
// there); close() or destroying the store from a callback works but cannot
// wait for the queue to drain. The one exception: a job the store refuses
// at once (a bad workspace id, an empty delta, a full queue, a closed
// store) gets its error inline, on the calling thread, before the method
// returns. An empty std::function means "no callback".
//
// Durability. A job's callback reports success only after SQLite's COMMIT
// returned: on disk the connection runs in WAL mode with synchronous=FULL,
// so an acknowledged edit survives a crash or power loss. Group commit
// amortizes that fsync: the store thread takes every append queued at the
// front of the queue (up to max_batch_appends, across workspaces) and
// writes them in one transaction, then invokes their callbacks. A batch
// never reaches past another kind of job, so FIFO order holds for every
// job. A failed transaction is rolled back and fails every callback of its
// batch: none of those edits is durable, none may be acknowledged.
//
// Batches are sized by load: a group of appends starts at most once per
// min_commit_interval (measured from the previous group's start). After a
// quiet spell the first append commits at once; under a steady stream the
// appends of one interval share one transaction, so the transactions per
// second stay bounded while the appends per transaction grow with the load.
// What it costs is acknowledgement latency (at most the interval); the
// fan-out of a client's delta to the other clients never waits for it.
//
// Snapshot contract (write_snapshot). A snapshot deletes every delta of
// its workspace stored or queued before it, so it must contain all of them.
// The caller guarantees that by handling each workspace on one strand: it
// queues a delta's append in the same step that joins the delta into its
// document, and in a later step encodes the snapshot from that document and
// queues write_snapshot. Every append queued before the snapshot is then
// in it and, by FIFO, written before it; appends queued after it are kept.
// (A delta in the snapshot whose append comes later is merely stored twice:
// joins are idempotent.) Appending to one workspace from two strands breaks
// this: a delta queued by the other one just before the snapshot is lost.
//
// Errors are values (crdt::Error): invalid_argument for a bad argument, a
// closed store, or a SQLite failure (its message and the operation are in
// the text); limit_exceeded for a full queue, a full disk or
// max_database_bytes; malformed for stored bytes that do not decode (load
// names the workspace and the delta's seq); unsupported_version for a
// database of a newer schema. Nothing throws and no SQLite failure crashes.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "storage/loaded_workspace.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::server {

// Bytes of a workspace id: opaque, non-empty. The server checks its charset.
inline constexpr std::size_t kMaxWorkspaceIdBytes = 128;
inline constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};
inline constexpr std::size_t kDefaultMaxBatchAppends = 1024;
// 200 group commits per second at most: at 2,000 edits/s, 10 per commit.
inline constexpr std::chrono::microseconds kDefaultMinCommitInterval{5000};
inline constexpr std::size_t kDefaultMaxQueuedJobs = 1 << 16;
// The database file's name inside data_dir.
inline constexpr const char* kDatabaseFileName = "trellis.sqlite3";

struct StoreOptions {
  // Created when missing; holds kDatabaseFileName (and its WAL while open).
  std::filesystem::path data_dir = {};
  // A private SQLite ":memory:" database instead (`--storage memory`): the
  // same code path, nothing on disk, nothing survives close().
  bool in_memory = false;
  // How long SQLite waits for a lock; only another process holding the file
  // makes it wait, and open() then fails.
  std::chrono::milliseconds busy_timeout = kDefaultBusyTimeout;
  // Appends written by one transaction at most.
  std::size_t max_batch_appends = kDefaultMaxBatchAppends;
  // Time from one group of appends' start to the next one's, at least (see
  // Durability above); zero commits whatever is queued as soon as it can.
  std::chrono::microseconds min_commit_interval = kDefaultMinCommitInterval;
  // Jobs waiting at most; a job past it is refused with limit_exceeded
  // (flush is never refused for this). Bounds memory under a slow disk.
  std::size_t max_queued_jobs = kDefaultMaxQueuedJobs;
  // Caps the database file; writes past it fail with limit_exceeded. 0: no
  // cap beyond SQLite's own.
  std::uint64_t max_database_bytes = 0;
  // Invoked on the store thread after each committed group of appends, with
  // the transaction's duration (BEGIN to COMMIT returned) and its number of
  // appends: the server's commit-latency histogram. Must be cheap.
  std::function<void(double seconds, std::size_t batch_size)> on_commit = nullptr;
};

// What the store has done since open(), read from atomics.
struct StoreCounters {
  std::uint64_t commits = 0;              // committed groups of appends
  std::uint64_t appended_deltas = 0;      // deltas in those commits
  std::uint64_t appended_bytes = 0;       // their bytes
  std::uint64_t snapshots_written = 0;    // committed write_snapshot jobs
  std::uint64_t failed_transactions = 0;  // rolled-back writes of any kind
  std::size_t queued_jobs = 0;            // waiting now
};

class WorkspaceStore {
 public:
  // The result of a job that returns nothing.
  using Done = std::function<void(std::optional<crdt::Error>)>;
  // true when the workspace was created, false when it already existed.
  using CreateDone = std::function<void(crdt::Result<bool>)>;
  // nullopt when the workspace does not exist.
  using LoadDone = std::function<void(crdt::Result<std::optional<LoadedWorkspace>>)>;

  // Opens (creating when missing) the database and its schema, and starts
  // the store thread. Fails on an unusable directory or file, a file in use
  // by another process, or a schema newer than kSchemaVersion.
  static crdt::Result<std::unique_ptr<WorkspaceStore>> open(StoreOptions options);

  WorkspaceStore(const WorkspaceStore&) = delete;
  WorkspaceStore& operator=(const WorkspaceStore&) = delete;
  // close().
  ~WorkspaceStore();

  // Inserts the workspace if missing.
  void create_workspace(std::string id, CreateDone done);
  // The workspace's snapshot joined with every delta stored after it; sees
  // every job queued before it.
  void load(std::string id, LoadDone done);
  // Stores one encoded delta (not checked here: the caller has decoded it),
  // creating the workspace when missing. Group-committed; see above.
  void append(std::string id, crdt::Bytes delta, Done done);
  // Stores `state` (encoded, normally with crdt::encode_state_to) as the
  // workspace's snapshot, creating the workspace when missing, and deletes
  // its deltas, in one transaction. See the snapshot contract above.
  void write_snapshot(std::string id, crdt::Bytes state, Done done);

  // `done` runs once every job queued before it is done.
  void flush(Done done);
  // The same, blocking; an error when the store is closed or when called on
  // the store thread (where it would wait for itself).
  std::optional<crdt::Error> flush();

  // Refuses new jobs, runs every job already queued, closes the database and
  // joins the store thread. Idempotent, and safe from any thread; from the
  // store thread it cannot wait, and the last job runs after it returns.
  void close();

  StoreCounters counters() const;

 private:
  struct State;
  explicit WorkspaceStore(std::shared_ptr<State> state);

  // Shared with the store thread, which outlives this object only when the
  // store is destroyed on the store thread itself.
  std::shared_ptr<State> state_;
};

}  // namespace trellis::server
