// WorkspaceStore keeps what it acknowledged: deltas and snapshots survive a
// reopen and join back into the very document that produced them, appends
// are group-committed without losing or repeating a callback, FIFO order
// holds across snapshots, and close() finishes every job it accepted.
#include "storage/workspace_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "storage_testing.hpp"

namespace trellis::server {
namespace {

using testing::append_all;
using testing::append_sync;
using testing::await;
using testing::count_rows;
using testing::EditHistory;
using testing::load_sync;
using testing::open_or_fail;
using testing::snapshot_sync;
using testing::StoreGate;
using testing::TempDir;

// The loaded document, or a failure naming why there is none.
::testing::AssertionResult loads_as(WorkspaceStore& store, const std::string& id,
                                    const crdt::GraphDoc& expected) {
  auto loaded = load_sync(store, id);
  if (!loaded.ok()) return ::testing::AssertionFailure() << "load: " << loaded.error().message;
  if (!loaded->has_value()) return ::testing::AssertionFailure() << id << " does not exist";
  if (!((*loaded)->doc == expected)) {
    return ::testing::AssertionFailure()
           << id << " loads as " << crdt::graph_view((*loaded)->doc).dump() << "\nexpected "
           << crdt::graph_view(expected).dump();
  }
  return ::testing::AssertionSuccess();
}

TEST(WorkspaceStore, CreateReportsWhetherTheWorkspaceIsNew) {
  TempDir dir;
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  auto create = [&] {
    return await<crdt::Result<bool>>([&](auto done) { store->create_workspace("ws", done); });
  };
  auto first = create();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(*first);
  auto second = create();
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(*second);

  auto loaded = load_sync(*store, "ws");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE((*loaded)->doc.empty());
  EXPECT_EQ((*loaded)->delta_count, 0u);
  EXPECT_EQ((*loaded)->snapshot_bytes, 0u);
}

// Byte 18 of an SQLite file header is 2 once the database is in WAL mode.
TEST(WorkspaceStore, TheDatabaseFileIsInWalMode) {
  TempDir dir;
  { ASSERT_TRUE(open_or_fail({.data_dir = dir.path()})); }
  std::ifstream file(dir.database(), std::ios::binary);
  char header[20] = {};
  ASSERT_TRUE(file.read(header, sizeof header));
  EXPECT_EQ(std::string(header, 15), "SQLite format 3");
  EXPECT_EQ(header[18], 2) << "write version: 1 is a rollback journal, 2 is WAL";
}

TEST(WorkspaceStore, LoadOfAMissingWorkspaceIsNotAnError) {
  TempDir dir;
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  auto loaded = load_sync(*store, "nobody-made-this");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded->has_value());
}

TEST(WorkspaceStore, AppendedDeltasSurviveAReopenAndJoinIntoTheOriginalDocument) {
  TempDir dir;
  EditHistory alpha(7), beta(8);
  alpha.make_edits(60, "a");
  beta.make_edits(25, "b");
  {
    auto store = open_or_fail({.data_dir = dir.path()});
    ASSERT_TRUE(store);
    // Interleaved, as edits of two workspaces arrive at a server.
    for (std::size_t index = 0; index < alpha.deltas().size(); ++index) {
      ASSERT_EQ(append_sync(*store, "alpha", alpha.deltas()[index]), std::nullopt);
      if (index < beta.deltas().size()) {
        ASSERT_EQ(append_sync(*store, "beta", beta.deltas()[index]), std::nullopt);
      }
    }
  }
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  EXPECT_TRUE(loads_as(*store, "alpha", alpha.doc()));
  EXPECT_TRUE(loads_as(*store, "beta", beta.doc()));
  auto loaded = load_sync(*store, "alpha");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->delta_count, alpha.deltas().size());
}

