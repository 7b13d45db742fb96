#include "storage/workspace_store.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "storage/workspace_database.hpp"

namespace trellis::server {

namespace {

struct CreateJob {
  std::string id;
  WorkspaceStore::CreateDone done;
};
struct LoadJob {
  std::string id;
  WorkspaceStore::LoadDone done;
};
struct AppendJob {
  std::string id;
  crdt::Bytes delta;
  WorkspaceStore::Done done;
};
struct SnapshotJob {
  std::string id;
  crdt::Bytes state;
  WorkspaceStore::Done done;
};
struct FlushJob {
  WorkspaceStore::Done done;
};
using Job = std::variant<CreateJob, LoadJob, AppendJob, SnapshotJob, FlushJob>;

crdt::Error invalid(std::string message) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument, "storage: " + std::move(message));
}

std::optional<crdt::Error> check_workspace_id(const std::string& id) {
  if (id.empty()) return invalid("a workspace id must not be empty");
  if (id.size() > kMaxWorkspaceIdBytes) {
    return crdt::make_error(crdt::ErrorCode::limit_exceeded,
                            "storage: a workspace id has at most " +
                                std::to_string(kMaxWorkspaceIdBytes) + " bytes, this one " +
                                std::to_string(id.size()));
  }
  return std::nullopt;
}

