#pragma once
// SqliteDb and SqliteStatement: owning handles on one SQLite connection and
// one prepared statement, with every SQLite failure turned into a crdt::Error
// that names the operation and carries SQLite's own message.
//
// Threading: a connection and its statements are used by one thread at a
// time (the store thread); neither type locks. Statements must be destroyed
// before the connection they were prepared on.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "trellis/crdt/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace trellis::server {

// The Error for a failed SQLite call: `operation` (what we were doing), then
// SQLite's message and result code. Codes: SQLITE_FULL and SQLITE_TOOBIG are
// limit_exceeded, SQLITE_CORRUPT and SQLITE_NOTADB malformed, every other
// failure (I/O, busy, locked, misuse) invalid_argument, the code the crdt
// layer's ErrorCode offers for "the operation could not be carried out".
crdt::Error sqlite_error(sqlite3* db, int result_code, std::string_view operation);

// One prepared statement. step() runs it one row at a time; reset() makes it
// reusable and clears its bindings.
class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* statement, std::string operation)
      : db_(db), statement_(statement), operation_(std::move(operation)) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Parameters are numbered from 1, as in SQLite. Text and blobs are not
  // copied: they must stay alive until reset(), which unbinds them.
  std::optional<crdt::Error> bind_text(int index, std::string_view text);
  std::optional<crdt::Error> bind_blob(int index, std::span<const std::uint8_t> bytes);
  std::optional<crdt::Error> bind_int64(int index, std::int64_t value);

  // true: a row is available through the column accessors; false: done.
  crdt::Result<bool> step();
  // Steps to completion, ignoring rows (INSERT, UPDATE, DELETE).
  std::optional<crdt::Error> run();
  void reset();

  // Columns are numbered from 0. A blob view is valid until the next step
  // or reset.
  std::int64_t column_int64(int index) const;
  std::span<const std::uint8_t> column_blob(int index) const;
  std::string column_text(int index) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
  std::string operation_;  // names the statement in errors
};

class SqliteDb {
 public:
  // Opens (creating when missing) the database file at `path`, or a private
  // in-memory database when `path` is ":memory:".
  static crdt::Result<SqliteDb> open(const std::string& path);

  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // `operation` names the statement in error messages.
  crdt::Result<SqliteStatement> prepare(std::string_view sql, std::string operation);
  // Runs one or more statements that return no rows needed by the caller.
  std::optional<crdt::Error> exec(const std::string& sql, std::string_view operation);
  // Runs a statement returning one integer or text value (a PRAGMA).
  crdt::Result<std::int64_t> query_int64(std::string_view sql, std::string operation);
  crdt::Result<std::string> query_text(std::string_view sql, std::string operation);

  // Whether a transaction is open (SQLite may end one itself on an error).
  bool in_transaction() const;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  sqlite3* db_ = nullptr;
};

}  // namespace trellis::server
