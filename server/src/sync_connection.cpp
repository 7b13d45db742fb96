#include "sync_connection.hpp"

#include <algorithm>

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "close_codes.hpp"
#include "identity.hpp"
#include "log.hpp"
#include "peer.hpp"
#include "run_on.hpp"
#include "trellis/sync/message_codec.hpp"
#include "websocket_closing.hpp"

namespace trellis::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// Read-buffer capacity a connection keeps between frames; deltas and
// presence are far smaller.
constexpr std::size_t kKeptReadBufferBytes = 8 << 10;
// What a read asks for first: a delta of one edit fits (tens of bytes).
constexpr std::size_t kFirstReadBytes = 256;
// Bytes of one `batch` frame at most (and never past --max-frame-bytes):
// frames queued for a connection go out in one write up to this. A batch in
// flight has left the queue and no longer counts against
// --outbound-queue-bytes, so it stays small next to that limit.
constexpr std::size_t kMaxBatchBytes = 64 << 10;

class SyncConnection final : public Peer, public std::enable_shared_from_this<SyncConnection> {
 public:
  SyncConnection(ServerContext& context, beast::tcp_stream stream)
      : context_(context),
        ws_(std::move(stream)),
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
    asio::co_spawn(ws_.get_executor(), run(std::move(request)), [self](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          log_event(LogLevel::error, "connection_failed", {{"error", e.what()}});
        }
      }
      self->finish();
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

  asio::awaitable<void> run(HttpRequest request) {
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

    boost::system::error_code error;
    co_await ws_.async_accept(request, asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;
    // The upgrade request would otherwise live as long as the connection
    // (it is this coroutine's parameter): its headers are a good part of
    // an idle connection's memory.
    request = HttpRequest{};

    sync::ServerSession session(config.max_frame_bytes);
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      // Beast's async_read prepares tcp_frame_size (1,536) bytes before
      // anything arrives, which an idle connection then holds; asking for
      // little at first, and for as much as was read once more comes, keeps
      // that to kFirstReadBytes at the cost of a few more reads per large
      // frame.
      std::size_t read_limit = kFirstReadBytes;
      do {
        co_await ws_.async_read_some(buffer, read_limit,
                                     asio::redirect_error(asio::use_awaitable, error));
        read_limit = std::max(read_limit, buffer.size());
      } while (!error && !ws_.is_message_done());
      // A frame past read_message_max: Beast has already closed the
      // connection with 1009 (message too big); nothing can follow the close.
      if (error) co_return;  // closed, reset or timed out: nothing to answer
      context_.metrics.bytes_in.fetch_add(buffer.size(), std::memory_order_relaxed);
      if (!ws_.got_binary()) {
        refuse(sync::ProtocolError::malformed_message,
               "the sync protocol uses binary frames; this was a text frame");
        co_return;
      }
      const auto* data = static_cast<const std::uint8_t*>(buffer.data().data());
      crdt::Bytes frame(data, data + buffer.size());
      // One large frame (a big paste, a long outbox) must not leave its
      // capacity to every later read of this connection.
      if (buffer.capacity() > kKeptReadBufferBytes) buffer = beast::flat_buffer{};
      // What is handed to co_await is a named local: g++ 12 mis-copies
      // temporaries with non-trivial members inside a co_await expression.
      if (workspace_) {
        auto apply = [workspace = workspace_, id = id_, frame = std::move(frame)] {
          return workspace->on_frame(id, frame);
        };
        const bool open = co_await run_on(workspace_->strand(), std::move(apply));
        if (!open) co_return;
        continue;
      }
      sync::ServerOutput out = session.on_frame(frame, nullptr);
      if (!out.hello) {
        // On this strand already: queue directly, so the error goes out
        // before the close that finish() would otherwise start first.
        for (crdt::Bytes& reply : out.to_peer)
          queue_.push_control(make_frame(std::move(reply)));
        if (out.close) {
          context_.metrics.frames_rejected.fetch_add(1, std::memory_order_relaxed);
          close_after_queue(
              close_code_for(out.error.value_or(sync::ProtocolError::unexpected_message)));
          co_return;
        }
        write_next();
        continue;
      }
      if (!is_valid_workspace_id(out.hello->workspace_id)) {
        refuse(sync::ProtocolError::workspace_unavailable,
               "a workspace id is 1 to 128 characters of A-Z, a-z, 0-9, '_' and '-'", &session);
        co_return;
      }
      auto acquire = await_callback<AcquireResult>(
          [&registry = context_.registry, id = out.hello->workspace_id](auto done) {
            registry.acquire(id, std::move(done));
          });
      AcquireResult acquired = co_await std::move(acquire);
      if (!acquired.workspace) {
        refuse(acquired.error == AcquireError::storage_failed
                   ? sync::ProtocolError::workspace_unavailable
                   : sync::ProtocolError::server_busy,
               acquired.message, &session);
        co_return;
      }
      workspace_ = std::move(acquired.workspace);
      // Set before join: from the welcome on, what queues up for this
      // client goes out batched if it reads batches.
      batches_ = sync::reads_batches(out.hello->protocol_version);
      sync::UserIdentity user = new_user(out.hello->client_name);
      log_event(LogLevel::debug, "sync_hello",
                {{"workspace", workspace_->id()}, {"user", user.id}});
      auto join = [workspace = workspace_, id = id_, self = shared_from_this(),
                   session = std::move(session), user = std::move(user)]() mutable {
        workspace->join(id, self, std::move(session), std::move(user));
        return true;
      };
      co_await run_on(workspace_->strand(), std::move(join));
    }
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
  websocket::stream<beast::tcp_stream> ws_;
  OutboundQueue queue_;
  ConnectionId id_;
  std::shared_ptr<Workspace> workspace_;
  std::optional<std::uint16_t> close_code_;
  bool writing_ = false;
  bool closing_ = false;
  bool dropped_ = false;  // closed as a slow consumer
  bool batches_ = false;  // the client's hello announced a version that reads batches
};

}  // namespace

void start_sync_connection(ServerContext& context, boost::beast::tcp_stream stream,
                           HttpRequest request) {
  std::make_shared<SyncConnection>(context, std::move(stream))->start(std::move(request));
}

}  // namespace trellis::server
