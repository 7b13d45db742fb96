// WorkspaceStore fails as a value, never as a crash: corrupt rows, a newer
// schema, a database another process holds, a full disk and bad arguments
// each give a clear Error, and a failed transaction acknowledges nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <string>

#include "storage/sqlite_db.hpp"
#include "storage/workspace_store.hpp"
#include "storage_testing.hpp"

namespace trellis::server {
namespace {

using testing::append_all;
using testing::append_sync;
using testing::EditHistory;
using testing::load_sync;
using testing::open_or_fail;
using testing::StoreGate;
using testing::TempDir;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs `sql` on the database file of a closed store, as another program
// (or a failing disk) would.
void tamper(const std::filesystem::path& database, const std::string& sql) {
  auto db = SqliteDb::open(database.string());
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_EQ(db->exec(sql, "tamper"), std::nullopt);
}

TEST(WorkspaceStoreFailure, ACorruptDeltaIsAnErrorNamingTheWorkspaceAndTheSeq) {
  TempDir dir;
  EditHistory history(1), other(2);
  history.make_edits(3, "n");
  other.make_edits(3, "o");
  {
    auto store = open_or_fail({.data_dir = dir.path()});
    ASSERT_TRUE(store);
    ASSERT_TRUE(append_all(*store, "ws", history.deltas()));
    ASSERT_TRUE(append_all(*store, "other", other.deltas()));
  }
  tamper(dir.database(),
         "INSERT INTO deltas(seq, workspace_id, delta) VALUES(4242, 'ws', x'c1ffee00deadbeef')");

  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  auto loaded = load_sync(*store, "ws");
  ASSERT_FALSE(loaded.ok()) << "garbage joined without an error";
  EXPECT_EQ(loaded.error().code, crdt::ErrorCode::malformed);
  EXPECT_TRUE(contains(loaded.error().message, "'ws'")) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "seq 4242")) << loaded.error().message;

  auto intact = load_sync(*store, "other");
  ASSERT_TRUE(intact.ok()) << intact.error().message;
  ASSERT_TRUE(intact->has_value());
  EXPECT_TRUE((*intact)->doc == other.doc());
}

TEST(WorkspaceStoreFailure, ACorruptSnapshotIsAnErrorNamingTheWorkspace) {
  TempDir dir;
  {
    auto store = open_or_fail({.data_dir = dir.path()});
    ASSERT_TRUE(store);
    EditHistory history(1);
    history.make_edits(2, "n");
    ASSERT_EQ(testing::snapshot_sync(*store, "ws", history.doc()), std::nullopt);
  }
  tamper(dir.database(), "UPDATE snapshots SET state = x'01' WHERE workspace_id = 'ws'");
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  auto loaded = load_sync(*store, "ws");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, crdt::ErrorCode::malformed);
  EXPECT_TRUE(contains(loaded.error().message, "'ws'")) << loaded.error().message;
  EXPECT_TRUE(contains(loaded.error().message, "snapshot")) << loaded.error().message;
}

TEST(WorkspaceStoreFailure, ANewerSchemaVersionIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(open_or_fail({.data_dir = dir.path()})); }
  tamper(dir.database(), "PRAGMA user_version = 2");
  auto store = WorkspaceStore::open({.data_dir = dir.path()});
  ASSERT_FALSE(store.ok()) << "opened a database of a newer schema";
  EXPECT_EQ(store.error().code, crdt::ErrorCode::unsupported_version);
  EXPECT_TRUE(contains(store.error().message, "schema version 2")) << store.error().message;
}

TEST(WorkspaceStoreFailure, AFileOfAnotherApplicationIsRefused) {
  TempDir dir;
  std::filesystem::create_directories(dir.path());
  tamper(dir.database(), "CREATE TABLE notes(text TEXT); PRAGMA application_id = 42;");
  auto store = WorkspaceStore::open({.data_dir = dir.path()});
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(contains(store.error().message, "not a Trellis database")) << store.error().message;
}

