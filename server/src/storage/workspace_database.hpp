#pragma once
// WorkspaceDatabase: the Trellis schema in one SQLite database, and the
// synchronous statements the store thread runs on it. WorkspaceStore owns one
// and adds the thread, the queue and group commit; nothing else uses it.
//
// Schema (version kSchemaVersion in PRAGMA user_version, the file marked with
// kApplicationId in PRAGMA application_id):
//   workspaces(id TEXT PRIMARY KEY, created_at INTEGER)   unix seconds
//   snapshots(workspace_id PRIMARY KEY -> workspaces, state BLOB, written_at)
//   deltas(seq INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id -> workspaces,
//          delta BLOB), indexed on (workspace_id, seq)
// A workspace's document is its snapshot (if any) joined with its deltas.
// seq only grows (AUTOINCREMENT never reuses one), so it also names a delta
// in corruption errors.
//
// On disk the connection runs in WAL mode with synchronous=FULL, so a
// committed transaction survives a crash or power loss, and with
// locking_mode=EXCLUSIVE, so a second process (a second trellisd on the same
// data directory) cannot open the file while this one has it.
//
// Threading: not thread-safe; one thread at a time (the store thread).

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/loaded_workspace.hpp"
#include "storage/sqlite_db.hpp"
#include "trellis/crdt/result.hpp"

namespace trellis::server {

inline constexpr std::int64_t kSchemaVersion = 1;
inline constexpr std::int64_t kApplicationId = 0x54524c53;  // "TRLS"

// Settings of WorkspaceDatabase::open.
struct DatabaseSettings {
  std::string path;  // a file, or ":memory:"
  std::chrono::milliseconds busy_timeout{5000};
  // Caps the database file (SQLITE_FULL, i.e. limit_exceeded, past it);
  // 0 leaves SQLite's own limit.
  std::uint64_t max_database_bytes = 0;
};

// One delta of a group commit.
struct PendingDelta {
  std::string_view workspace_id;
  std::span<const std::uint8_t> delta;
};

class WorkspaceDatabase {
 public:
  // Opens the database, creating the schema in a new one. A database of a
  // newer schema is refused (unsupported_version), as is a file of another
  // application.
  static crdt::Result<WorkspaceDatabase> open(const DatabaseSettings& settings);

  WorkspaceDatabase(WorkspaceDatabase&&) noexcept = default;
  WorkspaceDatabase& operator=(WorkspaceDatabase&&) noexcept = default;

  // Inserts the workspace when missing: true if it was inserted.
  crdt::Result<bool> create_workspace(std::string_view id);

  // nullopt when the workspace does not exist. A stored snapshot or delta
  // that does not decode is an error (malformed) naming the workspace, and
  // the delta's seq.
  crdt::Result<std::optional<LoadedWorkspace>> load(std::string_view id);

  // Every delta in one transaction, creating missing workspaces; all or
  // nothing (rolled back on any failure).
  std::optional<crdt::Error> append_batch(std::span<const PendingDelta> deltas);

  // In one transaction: creates the workspace when missing, replaces its
  // snapshot with `state` and deletes all of its deltas.
  std::optional<crdt::Error> write_snapshot(std::string_view id,
                                            std::span<const std::uint8_t> state);

 private:
  // Prepared once; destroyed before db_ (members are destroyed in reverse).
  struct Statements {
    SqliteStatement begin;
    SqliteStatement commit;
    SqliteStatement rollback;
    SqliteStatement insert_workspace;
    SqliteStatement find_workspace;
    SqliteStatement select_snapshot;
    SqliteStatement select_deltas;
    SqliteStatement insert_delta;
    SqliteStatement upsert_snapshot;
    SqliteStatement delete_deltas;
  };

  WorkspaceDatabase(SqliteDb db, Statements statements)
      : db_(std::move(db)), statements_(std::move(statements)) {}

  // Runs `body` between BEGIN IMMEDIATE and COMMIT; rolls back on failure.
  template <class Body>
  std::optional<crdt::Error> transaction(Body&& body);
  crdt::Result<bool> insert_workspace(std::string_view id);

  SqliteDb db_;
  Statements statements_;
};

}  // namespace trellis::server
