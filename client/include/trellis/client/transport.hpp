#pragma once
// Transport: how the native client moves protocol frames to and from the
// server, one binary frame per message (docs/protocol.md, "Framing"). The
// client drives one Transport object for its whole life, one connection at
// a time:
//
//   connect(url, handlers) --> opened() --> received(frame)* --> closed(reason)
//                          \------------------------------------> closed(reason)
//
// Every connect() ends in exactly one closed() (a failed connect too), and
// nothing of that connection is reported after it. Threading: the client
// calls connect/send/close on its executor only, and a transport runs the
// handlers on that same executor, always posted, never from inside one of
// its own calls (so a handler may call back into the transport). That makes
// an in-memory transport for tests a few lines: see tests/client/.
//
// make_websocket_transport is the real one (ws:// over Boost.Beast; wss://
// is not supported yet). Beast stays in websocket_transport.cpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "trellis/net/asio.hpp"

#include <boost/asio/any_io_executor.hpp>

#include "trellis/crdt/graph_codec.hpp"
#include "trellis/crdt/result.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::client {

using crdt::Bytes;

struct TransportHandlers {
  std::function<void()> opened;                    // connected and handshaken: send() may be used
  std::function<void(Bytes frame)> received;       // one binary frame from the server
  std::function<void(std::string reason)> closed;  // the connection is over (or never was)
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts connecting to `url`. The previous connection, if any, has
  // reported closed() already.
  virtual void connect(const std::string& url, TransportHandlers handlers) = 0;
  // Queues one frame; valid between opened() and closed(). Frames leave in
  // the order given, one write in flight at a time. A transport may end the
  // connection (closed) rather than queue past its limit: the client's
  // outbox resends whatever was lost on the next connection.
  virtual void send(Bytes frame) = 0;
  // Ends the connection cleanly (queued frames, then a close frame) or
  // aborts a connect in progress; closed() still follows. Idempotent.
  virtual void close() = 0;
};

// Makes the transport for one client, on the client's executor.
using TransportFactory = std::function<std::unique_ptr<Transport>(boost::asio::any_io_executor)>;

// ws://host[:port][/v1/sync], split. The path may be left out; it is then
// /v1/sync. The port defaults to 80. IPv6 literals go in brackets.
struct ServerAddress {
  std::string host;
  std::string port;
  std::string target;  // always "/v1/sync" today

  friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

inline constexpr std::string_view kSyncPath = "/v1/sync";

crdt::Result<ServerAddress> parse_server_url(std::string_view url);

struct WebSocketOptions {
  // Resolve plus TCP connect; then the WebSocket handshake gets as long.
  std::chrono::milliseconds connect_timeout{10'000};
  // With no frame from the server for this long the connection is dead; a
  // ping goes out at half of it, so a live but quiet server answers in time.
  std::chrono::milliseconds idle_timeout{30'000};
  // Largest frame accepted from the server (Beast's read_message_max).
  std::size_t max_frame_bytes = sync::limits::kMaxFrameBytes;
  // Bytes of queued frames past which the connection is closed instead
  // (the outbox still holds every edit; the next connection resends them).
  std::size_t max_queued_bytes = std::size_t{64} << 20;
};

std::unique_ptr<Transport> make_websocket_transport(boost::asio::any_io_executor executor,
                                                    WebSocketOptions options = {});

}  // namespace trellis::client
