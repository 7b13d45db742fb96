#include "trellis/client/native_client.hpp"

#include "trellis/net/asio.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <variant>

#include "trellis/client/client_store.hpp"
#include "trellis/client/data_dir.hpp"
#include "trellis/crdt/graph_view.hpp"
#include "trellis/crdt/value_codec.hpp"
#include "trellis/sync/message_codec.hpp"

namespace trellis::client {

namespace asio = boost::asio;

std::chrono::milliseconds backoff_delay(const ReconnectPolicy& policy, std::uint32_t attempt,
                                        std::uint64_t random_bits) {
  const auto base = static_cast<std::uint64_t>(std::max<std::int64_t>(policy.base.count(), 0));
  const auto cap = static_cast<std::uint64_t>(std::max<std::int64_t>(policy.cap.count(), 0));
  // min(cap, base * 2^attempt) without overflowing.
  std::uint64_t ceiling = cap;
  if (attempt < 63 && base <= (cap >> attempt)) ceiling = base << attempt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(random_bits % (ceiling + 1)));
}

std::string to_string(const ClientError& error) {
  std::string text;
  switch (error.source) {
    case ClientError::Source::server:
      text = "server";
      break;
    case ClientError::Source::transport:
      text = "connection";
      break;
    case ClientError::Source::store:
      text = "data directory";
      break;
  }
  if (error.code) text += " (" + std::string(sync::to_string(*error.code)) + ")";
  return text + ": " + error.message;
}

class NativeClient::Impl {
 public:
  Impl(ClientOptions options, ClientCallbacks callbacks, DataDirLock lock, ClientStore store,
       sync::ClientSession session)
      : options_(std::move(options)),
        callbacks_(std::move(callbacks)),
        lock_(std::move(lock)),
        store_(std::move(store)),
        session_(std::move(session)),
        work_(asio::make_work_guard(io_)),
        reconnect_timer_(io_),
        stop_timer_(io_),
        random_(std::random_device{}()) {
    transport_ = options_.transport
                     ? options_.transport(io_.get_executor())
                     : make_websocket_transport(io_.get_executor(),
                                                {.max_frame_bytes = options_.max_frame_bytes});
    publish();
    thread_ = std::thread([this] { run_io(); });
  }

  ~Impl() { stop(); }

  // --- Called from any thread.

  // Runs `task` on the client's thread and returns its result: inline when
  // already there, or once the thread is gone.
  template <class Task>
  auto on_client(Task&& task) -> decltype(task()) {
    // On the client's thread (a callback, or stop() draining the queue).
    if (io_.get_executor().running_in_this_thread()) return task();
    std::unique_lock lifecycle(lifecycle_mutex_);
    if (!thread_running_) return task();  // serialized by the lock
    std::packaged_task<decltype(task())()> packaged(std::forward<Task>(task));
    auto result = packaged.get_future();
    asio::post(io_, [&packaged] { packaged(); });
    lifecycle.unlock();
    return result.get();
  }

  ClientStatus status() const {
    std::lock_guard lock(status_mutex_);
    return status_;
  }

  bool wait_until(const std::function<bool(const ClientStatus&)>& predicate,
                  std::chrono::milliseconds timeout) const {
    std::unique_lock lock(status_mutex_);
    return status_changed_.wait_for(lock, timeout, [&] { return predicate(status_); });
  }

  void stop() {
    assert(!io_.get_executor().running_in_this_thread() && "stop() from a client callback");
    {
      std::lock_guard lifecycle(lifecycle_mutex_);
      if (!thread_running_) return;
      asio::post(io_, [this] { begin_stop(); });
    }
    thread_.join();
    std::lock_guard lifecycle(lifecycle_mutex_);
    thread_running_ = false;
    // Tasks posted by on_client() after the loop ended still run.
    io_.restart();
    io_.poll();
    std::lock_guard lock(status_mutex_);
    status_.stopped = true;
    status_changed_.notify_all();
  }

  // --- On the client's thread.

  void connect() {
    if (options_.server_url.empty() || stopping_) return;
    wanted_online_ = true;
    begin_connect();
  }