TEST(WorkspaceStore, SnapshotReplacesTheDeltasItCoversAndLaterAppendsStayOnTop) {
  TempDir dir;
  EditHistory history(3), other(4);
  history.make_edits(20, "n");
  other.make_edits(5, "o");
  {
    auto store = open_or_fail({.data_dir = dir.path()});
    ASSERT_TRUE(store);
    ASSERT_TRUE(append_all(*store, "other", other.deltas()));
    ASSERT_TRUE(append_all(*store, "ws", history.deltas()));
    ASSERT_EQ(snapshot_sync(*store, "ws", history.doc()), std::nullopt);

    auto after_snapshot = load_sync(*store, "ws");
    ASSERT_TRUE(after_snapshot.ok() && after_snapshot->has_value());
    EXPECT_EQ((*after_snapshot)->delta_count, 0u);
    EXPECT_GT((*after_snapshot)->snapshot_bytes, 0u);

    const std::size_t before = history.deltas().size();
    history.make_edits(8, "late");
    ASSERT_TRUE(append_all(*store, "ws", history.deltas(), before));
    EXPECT_EQ(store->counters().snapshots_written, 1u);
  }
  EXPECT_EQ(count_rows(dir.database(), "deltas WHERE workspace_id = 'ws'"), 8);
  EXPECT_EQ(count_rows(dir.database(), "deltas WHERE workspace_id = 'other'"), 5)
      << "a snapshot of one workspace deleted another's deltas";
  EXPECT_EQ(count_rows(dir.database(), "snapshots"), 1);

  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
  EXPECT_TRUE(loads_as(*store, "other", other.doc()));
  auto loaded = load_sync(*store, "ws");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->delta_count, 8u);
}

TEST(WorkspaceStore, ASecondSnapshotReplacesTheFirst) {
  TempDir dir;
  EditHistory history(5);
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  history.make_edits(6, "n");
  ASSERT_EQ(snapshot_sync(*store, "ws", history.doc()), std::nullopt);
  history.remove_node("n0");
  ASSERT_EQ(append_sync(*store, "ws", history.deltas().back()), std::nullopt);
  ASSERT_EQ(snapshot_sync(*store, "ws", history.doc()), std::nullopt);
  EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
  EXPECT_FALSE(history.doc().has_node("n0"));
}

// 4 threads queue 1,000 appends as fast as they can; the store thread, one
// fsync'ed transaction at a time, takes whatever has queued meanwhile.
TEST(WorkspaceStore, GroupCommitAcknowledgesEveryAppendOnceInFewerTransactions) {
  constexpr int kThreads = 4;
  constexpr int kAppendsPerThread = 250;
  TempDir dir;
  std::vector<EditHistory> histories;
  for (int thread = 0; thread < kThreads; ++thread) {
    histories.emplace_back(100 + thread);
    histories.back().make_edits(kAppendsPerThread, "t" + std::to_string(thread) + "-");
  }

  std::mutex commit_mutex;
  std::size_t commit_calls = 0;
  std::size_t committed_appends = 0;
  StoreOptions options{.data_dir = dir.path()};
  options.on_commit = [&](double seconds, std::size_t batch_size) {
    std::lock_guard lock(commit_mutex);
    EXPECT_GE(seconds, 0.0);
    ++commit_calls;
    committed_appends += batch_size;
  };
  auto store = open_or_fail(options);
  ASSERT_TRUE(store);

  std::vector<std::atomic<int>> calls(kThreads * kAppendsPerThread);
  std::atomic<int> failures{0};
  std::vector<std::thread> producers;
  for (int thread = 0; thread < kThreads; ++thread) {
    producers.emplace_back([&, thread] {
      // Two workspaces per batch at least: threads 0 and 2 share one.
      const std::string workspace = "ws" + std::to_string(thread % 2);
      for (int index = 0; index < kAppendsPerThread; ++index) {
        const int slot = thread * kAppendsPerThread + index;
        store->append(workspace, histories[thread].deltas()[index],
                      [&, slot](std::optional<crdt::Error> error) {
                        if (error) failures.fetch_add(1);
                        calls[slot].fetch_add(1);
                      });
      }
    });
  }
  for (auto& producer : producers)
    producer.join();
  ASSERT_EQ(store->flush(), std::nullopt);

  EXPECT_EQ(failures.load(), 0);
  for (std::size_t slot = 0; slot < calls.size(); ++slot) {
    ASSERT_EQ(calls[slot].load(), 1) << "callback of append #" << slot;
  }
  const StoreCounters counters = store->counters();
  EXPECT_EQ(counters.appended_deltas, std::uint64_t{kThreads * kAppendsPerThread});
  EXPECT_LT(counters.commits, counters.appended_deltas);
  EXPECT_EQ(counters.failed_transactions, 0u);
  {
    std::lock_guard lock(commit_mutex);
    EXPECT_EQ(commit_calls, counters.commits);
    EXPECT_EQ(committed_appends, counters.appended_deltas);
  }
  store.reset();

  store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  for (int workspace = 0; workspace < 2; ++workspace) {
    crdt::GraphDoc expected = histories[workspace].doc();
    expected.join(histories[workspace + 2].doc());
    EXPECT_TRUE(loads_as(*store, "ws" + std::to_string(workspace), expected));
  }
}

