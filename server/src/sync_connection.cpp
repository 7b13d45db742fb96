#include "sync_connection.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "close_codes.hpp"
#include "identity.hpp"
#include "lingering_close.hpp"
#include "log.hpp"
#include "peer.hpp"
#include "trellis/sync/message_codec.hpp"
#include "websocket_closing.hpp"
#include "websocket_reading.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// Read-buffer capacity a connection keeps between frames; deltas and
// presence are far smaller.
constexpr std::size_t kKeptReadBufferBytes = 8 << 10;
// What a read asks for first, and what an idle connection keeps allocated:
// a delta of one edit fits (about 60 bytes; a longer one takes more reads).
constexpr std::size_t kFirstReadBytes = 128;
// Bytes of one `batch` frame at most (and never past --max-frame-bytes):
// frames queued for a connection go out in one write up to this. A batch in
// flight has left the queue and no longer counts against
// --outbound-queue-bytes, so it stays small next to that limit.
constexpr std::size_t kMaxBatchBytes = 64 << 10;

class SyncConnection final : public Peer, public std::enable_shared_from_this<SyncConnection> {
 public:
  SyncConnection(ServerContext& context, beast::tcp_stream stream)
      : context_(context),
        ws_(take_upgraded_socket(std::move(stream), context.io)),
        queue_(context.config.outbound_queue_bytes, OutboundQueue::kDefaultMaxEntries,
               context.config.max_frame_bytes),
        id_(context.next_connection_id.fetch_add(1)) {}

