#include "storage/workspace_database.hpp"

#include <chrono>
#include <initializer_list>
#include <string>
#include <unordered_set>

#include "trellis/crdt/graph_codec.hpp"

namespace trellis::server {

namespace {

constexpr const char* kCreateSchema = R"sql(
CREATE TABLE workspaces(
  id TEXT PRIMARY KEY NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE snapshots(
  workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id),
  state BLOB NOT NULL,
  written_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE deltas(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  delta BLOB NOT NULL
);
CREATE INDEX deltas_by_workspace ON deltas(workspace_id, seq);
)sql";

// The WAL is truncated back to this size after a checkpoint, so one burst
// of writes does not leave a large file behind.
constexpr std::int64_t kJournalSizeLimitBytes = 64 << 20;

// Resets a statement when the operation using it ends, however it ends, so
// that no statement holds a read open between jobs.
class StatementUse {
 public:
  explicit StatementUse(SqliteStatement& statement) : statement_(statement) {}
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  ~StatementUse() { statement_.reset(); }
  SqliteStatement& operator*() { return statement_; }
  SqliteStatement* operator->() { return &statement_; }

 private:
  SqliteStatement& statement_;
};

std::optional<crdt::Error> first_error(std::initializer_list<std::optional<crdt::Error>> results) {
  for (const auto& result : results) {
    if (result) return result;
  }
  return std::nullopt;
}

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

crdt::Error corrupt(std::string_view workspace_id, const std::string& what,
                    const crdt::Error& cause) {
  return crdt::make_error(crdt::ErrorCode::malformed, "storage: workspace '" +
                                                          std::string(workspace_id) + "': " + what +
                                                          " does not decode: " + cause.message);
}

std::optional<crdt::Error> configure(SqliteDb& db, const DatabaseSettings& settings,
                                     bool in_memory) {
  if (auto error = db.exec("PRAGMA busy_timeout = " + std::to_string(settings.busy_timeout.count()),
                           "set busy_timeout")) {
    return error;
  }
  if (!in_memory) {
    // Before the first access: from then on the file is this connection's.
    if (auto error = db.exec("PRAGMA locking_mode = EXCLUSIVE", "set locking_mode")) return error;
    auto mode = db.query_text("PRAGMA journal_mode = WAL",
                              "lock " + settings.path + " and enable WAL (is it in use?)");
    if (!mode) return mode.error();
    if (*mode != "wal") {
      return crdt::make_error(
          crdt::ErrorCode::invalid_argument,
          "storage: " + settings.path + " stays in journal mode '" + *mode + "'; WAL is required");
    }
  }
  std::string pragmas = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
  pragmas += " PRAGMA journal_size_limit = " + std::to_string(kJournalSizeLimitBytes) + ";";
  return db.exec(pragmas, "set synchronous, foreign_keys and journal_size_limit");
}

std::optional<crdt::Error> migrate(SqliteDb& db, const std::string& path) {
  auto application = db.query_int64("PRAGMA application_id", "read application_id");
  if (!application) return application.error();
  if (*application != 0 && *application != kApplicationId) {
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            "storage: " + path + " is not a Trellis database (application_id " +
                                std::to_string(*application) + ")");
  }
  auto version = db.query_int64("PRAGMA user_version", "read user_version");
  if (!version) return version.error();
  if (*version > kSchemaVersion) {
    return crdt::make_error(crdt::ErrorCode::unsupported_version,
                            "storage: " + path + " has schema version " + std::to_string(*version) +
                                "; this build reads up to version " +
                                std::to_string(kSchemaVersion) + " (written by a newer trellisd?)");
  }
  if (*version == kSchemaVersion) return std::nullopt;
  std::string create = "BEGIN IMMEDIATE;";
  create += kCreateSchema;
  create += "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
  create += "PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";";
  create += "COMMIT;";
  if (auto error = db.exec(create, "create schema")) {
    if (db.in_transaction()) (void)db.exec("ROLLBACK", "roll back schema creation");
    return error;
  }
  return std::nullopt;
}

std::optional<crdt::Error> cap_size(SqliteDb& db, std::uint64_t max_database_bytes) {
  if (max_database_bytes == 0) return std::nullopt;
  auto page_size = db.query_int64("PRAGMA page_size", "read page_size");
  if (!page_size) return page_size.error();
  std::uint64_t pages = max_database_bytes / static_cast<std::uint64_t>(*page_size);
  return db.exec("PRAGMA max_page_count = " + std::to_string(pages == 0 ? 1 : pages),
                 "set max_page_count");
}

}  // namespace

