#include "storage/sqlite_db.hpp"

#include <sqlite3.h>

#include <utility>

namespace trellis::server {

crdt::Error sqlite_error(sqlite3* db, int result_code, std::string_view operation) {
  crdt::ErrorCode code = crdt::ErrorCode::invalid_argument;
  switch (result_code & 0xff) {
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      code = crdt::ErrorCode::limit_exceeded;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      code = crdt::ErrorCode::malformed;
      break;
    default:
      break;
  }
  // The connection's message describes its most recent failure, which is
  // this one only when the caller passes the code it just got back.
  const char* message = db != nullptr && sqlite3_extended_errcode(db) == result_code
                            ? sqlite3_errmsg(db)
                            : sqlite3_errstr(result_code);
  return crdt::make_error(code, "storage: " + std::string(operation) + ": " + message +
                                    " (sqlite " + std::to_string(result_code) + ")");
}

// --- SqliteStatement

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      statement_(std::exchange(other.statement_, nullptr)),
      operation_(std::move(other.operation_)) {}

SqliteStatement& SqliteStatement::operator=(SqliteStatement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(statement_);
    db_ = std::exchange(other.db_, nullptr);
    statement_ = std::exchange(other.statement_, nullptr);
    operation_ = std::move(other.operation_);
  }
  return *this;
}

SqliteStatement::~SqliteStatement() {
  sqlite3_finalize(statement_);
}

std::optional<crdt::Error> SqliteStatement::bind_text(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(statement_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, operation_);
  return std::nullopt;
}

std::optional<crdt::Error> SqliteStatement::bind_blob(int index,
                                                      std::span<const std::uint8_t> bytes) {
  // A null pointer would bind NULL rather than an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  int rc = sqlite3_bind_blob64(statement_, index, data, bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, operation_);
  return std::nullopt;
}

std::optional<crdt::Error> SqliteStatement::bind_int64(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(statement_, index, value);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, operation_);
  return std::nullopt;
}

crdt::Result<bool> SqliteStatement::step() {
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  crdt::Error error = sqlite_error(db_, rc, operation_);
  sqlite3_reset(statement_);
  return error;
}

std::optional<crdt::Error> SqliteStatement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return std::nullopt;
  }
}

void SqliteStatement::reset() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

std::int64_t SqliteStatement::column_int64(int index) const {
  return sqlite3_column_int64(statement_, index);
}

std::span<const std::uint8_t> SqliteStatement::column_blob(int index) const {
  const void* data = sqlite3_column_blob(statement_, index);
  int size = sqlite3_column_bytes(statement_, index);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(size)};
}

std::string SqliteStatement::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(statement_, index);
  int size = sqlite3_column_bytes(statement_, index);
  if (text == nullptr || size <= 0) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

// --- SqliteDb

crdt::Result<SqliteDb> SqliteDb::open(const std::string& path) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    crdt::Error error = sqlite_error(db, rc, "open " + path);
    sqlite3_close(db);  // sqlite3_open_v2 hands out a handle even when it fails
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  return SqliteDb(db);
}

SqliteDb::SqliteDb(SqliteDb&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

SqliteDb::~SqliteDb() {
  // Every statement is finalized by now (they are destroyed first), so this
  // closes the file; a transaction still open is rolled back.
  sqlite3_close(db_);
}

crdt::Result<SqliteStatement> SqliteDb::prepare(std::string_view sql, std::string operation) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "prepare " + operation);
  return SqliteStatement(db_, statement, std::move(operation));
}

std::optional<crdt::Error> SqliteDb::exec(const std::string& sql, std::string_view operation) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, operation);
  return std::nullopt;
}

crdt::Result<std::int64_t> SqliteDb::query_int64(std::string_view sql, std::string operation) {
  auto statement = prepare(sql, std::move(operation));
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return row.error();
  return *row ? statement->column_int64(0) : 0;
}

crdt::Result<std::string> SqliteDb::query_text(std::string_view sql, std::string operation) {
  auto statement = prepare(sql, std::move(operation));
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return row.error();
  return *row ? statement->column_text(0) : std::string();
}

bool SqliteDb::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

std::int64_t SqliteDb::changes() const {
  return sqlite3_changes64(db_);
}

}  // namespace trellis::server
