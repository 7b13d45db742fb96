#pragma once
// Closing a server-side Beast WebSocket: the closing handshake with a grace
// period, since a peer that stopped reading never answers it. For the .cpp
// files that already include <boost/beast/websocket.hpp>.

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <memory>

#include "lingering_close.hpp"

namespace trellis::server {

inline constexpr std::chrono::seconds kCloseGrace{5};

// A server WebSocket: on the bare socket (lingering_close.hpp), without
// permessage-deflate, which trellisd never offers (its state would be in
// every connection).
using ServerWebSocket =
    boost::beast::websocket::stream<LingeringSocket, /*deflateSupported=*/false>;

// Closes the TCP socket under `ws` at once.
template <class WebSocket>
void abort_socket(WebSocket& ws) {
  boost::system::error_code ignored;
  auto& socket = boost::beast::get_lowest_layer(ws);
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

// Sends the close frame and closes the socket when the peer answers, or
// after kCloseGrace. `owner` keeps the object holding `ws` alive until then.
template <class WebSocket>
void close_with_grace(WebSocket& ws, boost::beast::websocket::close_reason reason,
                      std::shared_ptr<const void> owner) {
  auto timer = std::make_shared<boost::asio::steady_timer>(ws.get_executor(), kCloseGrace);
  timer->async_wait([&ws, owner, timer](boost::system::error_code error) {
    if (!error) abort_socket(ws);
  });
  ws.async_close(reason, [&ws, owner, timer](boost::system::error_code) {
    timer->cancel();
    abort_socket(ws);
  });
}

}  // namespace trellis::server
