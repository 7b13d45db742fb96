#include "engineio_session.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <utility>

#include "log.hpp"
#include "outbound_bound.hpp"

namespace trellis::server {

namespace asio = boost::asio;
using adapters::EioPacket;
using adapters::EioType;

EngineIoSession::EngineIoSession(ServerContext& context, std::string sid, Strand strand)
    : context_(context), sid_(std::move(sid)), strand_(std::move(strand)), ping_timer_(strand_) {}

void EngineIoSession::start(std::shared_ptr<MessageHandler> handler, bool over_websocket,
                            std::shared_ptr<WebSocketLink> websocket) {
  handler_ = std::move(handler);
  websocket_ = std::move(websocket);
  const ServerConfig& config = context_.config;
  const std::vector<std::string> upgrades =
      over_websocket ? std::vector<std::string>{} : std::vector<std::string>{"websocket"};
  enqueue(EioPacket{EioType::open,
                    adapters::open_packet_json(
                        sid_, upgrades, static_cast<std::uint64_t>(config.ping_interval.count()),
                        static_cast<std::uint64_t>(config.ping_timeout.count()),
                        adapters::limits::kMaxEioPayloadBytes)});
  arm_ping();
}

void EngineIoSession::arm_ping() {
  ping_timer_.expires_after(context_.config.ping_interval);
  ping_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (error || self->closed_) return;
    self->send_ping();
    self->heartbeat_ = self->pings_sent_;
    self->heartbeat_sent_ = Clock::now();
    self->await_pong(self->context_.config.ping_timeout);
  });
}

void EngineIoSession::await_pong(Clock::duration wait) {
  ping_timer_.expires_after(wait);
  ping_timer_.async_wait([self = shared_from_this()](boost::system::error_code error) {
    if (!error && !self->closed_) self->check_pong();
  });
}

// A client is not blamed for a pong the server has not read: the pong is
// read in order behind the client's messages, and the server reads those
// only as fast as the workspace takes them (a flooder's pong can wait behind
// seconds of its own events). So the timeout runs only while the server
// waits on the client, from the ping or from when reads last resumed; a
// silent client withholds nothing and is closed ping_timeout after the ping.
void EngineIoSession::check_pong() {
  if (pongs_received_ >= heartbeat_) return arm_ping();
  const Clock::duration timeout = context_.config.ping_timeout;
  if (reads_withheld_.load(std::memory_order_acquire) > 0) return await_pong(timeout);
  const Clock::time_point resumed{
      Clock::duration{reads_resumed_at_.load(std::memory_order_relaxed)}};
  const Clock::duration waited = Clock::now() - std::max(heartbeat_sent_, resumed);
  if (waited < timeout) return await_pong(timeout - waited);
  close("ping timeout");
}

// One token per message the transport read (per POST when polling),
// which itself tells this session when reads resume: atomics, not a post
// to the strand, because this runs on every client message and the last
// copy may go on any thread. The time is stored before the count drops, so
// check_pong, which reads the count first, never pairs a count of zero
// with an older time.
MessageTaken EngineIoSession::withholding_reads(std::function<void()> read_on) {
  reads_withheld_.fetch_add(1, std::memory_order_relaxed);
  // A shared_ptr's deleter runs once, when its last copy goes, even for null.
  return MessageTaken(nullptr, [self = shared_from_this(), read_on = std::move(read_on)](void*) {
    self->reads_resumed_at_.store(Clock::now().time_since_epoch().count(),
                                  std::memory_order_relaxed);
    self->reads_withheld_.fetch_sub(1, std::memory_order_release);
    read_on();
  });
}

void EngineIoSession::send_ping() {
  ping_marks_.push_back(handler_ ? handler_->ping_mark() : 0);
  ++pings_sent_;
  enqueue(EioPacket{EioType::ping, {}});
}

void EngineIoSession::ping_now() {
  if (!closed_) send_ping();
}

void EngineIoSession::send_message(std::string text) {
  enqueue(EioPacket{EioType::message, std::move(text)});
}

void EngineIoSession::enqueue(EioPacket packet) {
  if (closed_) return;
  if (websocket_ && !upgrading_) {
    // Counted in bytes_out by the WebSocket writer, as it writes.
    websocket_->send_text(adapters::encode_packet(std::move(packet)));
    return;
  }
  queued_bytes_ += packet.data.size() + 1;
  queued_.push_back(std::move(packet));
  // A workspace_sync past the bound is followed at once by a ping (the
  // connection's sync barrier); when the client's next GET is not yet in,
  // both wait here (outbound_bound.hpp).
  if (backlog_over_bound(queued_bytes_, queued_.front().data.size() + 1,
                         context_.config.outbound_queue_bytes)) {
    context_.metrics.slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
    close("slow consumer: the outbound queue is full");
    return;
  }
  flush_poll();
}