  void start(HttpRequest request) {
    auto self = shared_from_this();
    std::weak_ptr<SyncConnection> weak = self;
    auto shut_down = [weak] {
      if (auto connection = weak.lock()) {
        connection->post(
            [](SyncConnection& self) { self.close_after_queue(close_code::going_away); });
      }
    };
    if (!context_.connections.add(id_, shut_down, context_.config.max_connections)) {
      // Past --max-connections (the HTTP side counted this socket already,
      // so this happens only when shutting down).
      return;
    }
    context_.metrics.connections_open.fetch_add(1, std::memory_order_relaxed);
    const ServerConfig& config = context_.config;
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(30);
    // A ping goes out after half of it without traffic; nothing for all of
    // it closes the connection (config.hpp: ping_interval + ping_timeout).
    timeouts.idle_timeout = config.ping_interval + config.ping_timeout;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(config.max_frame_bytes);
    ws_.binary(true);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set("Server", "trellisd"); }));
    // The upgrade request lives until the accept completes, not as long as
    // the connection: its headers would be a good part of an idle
    // connection's memory.
    auto upgrade = std::make_shared<HttpRequest>(std::move(request));
    ws_.async_accept(*upgrade, [self, upgrade](boost::system::error_code error) {
      if (error) return self->finish();
      self->session_ = std::make_unique<sync::ServerSession>(self->context_.config.max_frame_bytes);
      self->await_hello_until(self->context_.config.http_idle_timeout);
      self->read_message();
    });
  }

  // --- Peer: thread-safe, each posts to this connection's strand.
  void send_control(Frame frame) override {
    post([frame = std::move(frame)](SyncConnection& self) {
      if (self.accepting()) self.enqueued(self.queue_.push_control(frame));
    });
  }
  void send_delta(Frame frame) override {
    post([frame = std::move(frame)](SyncConnection& self) {
      if (self.accepting()) self.enqueued(self.queue_.push_delta(frame));
    });
  }
  void send_presence(const std::string& user_id, Frame frame) override {
    post([user_id, frame = std::move(frame)](SyncConnection& self) {
      if (self.accepting()) self.enqueued(self.queue_.push_presence(user_id, frame));
    });
  }
  void close(sync::ProtocolError reason) override {
    post([reason](SyncConnection& self) { self.close_after_queue(close_code_for(reason)); });
  }

 private:
  template <class Action>
  void post(Action action) {
    asio::post(ws_.get_executor(), [self = shared_from_this(),
                                    action = std::move(action)]() mutable { action(*self); });
  }

  // The read loop is plain completion handlers, not a coroutine: a
  // coroutine waiting in a read keeps its frame, co_spawn's frame and
  // use_awaitable's initiation frame, about 2.5 KB per idle connection
  // (docs/performance.md, "Memory per connection after the
  // connection-memory pass"). Each step below ends in exactly one of: the
  // next read, or finish().

  // Reads the next whole message into buffer_, then on_message().
  void read_message() {
    read_whole_message(ws_, buffer_, kFirstReadBytes,
                       [self = shared_from_this()](boost::system::error_code error) {
                         if (error) return self->finish();  // closed, reset or timed out
                         self->guarded([&] { self->on_message(); });
                       });
  }

  template <class Step>
  void guarded(Step step) {
    run_guarded(step, [this] { finish(); });
  }

  void on_message() {
    context_.metrics.bytes_in.fetch_add(buffer_.size(), std::memory_order_relaxed);
    if (!ws_.got_binary()) {
      refuse(sync::ProtocolError::malformed_message,
             "the sync protocol uses binary frames; this was a text frame");
      return finish();
    }
    const auto* data = static_cast<const std::uint8_t*>(buffer_.data().data());
    crdt::Bytes frame(data, data + buffer_.size());
    // One large frame (a big paste, a long outbox) must not leave its
    // capacity to every later read of this connection.
    if (buffer_.capacity() > kKeptReadBufferBytes) buffer_ = beast::flat_buffer{};
    if (workspace_) return hand_to_workspace(std::move(frame));
    on_frame_before_join(frame);
  }

  // The next frame is read once the workspace has taken this one (so a
  // fast sender cannot pile frames up in front of a busy workspace).
  void hand_to_workspace(crdt::Bytes frame) {
    asio::post(workspace_->strand(),
               [workspace = workspace_, self = shared_from_this(), frame = std::move(frame)] {
                 const bool open = workspace->on_frame(self->id_, frame);
                 asio::post(self->ws_.get_executor(), [self, open] {
                   if (open) return self->read_message();
                   self->finish();
                 });
               });
  }

  // A WebSocket that sends no hello would otherwise hold its connection for
  // as long as it answers pings: it gets the time an HTTP client gets for
  // its headers (--http-idle-timeout), then an error and a close. The timer
  // holds the connection weakly and goes once a hello arrives.
  void await_hello_until(std::chrono::milliseconds limit) {
    hello_deadline_ = std::make_unique<asio::steady_timer>(ws_.get_executor(), limit);
    hello_deadline_->async_wait([weak = weak_from_this(), limit](boost::system::error_code error) {
      auto self = weak.lock();
      if (error || !self || !self->hello_deadline_) return;
      self->hello_deadline_.reset();
      if (self->close_code_) return;
      self->refuse(sync::ProtocolError::unexpected_message,
                   "no hello within " + std::to_string(limit.count()) + " ms");
      self->abort_unless_closed_within(kCloseGrace);
    });
  }

  // Before the hello is accepted, frames go to the connection's own session.
  void on_frame_before_join(const crdt::Bytes& frame) {
    sync::ServerOutput out = session_->on_frame(frame, nullptr);
    if (out.hello) hello_deadline_.reset();
    if (!out.hello) {
      // On this strand already: queue directly, so the error goes out
      // before the close that finish() would otherwise start first.
      for (crdt::Bytes& reply : out.to_peer)
        queue_.push_control(make_frame(std::move(reply)));
      if (out.close) {
        context_.metrics.frames_rejected.fetch_add(1, std::memory_order_relaxed);
        close_after_queue(
            close_code_for(out.error.value_or(sync::ProtocolError::unexpected_message)));
        return finish();
      }
      write_next();
      return read_message();
    }
    if (!is_valid_workspace_id(out.hello->workspace_id)) {
      refuse(sync::ProtocolError::workspace_unavailable,
             "a workspace id is 1 to 128 characters of A-Z, a-z, 0-9, '_' and '-'", session_.get());
      return finish();
    }
    // The registry answers on any thread: back to this strand. (The id is
    // copied first: the callback takes the hello.)
    std::string workspace_id = out.hello->workspace_id;
    context_.registry.acquire(
        workspace_id,
        [self = shared_from_this(), hello = std::move(*out.hello)](AcquireResult acquired) {
          asio::post(self->ws_.get_executor(),
                     [self, hello = std::move(hello), acquired = std::move(acquired)]() mutable {
                       self->guarded([&] { self->join(std::move(acquired), hello); });
                     });
        });
  }

  void join(AcquireResult acquired, const sync::Hello& hello) {
    if (!acquired.workspace) {
      refuse(acquired.error == AcquireError::storage_failed
                 ? sync::ProtocolError::workspace_unavailable
                 : sync::ProtocolError::server_busy,
             acquired.message, session_.get());
      return finish();
    }
    workspace_ = std::move(acquired.workspace);
    // Set before join: from the welcome on, what queues up for this
    // client goes out batched if it reads batches.
    batches_ = sync::reads_batches(hello.protocol_version);
    sync::UserIdentity user = new_user(hello.client_name);
    log_event(LogLevel::debug, "sync_hello", {{"workspace", workspace_->id()}, {"user", user.id}});
    // The session goes to the workspace, which runs it from now on.
    asio::post(workspace_->strand(),
               [workspace = workspace_, self = shared_from_this(), session = std::move(session_),
                user = std::move(user)]() mutable {
                 workspace->join(self->id_, self, std::move(*session), std::move(user));
                 asio::post(self->ws_.get_executor(), [self] { self->read_message(); });
               });
  }

  // Answers with an `error` and closes. Before the hello is accepted the
  // session itself is not in the workspace, so the frame is sent from here.
  void refuse(sync::ProtocolError code, std::string message,
              sync::ServerSession* session = nullptr) {
    context_.metrics.frames_rejected.fetch_add(1, std::memory_order_relaxed);
    if (session) {
      for (crdt::Bytes& frame : session->refuse(code, std::move(message)).to_peer)
        queue_.push_control(make_frame(std::move(frame)));
    } else {
      queue_.push_control(
          make_frame(sync::encode_message(sync::ErrorMessage{code, std::move(message), false})));
    }
    close_after_queue(close_code_for(code));
  }

  // Closed as a slow consumer, or closing: what the workspace still sends
  // is for a connection that will resync anyway.
  bool accepting() const { return !dropped_ && !closing_; }

  void enqueued(PushResult result) {
    if (result == PushResult::merged) {
      context_.metrics.slow_consumer_merges.fetch_add(1, std::memory_order_relaxed);
    }
    if (result == PushResult::overflow) {
      context_.metrics.slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
      log_event(LogLevel::warn, "slow_consumer_closed",
                {{"workspace", workspace_ ? workspace_->id() : std::string()},
                 {"pending_bytes", std::to_string(queue_.pending_bytes())}});
      queue_.clear();
      dropped_ = true;
      queue_.push_control(make_frame(sync::encode_message(
          sync::ErrorMessage{sync::ProtocolError::slow_consumer,
                             "this connection fell too far behind; reconnect to resync", false})));
      close_after_queue(close_code::slow_consumer);
      abort_unless_closed_within(kCloseGrace);
      return;
    }
    write_next();
  }

  void close_after_queue(std::uint16_t code) {
    if (!close_code_) close_code_ = code;
    write_next();
  }

  // The next frame to write: the next queued one, or, for a client that
  // reads batches, every queued one that fits in one batch frame.
  Frame next_frame() {
    if (!batches_) return queue_.pop();
    std::vector<Frame> frames =
        queue_.pop_batch(std::min(kMaxBatchBytes, context_.config.max_frame_bytes));
    if (frames.size() <= 1) return frames.empty() ? nullptr : std::move(frames.front());
    std::vector<std::span<const std::uint8_t>> messages;
    messages.reserve(frames.size());
    for (const Frame& frame : frames)
      messages.emplace_back(*frame);
    return make_frame(sync::encode_batch(messages));
  }

  void write_next() {
    if (writing_ || closing_) return;
    if (Frame frame = next_frame()) {
      writing_ = true;
      ws_.async_write(
          asio::buffer(*frame),
          [self = shared_from_this(), frame](boost::system::error_code error, std::size_t bytes) {
            self->writing_ = false;
            if (error) return self->abort();
            self->context_.metrics.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
            self->write_next();
          });
      return;
    }
    if (close_code_) start_close(*close_code_);
  }

  void start_close(std::uint16_t code) {
    if (closing_) return;
    closing_ = true;
    close_with_grace(ws_, websocket::close_reason(code), shared_from_this());
  }

  // Closes the socket at once (after the close handshake, or instead of it).
  void abort() { abort_socket(ws_); }

  // A peer that reads nothing at all never lets the write in flight finish,
  // so the error and the close queued behind it would wait for the idle
  // timeout (ping interval + timeout): give them `grace`, then drop it.
  void abort_unless_closed_within(std::chrono::steady_clock::duration grace) {
    auto timer = std::make_shared<asio::steady_timer>(ws_.get_executor(), grace);
    timer->async_wait([self = shared_from_this(), timer](boost::system::error_code error) {
      if (!error && !self->closing_) self->abort();
    });
  }

  // The reader is done: leave the workspace and let the writer finish.
  void finish() {
    hello_deadline_.reset();
    if (workspace_) {
      asio::post(workspace_->strand(),
                 [workspace = workspace_, id = id_] { workspace->leave(id); });
      context_.registry.release(workspace_);
    }
    context_.connections.remove(id_);
    context_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
    // A reader that stopped on an error or the peer's close: make sure the
    // socket goes even if the queue still holds frames.
    if (!close_code_) close_code_ = close_code::normal;
    if (!writing_) write_next();
  }

  ServerContext& context_;
  ServerWebSocket ws_;
  OutboundQueue queue_;
  ConnectionId id_;
  std::shared_ptr<Workspace> workspace_;
  std::optional<std::uint16_t> close_code_;
  bool writing_ = false;
  bool closing_ = false;
  bool dropped_ = false;  // closed as a slow consumer
  bool batches_ = false;  // the client's hello announced a version that reads batches
  // Until the hello is accepted; then the workspace holds it.
  std::unique_ptr<sync::ServerSession> session_;
  // Until a hello arrives (await_hello_until).
  std::unique_ptr<asio::steady_timer> hello_deadline_;
  beast::flat_buffer buffer_;  // the message being read
};

}  // namespace

void start_sync_connection(ServerContext& context, boost::beast::tcp_stream stream,
                           HttpRequest request) {
  std::make_shared<SyncConnection>(context, std::move(stream))->start(std::move(request));
}

}  // namespace trellis::server