  std::optional<Error> edit(const EditFunction& edit) {
    if (store_failed_) {
      return crdt::make_error(crdt::ErrorCode::invalid_argument,
                              "the client halted after a data directory error");
    }
    const std::size_t outbox_before = session_.outbox().size();
    auto frame = session_.edit(edit);
    if (!frame) return frame.error();
    if (session_.outbox().size() == outbox_before) return std::nullopt;  // nothing changed
    // Write-ahead: on disk before the frame leaves.
    if (auto error = store_.record_local(session_.outbox().back())) {
      halt_on_store_error(*error);
      return error;
    }
    if (*frame) transport_->send(std::move(**frame));
    after_store_write();
    publish();
    return std::nullopt;
  }

  std::optional<Error> set_presence(const Json& state) {
    if (crdt::encode_value(state).size() > sync::limits::kMaxClientPresenceBytes) {
      return crdt::make_error(crdt::ErrorCode::limit_exceeded,
                              "a presence state is limited to " +
                                  std::to_string(sync::limits::kMaxClientPresenceBytes) +
                                  " bytes once encoded");
    }
    own_presence_ = state;
    if (auto frame = session_.presence(state)) transport_->send(std::move(*frame));
    return std::nullopt;
  }

  const sync::ClientSession& session() const { return session_; }
  const std::map<std::string, PeerPresence>& peers() const { return peers_; }