void EngineIoSession::flush_poll() {
  if (!pending_poll_ || queued_.empty()) return;
  std::vector<EioPacket> packets = std::exchange(queued_, {});
  queued_bytes_ = 0;
  auto body = adapters::encode_payload(packets);
  auto done = std::move(pending_poll_);
  pending_poll_ = nullptr;
  if (!body) {
    done(std::nullopt);
    close("could not encode a payload");
    return;
  }
  context_.metrics.bytes_out.fetch_add(body->size(), std::memory_order_relaxed);
  done(std::move(*body));
}

void EngineIoSession::poll(std::function<void(std::optional<std::string>)> done) {
  if (closed_) {
    done(std::nullopt);
    return;
  }
  if (pending_poll_) {
    // Two GETs at once break the protocol: the reference server closes.
    done(std::nullopt);
    close("overlapping polls");
    return;
  }
  if (websocket_ || upgrading_) {
    // Upgraded or upgrading: this poll only needs to end.
    done(adapters::encode_packet(EioPacket{EioType::noop, {}}));
    return;
  }
  pending_poll_ = std::move(done);
  flush_poll();
}

void EngineIoSession::on_post(std::string_view body,
                              std::function<void(std::optional<std::string>)> answered) {
  if (closed_) return answered("session closed");
  context_.metrics.bytes_in.fetch_add(body.size(), std::memory_order_relaxed);
  auto packets = adapters::decode_payload(body);
  if (!packets) {
    close("bad payload");
    return answered(packets.error().message);
  }
  const MessageTaken taken =
      withholding_reads([answered = std::move(answered)] { answered(std::nullopt); });
  for (const EioPacket& packet : *packets) {
    on_packet(packet, taken);
    if (closed_) break;
  }
}

void EngineIoSession::attach_websocket(std::shared_ptr<WebSocketLink> websocket) {
  if (closed_ || websocket_ || upgrading_) {
    websocket->close();
    return;
  }
  upgrading_ = std::move(websocket);
}

void EngineIoSession::on_websocket_packet(const EioPacket& packet, bool from_upgrade_socket,
                                          MessageTaken taken) {
  if (closed_) return;
  if (from_upgrade_socket && upgrading_) {
    if (packet.type == EioType::ping && packet.data == "probe") {
      upgrading_->send_text(adapters::encode_packet(EioPacket{EioType::pong, "probe"}));
      // The client pauses polling; end the GET it has pending.
      if (pending_poll_) {
        auto done = std::move(pending_poll_);
        pending_poll_ = nullptr;
        done(adapters::encode_packet(EioPacket{EioType::noop, {}}));
      }
      return;
    }
    if (packet.type == EioType::upgrade) {
      websocket_ = std::move(upgrading_);
      upgrading_.reset();
      // What waited for the next poll now goes over the WebSocket.
      std::vector<EioPacket> queued = std::exchange(queued_, {});
      queued_bytes_ = 0;
      for (EioPacket& queued_packet : queued)
        enqueue(std::move(queued_packet));
      return;
    }
    close("unexpected packet during upgrade");
    return;
  }
  on_packet(packet, taken);
}

void EngineIoSession::on_websocket_closed(const WebSocketLink* websocket) {
  if (upgrading_.get() == websocket) {
    upgrading_.reset();  // a failed upgrade: polling goes on
    return;
  }
  if (websocket_.get() == websocket) close("transport closed");
}

void EngineIoSession::on_packet(const EioPacket& packet, const MessageTaken& taken) {
  switch (packet.type) {
    case EioType::pong:
      if (ping_marks_.empty()) return;  // unasked: nothing to learn from it
      ++pongs_received_;
      if (handler_) handler_->on_pong(ping_marks_.front());
      ping_marks_.erase(ping_marks_.begin());
      return;
    case EioType::message:
      if (packet.binary) {
        close("binary messages are not supported");
        return;
      }
      handler_->on_message(*this, packet.data, taken);
      return;
    case EioType::close:
      close("client closed");
      return;
    case EioType::noop:
      return;
    default:
      close("unexpected packet");
      return;
  }
}

void EngineIoSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  ping_timer_.cancel();
  log_event(LogLevel::debug, "engineio_closed", {{"sid", sid_}, {"reason", reason}});
  if (pending_poll_) {
    auto done = std::move(pending_poll_);
    pending_poll_ = nullptr;
    done(adapters::encode_packet(EioPacket{EioType::close, {}}));
  }
  if (websocket_) websocket_->close();
  if (upgrading_) upgrading_->close();
  websocket_.reset();
  upgrading_.reset();
  queued_.clear();
  if (handler_) {
    auto handler = std::move(handler_);
    handler_.reset();
    handler->on_close(*this);
  }
  context_.engineio.remove(sid_);
}

}  // namespace trellis::server
