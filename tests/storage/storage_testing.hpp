#pragma once
// Shared by the storage tests: a temporary data directory per test, waiting
// for a store callback, a recorded history of real GraphDoc edits, and a
// gate that holds the store thread so that tests can queue jobs behind it
// deterministically.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "storage/sqlite_db.hpp"
#include "storage/workspace_store.hpp"
#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/graph_doc.hpp"
#include "trellis/crdt/graph_view.hpp"

namespace trellis::server::testing {

// A fresh directory under the system temp dir, named after the running
// test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("trellis-storage-" + std::to_string(::getpid()) + "-" + test->test_suite_name() + "-" +
             test->name());
    std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path database() const { return path_ / kDatabaseFileName; }

 private:
  std::filesystem::path path_;
};

// Starts an asynchronous store call with a callback and waits for the value
// the callback receives. A store that never calls back aborts the test run
// instead of hanging it.
template <class Value, class Start>
Value await(Start&& start) {
  std::promise<Value> promise;
  auto future = promise.get_future();
  start([&promise](Value value) { promise.set_value(std::move(value)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "a store callback did not arrive within 60 s";
    std::abort();
  }
  return future.get();
}

inline std::optional<crdt::Error> append_sync(WorkspaceStore& store, const std::string& id,
                                              crdt::Bytes delta) {
  return await<std::optional<crdt::Error>>(
      [&](auto done) { store.append(id, std::move(delta), std::move(done)); });
}

// Appends deltas[from...] to `id`, each acknowledged before the next goes.
inline ::testing::AssertionResult append_all(WorkspaceStore& store, const std::string& id,
                                             const std::vector<crdt::Bytes>& deltas,
                                             std::size_t from = 0) {
  for (std::size_t index = from; index < deltas.size(); ++index) {
    if (auto error = append_sync(store, id, deltas[index])) {
      return ::testing::AssertionFailure() << "append #" << index << ": " << error->message;
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::optional<crdt::Error> snapshot_sync(WorkspaceStore& store, const std::string& id,
                                                const crdt::GraphDoc& doc) {
  crdt::Bytes state;
  crdt::encode_state_to(doc, state);
  return await<std::optional<crdt::Error>>(
      [&](auto done) { store.write_snapshot(id, std::move(state), std::move(done)); });
}

inline crdt::Result<std::optional<LoadedWorkspace>> load_sync(WorkspaceStore& store,
                                                              const std::string& id) {
  return await<crdt::Result<std::optional<LoadedWorkspace>>>(
      [&](auto done) { store.load(id, std::move(done)); });
}

inline std::unique_ptr<WorkspaceStore> open_or_fail(StoreOptions options) {
  auto store = WorkspaceStore::open(std::move(options));
  if (!store.ok()) {
    ADD_FAILURE() << "open: " << store.error().message;
    return nullptr;
  }
  return std::move(*store);
}

// Real edits of one replica, each recorded as the encoded delta its mutator
// returned, the way a server receives them.
class EditHistory {
 public:
  explicit EditHistory(std::uint64_t replica) : doc_(crdt::ReplicaId{replica}) {}

  const crdt::GraphDoc& doc() const { return doc_; }
  const std::vector<crdt::Bytes>& deltas() const { return deltas_; }

  void add_node(const std::string& id, int x) {
    record(doc_.add_node({{"id", id},
                          {"type", "box"},
                          {"position", {{"x", x}, {"y", -x}}},
                          {"data", {{"label", id}, {"size", x}}}}));
  }
  void set_parameter(const std::string& id, const std::string& key, crdt::Json value) {
    record(doc_.set_node_data_value(id, key, value));
  }
  void add_edge(const std::string& id, const std::string& source, const std::string& target) {
    record(doc_.add_edge({{"id", id}, {"source", source}, {"target", target}}));
  }
  void remove_node(const std::string& id) { record(doc_.remove_node(id)); }

  // A mixed history of `edits` edits: adds, parameter edits, edges, removals.
  void make_edits(int edits, const std::string& prefix) {
    for (int edit = 0; edit < edits; ++edit) {
      const std::string node = prefix + std::to_string(edit / 4);
      switch (edit % 4) {
        case 0:
          add_node(node, edit);
          break;
        case 1:
          set_parameter(node, "color", "c" + std::to_string(edit));
          break;
        case 2:
          if (edit >= 6)
            add_edge(node + "-e", prefix + "0", node);  // node 0 is never removed
          else
            set_parameter(node, "size", edit);
          break;
        default:
          if (edit % 12 == 11)
            remove_node(node);
          else
            set_parameter(node, "label", "edited " + std::to_string(edit));
          break;
      }
    }
  }

 private:
  void record(crdt::Result<crdt::GraphDoc> delta) {
    ASSERT_TRUE(delta.ok()) << delta.error().message;
    deltas_.push_back(crdt::encode(*delta));
  }

  crdt::GraphDoc doc_;
  std::vector<crdt::Bytes> deltas_;
};

// Holds the store thread inside a flush callback until open() is called,
// so that every job queued meanwhile waits behind it. Test-only: a real
// callback must never block.
class StoreGate {
 public:
  explicit StoreGate(WorkspaceStore& store) {
    auto opened = opened_.get_future().share();
    store.flush([this, opened](std::optional<crdt::Error>) {
      entered_.set_value();
      opened.wait();
    });
    entered_.get_future().wait();
  }
  StoreGate(const StoreGate&) = delete;
  StoreGate& operator=(const StoreGate&) = delete;
  ~StoreGate() { open(); }

  void open() {
    if (!is_open_) opened_.set_value();
    is_open_ = true;
  }

 private:
  std::promise<void> entered_;
  std::promise<void> opened_;
  bool is_open_ = false;
};

// Rows of a table, read straight from the database file of a closed store.
inline std::int64_t count_rows(const std::filesystem::path& database, const std::string& where) {
  auto db = SqliteDb::open(database.string());
  if (!db.ok()) {
    ADD_FAILURE() << db.error().message;
    return -1;
  }
  auto count = db->query_int64("SELECT count(*) FROM " + where, "count rows");
  if (!count.ok()) {
    ADD_FAILURE() << count.error().message;
    return -1;
  }
  return *count;
}

}  // namespace trellis::server::testing