TEST(WorkspaceStoreFailure, ASecondStoreOnTheSameDirectoryIsRefusedWhileTheFirstIsOpen) {
  TempDir dir;
  auto first = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(first);
  auto second =
      WorkspaceStore::open({.data_dir = dir.path(), .busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_FALSE(second.ok()) << "two stores would write one file";
  EXPECT_TRUE(contains(second.error().message, "in use")) << second.error().message;
  first->close();
  EXPECT_TRUE(open_or_fail({.data_dir = dir.path()}));
}

TEST(WorkspaceStoreFailure, AnUnusableDataDirectoryIsAnError) {
  TempDir dir;
  std::filesystem::create_directories(dir.path());
  { std::ofstream(dir.path() / "file") << "not a directory"; }
  auto store = WorkspaceStore::open({.data_dir = dir.path() / "file" / "data"});
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(contains(store.error().message, "data directory")) << store.error().message;
}

// A full disk (here: the database size cap) fails the whole batch it hits —
// the small append that shared its transaction included — rolls it back,
// and leaves the store working.
TEST(WorkspaceStoreFailure, AFullDiskFailsEveryAppendOfTheBatchAndChangesNothing) {
  TempDir dir;
  EditHistory history(6);
  history.make_edits(3, "n");
  auto store = open_or_fail({.data_dir = dir.path(), .max_database_bytes = 256 << 10});
  ASSERT_TRUE(store);
  ASSERT_EQ(append_sync(*store, "ws", history.deltas()[0]), std::nullopt);

  std::mutex results_mutex;
  std::vector<std::optional<crdt::Error>> results;
  auto record = [&](std::optional<crdt::Error> error) {
    std::lock_guard lock(results_mutex);
    results.push_back(std::move(error));
  };
  {
    StoreGate gate(*store);
    store->append("ws", history.deltas()[1], record);
    store->append("ws", crdt::Bytes(1 << 20, 0x5a), record);  // larger than the cap
  }
  ASSERT_EQ(store->flush(), std::nullopt);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& result : results) {
    ASSERT_TRUE(result.has_value()) << "an append of a failed transaction was acknowledged";
    EXPECT_EQ(result->code, crdt::ErrorCode::limit_exceeded) << result->message;
  }
  EXPECT_EQ(store->counters().failed_transactions, 1u);

  ASSERT_TRUE(append_all(*store, "ws", history.deltas(), 1));
  auto loaded = load_sync(*store, "ws");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->delta_count, 3u);
  EXPECT_TRUE((*loaded)->doc == history.doc());
}

TEST(WorkspaceStoreFailure, BadArgumentsAreRefusedInlineBeforeTheCallReturns) {
  TempDir dir;
  auto store = open_or_fail({.data_dir = dir.path(), .in_memory = true});
  ASSERT_TRUE(store);
  struct Case {
    std::string id;
    crdt::Bytes delta;
    crdt::ErrorCode code;
  };
  const Case cases[] = {
      {"", {1}, crdt::ErrorCode::invalid_argument},
      {std::string(kMaxWorkspaceIdBytes + 1, 'w'), {1}, crdt::ErrorCode::limit_exceeded},
      {"ws", {}, crdt::ErrorCode::invalid_argument},
  };
  for (const Case& bad : cases) {
    std::optional<crdt::Error> seen;
    bool called = false;
    store->append(bad.id, bad.delta, [&](std::optional<crdt::Error> error) {
      called = true;
      seen = std::move(error);
    });
    ASSERT_TRUE(called) << "id of " << bad.id.size() << " bytes";
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->code, bad.code) << seen->message;
  }
  bool load_refused = false;
  store->load("", [&](crdt::Result<std::optional<LoadedWorkspace>> loaded) {
    load_refused = !loaded.ok();
  });
  EXPECT_TRUE(load_refused);

  const std::string longest(kMaxWorkspaceIdBytes, 'w');
  EditHistory history(1);
  history.make_edits(1, "n");
  EXPECT_EQ(append_sync(*store, longest, history.deltas()[0]), std::nullopt);
  auto loaded = load_sync(*store, longest);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
}

TEST(WorkspaceStoreFailure, AFullQueueRefusesJobsButNeverFlush) {
  TempDir dir;
  auto store = open_or_fail({.data_dir = dir.path(), .in_memory = true, .max_queued_jobs = 3});
  ASSERT_TRUE(store);
  std::atomic<int> accepted_ok{0};
  std::optional<crdt::Error> refused;
  {
    StoreGate gate(*store);
    for (int job = 0; job < 3; ++job) {
      store->create_workspace("ws" + std::to_string(job), [&](crdt::Result<bool> created) {
        if (created.ok()) accepted_ok.fetch_add(1);
      });
    }
    store->create_workspace("one-too-many",
                            [&](crdt::Result<bool> created) { refused = created.error(); });
    ASSERT_TRUE(refused.has_value()) << "the fourth job was queued";
    EXPECT_EQ(refused->code, crdt::ErrorCode::limit_exceeded);
  }
  EXPECT_EQ(store->flush(), std::nullopt);
  EXPECT_EQ(accepted_ok.load(), 3);
}

}  // namespace
}  // namespace trellis::server