crdt::Result<WorkspaceDatabase> WorkspaceDatabase::open(const DatabaseSettings& settings) {
  const bool in_memory = settings.path == ":memory:";
  auto db = SqliteDb::open(settings.path);
  if (!db) return db.error();
  if (auto error = configure(*db, settings, in_memory)) return *error;
  if (auto error = migrate(*db, settings.path)) return *error;
  if (auto error = cap_size(*db, settings.max_database_bytes)) return *error;

  Statements statements;
  struct Prepared {
    SqliteStatement* statement;
    const char* sql;
    const char* operation;
  };
  const Prepared prepared[] = {
      {&statements.begin, "BEGIN IMMEDIATE", "begin transaction"},
      {&statements.commit, "COMMIT", "commit"},
      {&statements.rollback, "ROLLBACK", "roll back"},
      {&statements.insert_workspace,
       "INSERT INTO workspaces(id, created_at) VALUES(?1, ?2) ON CONFLICT(id) DO NOTHING",
       "insert workspace"},
      {&statements.find_workspace, "SELECT 1 FROM workspaces WHERE id = ?1", "find workspace"},
      {&statements.select_snapshot, "SELECT state FROM snapshots WHERE workspace_id = ?1",
       "read snapshot"},
      {&statements.select_deltas,
       "SELECT seq, delta FROM deltas WHERE workspace_id = ?1 ORDER BY seq", "read deltas"},
      {&statements.insert_delta, "INSERT INTO deltas(workspace_id, delta) VALUES(?1, ?2)",
       "insert delta"},
      {&statements.upsert_snapshot,
       "INSERT INTO snapshots(workspace_id, state, written_at) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(workspace_id) DO UPDATE SET state = excluded.state, "
       "written_at = excluded.written_at",
       "write snapshot"},
      {&statements.delete_deltas, "DELETE FROM deltas WHERE workspace_id = ?1",
       "delete deltas covered by a snapshot"},
  };
  for (const Prepared& entry : prepared) {
    auto statement = db->prepare(entry.sql, entry.operation);
    if (!statement) return statement.error();
    *entry.statement = std::move(*statement);
  }
  return WorkspaceDatabase(std::move(*db), std::move(statements));
}

template <class Body>
std::optional<crdt::Error> WorkspaceDatabase::transaction(Body&& body) {
  {
    StatementUse begin(statements_.begin);
    if (auto error = begin->run()) return error;
  }
  std::optional<crdt::Error> error = body();
  if (!error) {
    StatementUse commit(statements_.commit);
    error = commit->run();
  }
  // SQLite ends some failed transactions itself (disk full, I/O errors);
  // roll back only one that is still open.
  if (error && db_.in_transaction()) {
    StatementUse rollback(statements_.rollback);
    (void)rollback->run();
  }
  return error;
}

crdt::Result<bool> WorkspaceDatabase::insert_workspace(std::string_view id) {
  StatementUse insert(statements_.insert_workspace);
  if (auto error = first_error({insert->bind_text(1, id), insert->bind_int64(2, unix_seconds())})) {
    return *error;
  }
  if (auto error = insert->run()) return *error;
  return db_.changes() > 0;
}

crdt::Result<bool> WorkspaceDatabase::create_workspace(std::string_view id) {
  bool created = false;
  auto error = transaction([&]() -> std::optional<crdt::Error> {
    auto inserted = insert_workspace(id);
    if (!inserted) return inserted.error();
    created = *inserted;
    return std::nullopt;
  });
  if (error) return *error;
  return created;
}

crdt::Result<std::optional<LoadedWorkspace>> WorkspaceDatabase::load(std::string_view id) {
  {
    StatementUse find(statements_.find_workspace);
    if (auto error = find->bind_text(1, id)) return *error;
    auto row = find->step();
    if (!row) return row.error();
    if (!*row) return std::optional<LoadedWorkspace>();
  }

  LoadedWorkspace loaded;
  {
    StatementUse snapshot(statements_.select_snapshot);
    if (auto error = snapshot->bind_text(1, id)) return *error;
    auto row = snapshot->step();
    if (!row) return row.error();
    if (*row) {
      std::span<const std::uint8_t> state = snapshot->column_blob(0);
      auto doc = crdt::decode(state);
      if (!doc) return corrupt(id, "the stored snapshot", doc.error());
      loaded.doc = std::move(*doc);
      loaded.snapshot_bytes = state.size();
    }
  }

  StatementUse deltas(statements_.select_deltas);
  if (auto error = deltas->bind_text(1, id)) return *error;
  for (;;) {
    auto row = deltas->step();
    if (!row) return row.error();
    if (!*row) break;
    std::span<const std::uint8_t> delta = deltas->column_blob(1);
    if (auto error = crdt::join_encoded(loaded.doc, delta)) {
      return corrupt(id, "stored delta seq " + std::to_string(deltas->column_int64(0)), *error);
    }
    ++loaded.delta_count;
    loaded.delta_bytes += delta.size();
  }
  return std::optional<LoadedWorkspace>(std::move(loaded));
}

std::optional<crdt::Error> WorkspaceDatabase::append_batch(std::span<const PendingDelta> deltas) {
  return transaction([&]() -> std::optional<crdt::Error> {
    std::unordered_set<std::string_view> ensured;
    for (const PendingDelta& pending : deltas) {
      if (ensured.insert(pending.workspace_id).second) {
        auto inserted = insert_workspace(pending.workspace_id);
        if (!inserted) return inserted.error();
      }
      StatementUse insert(statements_.insert_delta);
      if (auto error = first_error(
              {insert->bind_text(1, pending.workspace_id), insert->bind_blob(2, pending.delta)})) {
        return error;
      }
      if (auto error = insert->run()) return error;
    }
    return std::nullopt;
  });
}

std::optional<crdt::Error> WorkspaceDatabase::write_snapshot(std::string_view id,
                                                             std::span<const std::uint8_t> state) {
  return transaction([&]() -> std::optional<crdt::Error> {
    auto inserted = insert_workspace(id);
    if (!inserted) return inserted.error();
    {
      StatementUse upsert(statements_.upsert_snapshot);
      if (auto error = first_error({upsert->bind_text(1, id), upsert->bind_blob(2, state),
                                    upsert->bind_int64(3, unix_seconds())})) {
        return error;
      }
      if (auto error = upsert->run()) return error;
    }
    StatementUse remove(statements_.delete_deltas);
    if (auto error = remove->bind_text(1, id)) return error;
    return remove->run();
  });
}

}  // namespace trellis::server