// With the store thread held, every append is queued before the first
// transaction starts: 1,000 appends in batches of at most 64 take exactly
// 16 transactions.
TEST(WorkspaceStore, GroupCommitTakesEveryQueuedAppendUpToTheBatchLimit) {
  TempDir dir;
  EditHistory history(9);
  history.make_edits(1000, "n");
  auto store = open_or_fail({.data_dir = dir.path(), .max_batch_appends = 64});
  ASSERT_TRUE(store);
  std::atomic<int> acknowledged{0};
  {
    StoreGate gate(*store);
    for (const auto& delta : history.deltas()) {
      store->append("ws", delta, [&](std::optional<crdt::Error> error) {
        if (!error) acknowledged.fetch_add(1);
      });
    }
    EXPECT_EQ(store->counters().queued_jobs, 1000u);
  }
  ASSERT_EQ(store->flush(), std::nullopt);
  EXPECT_EQ(acknowledged.load(), 1000);
  EXPECT_EQ(store->counters().commits, 16u);
  EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
}

// An append queued after a snapshot must not join the batch of an append
// queued before it: the snapshot would then delete it.
TEST(WorkspaceStore, AppendsQueuedAfterASnapshotAreNotBatchedBeforeIt) {
  TempDir dir;
  EditHistory history(11);
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  history.make_edits(4, "before");
  crdt::Bytes snapshot;
  crdt::encode_state_to(history.doc(), snapshot);
  const std::size_t covered = history.deltas().size();
  history.make_edits(4, "after");

  std::vector<std::optional<crdt::Error>> results;
  std::mutex results_mutex;
  auto record = [&](std::optional<crdt::Error> error) {
    std::lock_guard lock(results_mutex);
    results.push_back(std::move(error));
  };
  {
    StoreGate gate(*store);
    for (std::size_t index = 0; index < covered; ++index) {
      store->append("ws", history.deltas()[index], record);
    }
    store->write_snapshot("ws", std::move(snapshot), record);
    for (std::size_t index = covered; index < history.deltas().size(); ++index) {
      store->append("ws", history.deltas()[index], record);
    }
  }
  ASSERT_EQ(store->flush(), std::nullopt);
  ASSERT_EQ(results.size(), history.deltas().size() + 1);
  for (const auto& result : results)
    EXPECT_EQ(result, std::nullopt);
  EXPECT_EQ(store->counters().commits, 2u);
  EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
  auto loaded = load_sync(*store, "ws");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->delta_count, history.deltas().size() - covered);
}

