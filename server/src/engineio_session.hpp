#pragma once
// EngineIoSession: one Engine.IO v4 session (adapters/engineio.hpp has the
// packets), over HTTP long-polling, WebSocket, or polling upgraded to
// WebSocket. It lives on its own strand; every method below runs there.
//
//   polling   GET  returns what is queued (waits for it: a long poll),
//             POST hands packets in. One GET at a time.
//   websocket packets travel in frames of a WebSocketLink.
//   upgrade   a WebSocket with the session's sid sends "2probe", gets
//             "3probe" (a pending GET is answered with a noop so the client
//             stops polling), then "5": from then on everything goes over
//             the WebSocket, starting with what was queued.
// Heartbeat: the server sends "2" every ping_interval; without a "3" within
// ping_timeout the session closes. That timeout counts only time the server
// spends waiting on the client: while it withholds reads (below) the pong
// may be behind the client's own unread messages, so the clock stops, and
// it starts again from when reads resume. The outbound queue is bounded
// (outbound_queue_bytes): past it the session closes (the client reconnects
// and resyncs). The bound is on what waits behind the oldest message: that
// one is always taken, whatever its size (a workspace_sync may be larger
// than the bound, and a ping is queued right behind it).
// Backpressure: a client's message is handed on with a MessageTaken token;
// the WebSocket reader reads the next frame, and a polling POST is answered,
// only once every token of what it carried is gone (the workspace ran the
// event), as a native connection waits for its workspace (sync_connection.cpp).
//
// The layer above (Socket.IO) sees only text messages in and out.

#include "trellis/net/asio.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server_context.hpp"
#include "trellis/adapters/engineio.hpp"

namespace trellis::server {

// The WebSocket carrying a session: thread-safe, posts to its own strand.
class WebSocketLink {
 public:
  virtual ~WebSocketLink() = default;
  virtual void send_text(std::string text) = 0;
  virtual void close() = 0;
};

class EngineIoSession;

// Held by whatever has yet to take a client's message; when its last copy
// is destroyed (on any thread) the transport reads on. Copies share one
// completion, so a polling POST's packets share one token. Made by
// EngineIoSession::withholding_reads.
using MessageTaken = std::shared_ptr<void>;

// The layer above Engine.IO; called on the session's strand.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  // Keep `taken` (or a copy) until the message has been handed to whoever
  // applies it: the client's next message waits for that.
  virtual void on_message(EngineIoSession& session, std::string text, MessageTaken taken) = 0;
  virtual void on_close(EngineIoSession& session) = 0;
  // Pings are barriers: a pong follows, on the same FIFO connection,
  // everything the client received before the ping. The session asks for a
  // mark when it sends a ping and hands it back when the pong arrives.
  virtual std::uint64_t ping_mark() = 0;
  virtual void on_pong(std::uint64_t mark) = 0;
};

class EngineIoSession : public std::enable_shared_from_this<EngineIoSession> {
 public:
  EngineIoSession(ServerContext& context, std::string sid, Strand strand);

  const std::string& sid() const { return sid_; }
  const Strand& strand() const { return strand_; }
  bool closed() const { return closed_; }

  // --- On the strand only.
  void start(std::shared_ptr<MessageHandler> handler, bool over_websocket,
             std::shared_ptr<WebSocketLink> websocket = nullptr);
  // A message for the client (a Socket.IO packet's text).
  void send_message(std::string text);
  // A ping now, besides the heartbeat's (a barrier; see MessageHandler).
  void ping_now();
  void close(std::string_view reason);

  // Polling GET: `done` gets the body to answer (a payload), or nullopt
  // when the request is refused (a second concurrent GET, a closed session).
  void poll(std::function<void(std::optional<std::string>)> done);
  // Polling POST: `answered` gets nullopt once every packet was taken, or
  // at once the error for a 400.
  void on_post(std::string_view body, std::function<void(std::optional<std::string>)> answered);

  // A WebSocket with this sid opened (upgrade), and its packets; `taken`
  // from withholding_reads.
  void attach_websocket(std::shared_ptr<WebSocketLink> websocket);
  void on_websocket_packet(const adapters::EioPacket& packet, bool from_upgrade_socket,
                           MessageTaken taken);
  void on_websocket_closed(const WebSocketLink* websocket);

  // --- On any thread.
  // The token for a client's message the transport has read: `read_on`
  // runs when its last copy goes. Until then this session knows it is
  // withholding the client's later messages, the pong included, and does
  // not count that time against the ping timeout (check_pong).
  MessageTaken withholding_reads(std::function<void()> read_on);

 private:
  using Clock = std::chrono::steady_clock;

  void on_packet(const adapters::EioPacket& packet, const MessageTaken& taken);
  void enqueue(adapters::EioPacket packet);
  void flush_poll();
  void arm_ping();
  void await_pong(Clock::duration wait);
  void check_pong();

  ServerContext& context_;
  std::string sid_;
  Strand strand_;
  std::shared_ptr<MessageHandler> handler_;
  // Vectors, not deques: an empty std::deque allocates about 500 bytes,
  // and over a WebSocket nothing queues here. Pings unanswered are a few.
  std::vector<adapters::EioPacket> queued_;
  std::size_t queued_bytes_ = 0;
  std::function<void(std::optional<std::string>)> pending_poll_;
  std::shared_ptr<WebSocketLink> websocket_;  // the active one
  std::shared_ptr<WebSocketLink> upgrading_;  // probed, not yet upgraded
  boost::asio::steady_timer ping_timer_;
  void send_ping();

  std::vector<std::uint64_t> ping_marks_;  // of pings not yet answered, oldest first
  std::uint64_t pings_sent_ = 0;
  std::uint64_t pongs_received_ = 0;
  std::uint64_t heartbeat_ = 0;  // the ping whose pong the timer waits for
  Clock::time_point heartbeat_sent_{};
  // Messages of the client not yet taken: the transport reads nothing more.
  // Atomic: the tokens of withholding_reads update them on any thread.
  std::atomic<std::size_t> reads_withheld_{0};
  std::atomic<Clock::rep> reads_resumed_at_{0};
  bool closed_ = false;
};

}  // namespace trellis::server