 private:
  void run_io() {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (...) {
        // A callback threw: the client carries on (nothing may unwind
        // through Asio's loop).
      }
    }
  }

  template <class Callback, class... Args>
  static void notify(const Callback& callback, Args&&... args) {
    if (!callback) return;
    try {
      callback(std::forward<Args>(args)...);
    } catch (...) {
      // A callback's failure is the caller's; the client's state is intact.
    }
  }

  void report(ClientError error) { notify(callbacks_.error, error); }

  // --- Connection lifecycle.

  void begin_connect() {
    if (connection_active_ || stopping_ || status_.halted || !wanted_online_) return;
    connection_active_ = true;
    const std::uint64_t id = ++connection_id_;
    set_state(ConnectionState::connecting);
    TransportHandlers handlers;
    handlers.opened = [this, id] {
      if (id == connection_id_) on_opened();
    };
    handlers.received = [this, id](Bytes frame) {
      if (id == connection_id_ && transport_open_) on_frame(frame);
    };
    handlers.closed = [this, id](std::string reason) {
      if (id == connection_id_) on_closed(std::move(reason));
    };
    transport_->connect(options_.server_url, std::move(handlers));
  }

  void on_opened() {
    transport_open_ = true;
    if (stopping_ || status_.halted) {
      transport_->close();
      return;
    }
    transport_->send(session_.on_connected());
  }

  void on_closed(std::string reason) {
    connection_active_ = false;
    transport_open_ = false;
    session_.on_disconnected();
    forget_peers();
    set_state(ConnectionState::offline);
    if (stopping_) {
      stop_timer_.cancel();
      return;
    }
    if (!reason.empty() && !status_.halted) {
      report({ClientError::Source::transport, std::nullopt, std::move(reason)});
    }
    schedule_reconnect();
  }

  void schedule_reconnect() {
    if (stopping_ || status_.halted || !wanted_online_) return;
    const auto delay = backoff_delay(options_.reconnect, attempt_, random_());
    attempt_ = std::min<std::uint32_t>(attempt_ + 1, 64);
    reconnect_timer_.expires_after(delay);
    reconnect_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error) begin_connect();
    });
  }

  void begin_stop() {
    stopping_ = true;
    reconnect_timer_.cancel();
    if (connection_active_) {
      transport_->close();
      // A server that does not finish the close handshake is abandoned.
      stop_timer_.expires_after(options_.stop_timeout);
      stop_timer_.async_wait([this](const boost::system::error_code& error) {
        if (!error) io_.stop();
      });
    }
    work_.reset();
  }

  // --- Frames from the server.

  void on_frame(const Bytes& frame) {
    auto decoded = sync::decode_message(frame, options_.max_frame_bytes);
    if (!decoded) {
      // The session reports the malformed frame (a batch included) and closes.
      const sync::ConnectionState before = session_.state();
      on_output(session_.on_frame(frame), before);
    } else if (const auto* batch = std::get_if<sync::Batch>(&*decoded)) {
      // Each message of a batch is journaled before the next is handled, as
      // if it had come alone; a message that closes or halts ends the batch.
      for (const sync::Message& message : batch->messages)
        if (!on_message(message)) break;
    } else {
      on_message(*decoded);
    }
    publish();
  }

  // One message from the server; false when nothing after it may be handled.
  bool on_message(const sync::Message& message) {
    const sync::ConnectionState before = session_.state();
    sync::ClientOutput out = session_.on_message(message);
    // What the session accepted is journaled before anything that follows
    // it leaves or is reported.
    if (!out.error && !persist_received(message, before)) return false;
    return on_output(std::move(out), before);
  }

  // Carries out what the session returned; false once closing or halted.
  bool on_output(sync::ClientOutput out, sync::ConnectionState before) {
    for (Bytes& reply : out.to_server)
      transport_->send(std::move(reply));
    if (out.document_changed) {
      ++remote_changes_;
      notify(callbacks_.document_changed);
    }
    for (sync::Presence& presence : out.presence)
      on_presence(std::move(presence));
    if (before != ConnectionState::online && session_.state() == ConnectionState::online) {
      attempt_ = 0;  // a welcome: the next failure starts the backoff over
      if (own_presence_) {
        if (auto presence = session_.presence(*own_presence_))
          transport_->send(std::move(*presence));
      }
      set_state(ConnectionState::online);
    }
    if (out.error) on_server_error(*out.error);
    if (out.close) transport_->close();
    return !out.close && !status_.halted;
  }

  bool persist_received(const sync::Message& message, sync::ConnectionState before) {
    std::optional<Error> error;
    if (const auto* welcome = std::get_if<sync::Welcome>(&message);
        welcome && before == ConnectionState::connecting) {
      error = store_.record_remote(welcome->catch_up, welcome->context);
    } else if (const auto* delta = std::get_if<sync::DeltaMessage>(&message);
               delta && before == ConnectionState::online) {
      error = store_.record_remote(delta->delta, delta->covers);
    } else if (const auto* ack = std::get_if<sync::Ack>(&message);
               ack && before == ConnectionState::online) {
      error = store_.record_ack(ack->durable);
    } else {
      return true;
    }
    if (error) {
      halt_on_store_error(*error);
      return false;
    }
    after_store_write();
    return true;
  }

  void on_server_error(const sync::ErrorMessage& error) {
    ClientError reported{ClientError::Source::server, error.code, error.message};
    // These do not get better by trying again.
    if (error.code == sync::ProtocolError::unsupported_version ||
        error.code == sync::ProtocolError::unauthorized) {
      halt(std::move(reported));
      return;
    }
    report(std::move(reported));
  }

  void on_presence(sync::Presence presence) {
    const auto& self = session_.user();
    if (self && presence.user_id == self->id) return;  // our own, echoed
    if (presence.state.is_null()) {
      if (peers_.erase(presence.user_id) > 0) {
        notify(callbacks_.presence_changed,
               PresenceEvent{PresenceChange::left, presence.user_id, {}});
      }
      return;
    }
    PeerPresence peer{sync::UserIdentity{presence.user_id, "", ""}, nullptr};
    if (presence.state.is_object()) {
      const Json user = presence.state.value("user", Json::object());
      if (user.is_object()) {
        peer.user.name = user.value("username", std::string());
        peer.user.color = user.value("color", std::string());
      }
      peer.state = presence.state.value("state", Json());
    }
    auto [entry, joined] = peers_.insert_or_assign(presence.user_id, peer);
    notify(callbacks_.presence_changed,
           PresenceEvent{joined ? PresenceChange::joined : PresenceChange::updated,
                         presence.user_id, entry->second});
  }

  // Offline, nobody is known to be there.
  void forget_peers() {
    auto gone = std::move(peers_);
    peers_.clear();
    for (const auto& [user_id, peer] : gone) {
      notify(callbacks_.presence_changed, PresenceEvent{PresenceChange::left, user_id, {}});
    }
  }

  // --- Store and status.

  void after_store_write() {
    if (store_.journal_bytes() < options_.compact_journal_bytes) return;
    // A failed compaction leaves the old snapshot and the journal, which
    // still hold everything: report it and carry on.
    if (auto error = store_.compact(session_.doc(), session_.received(), session_.outbox())) {
      report({ClientError::Source::store, std::nullopt, "compaction failed: " + error->message});
    }
  }

  // The replica may now hold what the disk does not: nothing more may leave.
  void halt_on_store_error(const Error& error) {
    store_failed_ = true;
    halt({ClientError::Source::store, std::nullopt, error.message});
  }

  void halt(ClientError error) {
    reconnect_timer_.cancel();
    {
      std::lock_guard lock(status_mutex_);
      status_.halted = error;
    }
    if (connection_active_) transport_->close();
    report(std::move(error));
    publish();
  }

  void set_state(ConnectionState state) {
    if (state == state_) return;
    state_ = state;
    // The callback runs first: whoever waits for the status to show the
    // new state finds that the callback has run.
    notify(callbacks_.state_changed, state);
    publish();
  }

  void publish() {
    std::lock_guard lock(status_mutex_);
    status_.state = state_;
    status_.outbox_size = session_.outbox().size();
    status_.remote_changes = remote_changes_;
    status_.user = session_.user();
    status_changed_.notify_all();
  }

  ClientOptions options_;
  ClientCallbacks callbacks_;
  DataDirLock lock_;
  ClientStore store_;
  sync::ClientSession session_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer stop_timer_;
  std::unique_ptr<Transport> transport_;  // after io_: its sockets go first
  std::thread thread_;
  std::mutex lifecycle_mutex_;
  bool thread_running_ = true;

  // The client thread's own state.
  ConnectionState state_ = ConnectionState::offline;
  bool wanted_online_ = false;
  bool connection_active_ = false;  // connect() called, closed() not yet
  bool transport_open_ = false;     // opened() seen, closed() not yet
  std::uint64_t connection_id_ = 0;
  std::uint32_t attempt_ = 0;
  std::mt19937_64 random_;
  bool stopping_ = false;
  bool store_failed_ = false;
  std::uint64_t remote_changes_ = 0;
  std::optional<Json> own_presence_;
  std::map<std::string, PeerPresence> peers_;

  mutable std::mutex status_mutex_;
  mutable std::condition_variable status_changed_;
  ClientStatus status_;
};