TEST(WorkspaceStore, InMemoryStorageWorksAndWritesNoFile) {
  TempDir dir;
  EditHistory history(2);
  history.make_edits(10, "n");
  {
    auto store = open_or_fail({.data_dir = dir.path(), .in_memory = true});
    ASSERT_TRUE(store);
    ASSERT_TRUE(append_all(*store, "ws", history.deltas()));
    EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
    ASSERT_EQ(snapshot_sync(*store, "ws", history.doc()), std::nullopt);
    EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path()));
  auto fresh = open_or_fail({.data_dir = dir.path(), .in_memory = true});
  ASSERT_TRUE(fresh);
  auto loaded = load_sync(*fresh, "ws");
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->has_value()) << "an in-memory store must start empty";
}

TEST(WorkspaceStore, CloseFinishesQueuedJobsAndRefusesLaterOnes) {
  TempDir dir;
  EditHistory history(12);
  history.make_edits(100, "n");
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);

  std::atomic<int> acknowledged{0};
  std::atomic<bool> loaded_in_time{false};
  std::atomic<bool> refused_after_close{false};
  std::thread closer;
  {
    StoreGate gate(*store);
    for (const auto& delta : history.deltas()) {
      store->append("ws", delta, [&](std::optional<crdt::Error> error) {
        if (!error) acknowledged.fetch_add(1);
      });
    }
    store->load("ws", [&](crdt::Result<std::optional<LoadedWorkspace>> loaded) {
      loaded_in_time = loaded.ok() && loaded->has_value() && (*loaded)->delta_count == 100;
    });
    closer = std::thread([&] { store->close(); });
    // Wait until close() has begun: the store then refuses jobs at once
    // (flushes accepted before that succeed later, and set nothing).
    while (!refused_after_close.load()) {
      store->flush([&](std::optional<crdt::Error> error) {
        if (error) refused_after_close = true;
      });
      std::this_thread::yield();
    }
  }
  closer.join();
  EXPECT_EQ(acknowledged.load(), 100);
  EXPECT_TRUE(loaded_in_time.load());

  bool called_inline = false;
  store->append("ws", history.deltas().front(), [&](std::optional<crdt::Error> error) {
    called_inline = true;
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, crdt::ErrorCode::invalid_argument);
    EXPECT_NE(error->message.find("closed"), std::string::npos) << error->message;
  });
  EXPECT_TRUE(called_inline) << "a refused job reports before the call returns";
  auto late_load = load_sync(*store, "ws");
  EXPECT_FALSE(late_load.ok());
  EXPECT_NE(store->flush(), std::nullopt);
  store->close();  // again: nothing happens

  store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  EXPECT_TRUE(loads_as(*store, "ws", history.doc()));
}

TEST(WorkspaceStore, BlockingFlushOnTheStoreThreadIsRefusedRatherThanDeadlocking) {
  TempDir dir;
  auto store = open_or_fail({.data_dir = dir.path(), .in_memory = true});
  ASSERT_TRUE(store);
  auto inner = await<std::optional<crdt::Error>>([&](auto done) {
    store->flush([&, done](std::optional<crdt::Error>) { done(store->flush()); });
  });
  ASSERT_TRUE(inner.has_value());
  EXPECT_NE(inner->message.find("store thread"), std::string::npos) << inner->message;
}

TEST(WorkspaceStore, DestroyedFromItsOwnCallbackTheStoreStillFinishesItsQueue) {
  TempDir dir;
  EditHistory history(13);
  history.make_edits(20, "n");
  auto store = open_or_fail({.data_dir = dir.path()});
  ASSERT_TRUE(store);
  std::promise<void> destroyed;
  {
    StoreGate gate(*store);
    store->flush([&](std::optional<crdt::Error>) {
      store.reset();
      destroyed.set_value();
    });
    for (const auto& delta : history.deltas())
      store->append("ws", delta, nullptr);
  }
  destroyed.get_future().wait();
  // The detached thread closes the file once it has drained its queue;
  // until then the file is locked and open() waits for it.
  auto reopened = open_or_fail({.data_dir = dir.path(), .busy_timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(loads_as(*reopened, "ws", history.doc()));
}

}  // namespace
}  // namespace trellis::server