// Hands `error` to the job's callback, whichever kind of job it is.
void fail(Job& job, const crdt::Error& error) {
  std::visit(
      [&](auto& pending) {
        if (!pending.done) return;
        using Kind = std::decay_t<decltype(pending)>;
        if constexpr (std::is_same_v<Kind, CreateJob>) {
          pending.done(crdt::Result<bool>(error));
        } else if constexpr (std::is_same_v<Kind, LoadJob>) {
          pending.done(crdt::Result<std::optional<LoadedWorkspace>>(error));
        } else {
          pending.done(error);
        }
      },
      job);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct WorkspaceStore::State {
  State(StoreOptions store_options, WorkspaceDatabase database)
      : options(std::move(store_options)), db(std::move(database)) {}

  // Queues `job`, or returns why it was refused (and leaves `job` intact).
  std::optional<crdt::Error> enqueue(Job& job, bool bounded);
  // Queues `job` unless it is `refused` already or enqueue refuses it; a
  // refused job gets its error inline.
  void submit(Job job, std::optional<crdt::Error> refused, bool bounded = true);
  void request_close();
  bool on_store_thread() const { return std::this_thread::get_id() == store_thread; }

  // The store thread.
  void run();
  void commit_appends(std::vector<AppendJob>& batch);
  void run_job(CreateJob& job);
  void run_job(LoadJob& job);
  void run_job(AppendJob& job);
  void run_job(SnapshotJob& job);
  void run_job(FlushJob& job);

  const StoreOptions options;
  // Used by the store thread only, and closed by it when it ends.
  std::optional<WorkspaceDatabase> db;
  std::vector<PendingDelta> pending;  // reused by commit_appends

  mutable std::mutex mutex;  // guards queue and closing
  std::condition_variable wakeup;
  std::deque<Job> queue;
  bool closing = false;
  bool pacing = false;  // the store thread waits out min_commit_interval

  std::mutex join_mutex;  // guards thread against concurrent join/detach
  std::thread thread;
  std::thread::id store_thread;  // set before open() returns, then read-only

  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> appended_deltas{0};
  std::atomic<std::uint64_t> appended_bytes{0};
  std::atomic<std::uint64_t> snapshots_written{0};
  std::atomic<std::uint64_t> failed_transactions{0};
};

std::optional<crdt::Error> WorkspaceStore::State::enqueue(Job& job, bool bounded) {
  bool wake = true;
  {
    std::lock_guard lock(mutex);
    if (closing) return invalid("the store is closed");
    if (bounded && queue.size() >= options.max_queued_jobs) {
      return crdt::make_error(
          crdt::ErrorCode::limit_exceeded,
          "storage: the queue is full (" + std::to_string(queue.size()) + " jobs waiting)");
    }
    queue.push_back(std::move(job));
    // A store thread pacing its commits takes this job when the interval
    // ends anyway; waking it for every append would cost a futex round trip.
    wake = !pacing || queue.size() >= options.max_batch_appends;
  }
  if (wake) wakeup.notify_one();
  return std::nullopt;
}

void WorkspaceStore::State::submit(Job job, std::optional<crdt::Error> refused, bool bounded) {
  if (!refused) refused = enqueue(job, bounded);
  if (refused) fail(job, *refused);
}

void WorkspaceStore::State::request_close() {
  {
    std::lock_guard lock(mutex);
    closing = true;
  }
  wakeup.notify_one();
}

void WorkspaceStore::State::run() {
  std::vector<AppendJob> batch;
  const std::size_t max_batch = std::max<std::size_t>(options.max_batch_appends, 1);
  // Group commit: the appends at the front of the queue, never one queued
  // behind another kind of job.
  const auto take_appends = [&] {
    while (!queue.empty() && batch.size() < max_batch) {
      auto* append = std::get_if<AppendJob>(&queue.front());
      if (append == nullptr) break;
      batch.push_back(std::move(*append));
      queue.pop_front();
    }
  };
  // Only appends queued behind the batch may join it while it waits.
  const auto batch_can_grow = [&] {
    return batch.size() < max_batch &&
           (queue.empty() || std::holds_alternative<AppendJob>(queue.front()));
  };
  auto last_commit = std::chrono::steady_clock::time_point::min();
  for (;;) {
    std::optional<Job> job;
    {
      std::unique_lock lock(mutex);
      wakeup.wait(lock, [&] { return !queue.empty() || closing; });
      if (queue.empty()) break;  // closing, and every queued job is done
      take_appends();
      if (!batch.empty() && options.min_commit_interval.count() > 0 &&
          last_commit != std::chrono::steady_clock::time_point::min()) {
        // Sized by load: wait out the interval since the last group, taking
        // what arrives meanwhile (see Durability in workspace_store.hpp).
        const auto due = last_commit + options.min_commit_interval;
        pacing = true;
        while (!closing && batch_can_grow() && std::chrono::steady_clock::now() < due) {
          wakeup.wait_until(lock, due);
          take_appends();
        }
        pacing = false;
      }
      if (batch.empty()) {
        job.emplace(std::move(queue.front()));
        queue.pop_front();
      }
    }
    if (!batch.empty()) {
      last_commit = std::chrono::steady_clock::now();
      commit_appends(batch);
      batch.clear();
    } else {
      std::visit([this](auto& pending_job) { run_job(pending_job); }, *job);
    }
  }
  db.reset();  // closes the file (checkpointing the WAL) before close() returns
}

void WorkspaceStore::State::commit_appends(std::vector<AppendJob>& batch) {
  pending.clear();
  std::uint64_t bytes = 0;
  for (const AppendJob& job : batch) {
    pending.push_back(PendingDelta{job.id, job.delta});
    bytes += job.delta.size();
  }
  const auto start = std::chrono::steady_clock::now();
  std::optional<crdt::Error> error = db->append_batch(pending);
  const double seconds = seconds_since(start);
  pending.clear();
  if (error) {
    failed_transactions.fetch_add(1, std::memory_order_relaxed);
  } else {
    commits.fetch_add(1, std::memory_order_relaxed);
    appended_deltas.fetch_add(batch.size(), std::memory_order_relaxed);
    appended_bytes.fetch_add(bytes, std::memory_order_relaxed);
    if (options.on_commit) options.on_commit(seconds, batch.size());
  }
  for (AppendJob& job : batch) {
    if (job.done) job.done(error);
  }
}

void WorkspaceStore::State::run_job(CreateJob& job) {
  auto created = db->create_workspace(job.id);
  if (!created) failed_transactions.fetch_add(1, std::memory_order_relaxed);
  if (job.done) job.done(std::move(created));
}

void WorkspaceStore::State::run_job(LoadJob& job) {
  auto loaded = db->load(job.id);
  if (job.done) job.done(std::move(loaded));
}

void WorkspaceStore::State::run_job(AppendJob& job) {
  std::vector<AppendJob> batch;
  batch.push_back(std::move(job));
  commit_appends(batch);
}

void WorkspaceStore::State::run_job(SnapshotJob& job) {
  std::optional<crdt::Error> error = db->write_snapshot(job.id, job.state);
  if (error) {
    failed_transactions.fetch_add(1, std::memory_order_relaxed);
  } else {
    snapshots_written.fetch_add(1, std::memory_order_relaxed);
  }
  if (job.done) job.done(std::move(error));
}

void WorkspaceStore::State::run_job(FlushJob& job) {
  if (job.done) job.done(std::nullopt);
}

// --- WorkspaceStore

crdt::Result<std::unique_ptr<WorkspaceStore>> WorkspaceStore::open(StoreOptions options) {
  DatabaseSettings settings;
  settings.busy_timeout = options.busy_timeout;
  settings.max_database_bytes = options.max_database_bytes;
  if (options.in_memory) {
    settings.path = ":memory:";
  } else {
    if (options.data_dir.empty()) return invalid("no data directory given");
    std::error_code error;
    std::filesystem::create_directories(options.data_dir, error);
    if (error) {
      return invalid("cannot create data directory " + options.data_dir.string() + ": " +
                     error.message());
    }
    settings.path = (options.data_dir / kDatabaseFileName).string();
  }
  auto db = WorkspaceDatabase::open(settings);
  if (!db) return db.error();

  auto state = std::make_shared<State>(std::move(options), std::move(*db));
  try {
    // The thread shares the state, so that it can finish even when the store
    // is destroyed on it (see ~WorkspaceStore).
    state->thread = std::thread([state] { state->run(); });
  } catch (const std::system_error& failure) {
    return invalid(std::string("cannot start the store thread: ") + failure.what());
  }
  state->store_thread = state->thread.get_id();
  return std::unique_ptr<WorkspaceStore>(new WorkspaceStore(std::move(state)));
}

WorkspaceStore::WorkspaceStore(std::shared_ptr<State> state) : state_(std::move(state)) {}

WorkspaceStore::~WorkspaceStore() {
  if (state_->on_store_thread()) {
    // Destroyed by a callback: the thread cannot join itself. It drains the
    // queue and ends on its own, keeping the state alive until then.
    state_->request_close();
    std::lock_guard lock(state_->join_mutex);
    if (state_->thread.joinable()) state_->thread.detach();
    return;
  }
  close();
}

void WorkspaceStore::create_workspace(std::string id, CreateDone done) {
  std::optional<crdt::Error> refused = check_workspace_id(id);
  state_->submit(CreateJob{std::move(id), std::move(done)}, std::move(refused));
}

void WorkspaceStore::load(std::string id, LoadDone done) {
  std::optional<crdt::Error> refused = check_workspace_id(id);
  state_->submit(LoadJob{std::move(id), std::move(done)}, std::move(refused));
}

void WorkspaceStore::append(std::string id, crdt::Bytes delta, Done done) {
  std::optional<crdt::Error> refused = check_workspace_id(id);
  if (!refused && delta.empty()) refused = invalid("an empty delta is not a delta");
  state_->submit(AppendJob{std::move(id), std::move(delta), std::move(done)}, std::move(refused));
}

void WorkspaceStore::write_snapshot(std::string id, crdt::Bytes state, Done done) {
  std::optional<crdt::Error> refused = check_workspace_id(id);
  if (!refused && state.empty()) refused = invalid("an empty snapshot is not a state");
  state_->submit(SnapshotJob{std::move(id), std::move(state), std::move(done)}, std::move(refused));
}

void WorkspaceStore::flush(Done done) {
  state_->submit(FlushJob{std::move(done)}, std::nullopt, /*bounded=*/false);
}

std::optional<crdt::Error> WorkspaceStore::flush() {
  if (state_->on_store_thread())
    return invalid("flush() on the store thread would wait for itself");
  std::promise<std::optional<crdt::Error>> finished;
  auto result = finished.get_future();
  flush([&finished](std::optional<crdt::Error> error) { finished.set_value(std::move(error)); });
  return result.get();
}

void WorkspaceStore::close() {
  state_->request_close();
  if (state_->on_store_thread()) return;
  std::lock_guard lock(state_->join_mutex);
  if (state_->thread.joinable()) state_->thread.join();
}

StoreCounters WorkspaceStore::counters() const {
  StoreCounters counters;
  counters.commits = state_->commits.load(std::memory_order_relaxed);
  counters.appended_deltas = state_->appended_deltas.load(std::memory_order_relaxed);
  counters.appended_bytes = state_->appended_bytes.load(std::memory_order_relaxed);
  counters.snapshots_written = state_->snapshots_written.load(std::memory_order_relaxed);
  counters.failed_transactions = state_->failed_transactions.load(std::memory_order_relaxed);
  std::lock_guard lock(state_->mutex);
  counters.queued_jobs = state_->queue.size();
  return counters;
}

}  // namespace trellis::server