crdt::Result<std::unique_ptr<NativeClient>> NativeClient::open(ClientOptions options,
                                                               ClientCallbacks callbacks) {
  if (options.workspace_id.empty()) {
    return crdt::make_error(crdt::ErrorCode::invalid_argument, "a workspace id is required");
  }
  if (!options.server_url.empty()) {
    if (auto address = parse_server_url(options.server_url); !address) return address.error();
  }
  auto lock = DataDirLock::acquire(options.data_dir);
  if (!lock) return lock.error();
  crdt::ReplicaId new_replica;
  if (options.new_replica) {
    new_replica = *options.new_replica;
  } else {
    auto random = random_replica_id();
    if (!random) return random.error();
    new_replica = *random;
  }
  auto store = ClientStore::open(options.data_dir, options.workspace_id, new_replica);
  if (!store) return store.error();
  StoredState loaded = store->take_loaded();
  sync::ClientSession session(sync::ClientConfig{options.workspace_id, options.client_name,
                                                 options.auth_token, options.max_frame_bytes},
                              std::move(loaded.doc), std::move(loaded.received),
                              std::move(loaded.outbox));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(callbacks), std::move(*lock),
                                     std::move(*store), std::move(session));
  return std::unique_ptr<NativeClient>(new NativeClient(std::move(impl)));
}

NativeClient::NativeClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NativeClient::~NativeClient() = default;

void NativeClient::connect() {
  impl_->on_client([&] { impl_->connect(); });
}

std::optional<Error> NativeClient::edit(const EditFunction& edit) {
  return impl_->on_client([&] { return impl_->edit(edit); });
}

std::optional<Error> NativeClient::set_presence(const Json& state) {
  return impl_->on_client([&] { return impl_->set_presence(state); });
}

Json NativeClient::view() const {
  return impl_->on_client([&] { return crdt::graph_view(impl_->session().doc()); });
}

void NativeClient::read(const std::function<void(const crdt::GraphDoc&)>& read) const {
  impl_->on_client([&] { read(impl_->session().doc()); });
}

std::map<std::string, PeerPresence> NativeClient::peers() const {
  return impl_->on_client([&] { return impl_->peers(); });
}

ClientStatus NativeClient::status() const {
  return impl_->status();
}

bool NativeClient::wait_until(const std::function<bool(const ClientStatus&)>& predicate,
                              std::chrono::milliseconds timeout) const {
  return impl_->wait_until(predicate, timeout);
}

bool NativeClient::wait_until_synced(std::chrono::milliseconds timeout) const {
  return impl_->wait_until(
             [](const ClientStatus& status) {
               return status.synced() || status.halted.has_value() || status.stopped;
             },
             timeout) &&
         impl_->status().synced();
}

void NativeClient::stop() {
  impl_->stop();
}

}  // namespace trellis::client
