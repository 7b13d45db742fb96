#pragma once
// A lingering close: how trellisd ends a TCP connection it refuses or fails
// while the client may still be sending. Closing a socket with unread bytes,
// or one on which more bytes arrive, makes the kernel answer with a reset,
// and a reset can destroy what the server sent last (a 413, a close frame)
// in the client's buffers, or fail the client's answer to it: the client
// sees "connection reset" instead. So the server stops sending (the client
// reads the answer, then its end of file) and reads and drops whatever still
// comes, until the client closes, for at most kLingerTime and kLingerBytes.
//
// HTTP refusals call linger. WebSockets run on LingeringSocket, whose
// teardown (what Beast runs after the closing handshake, and after it
// fails a connection itself with a close frame: 1007, 1009, 1002) lingers
// the same way. Beast 1.74's own asynchronous teardown closes after its
// first read however much is still coming (it tests the read's byte count
// against an argument that is always 0), so a client that had sent anything
// after the frame that failed it (a Socket.IO pong, say) was reset when its
// close answer arrived, and lost the close frame's code.

#include "trellis/net/asio.hpp"

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <exception>
#include <utility>

namespace trellis::server {

inline constexpr std::chrono::seconds kLingerTime{2};
inline constexpr std::size_t kLingerBytes = 16u << 20;

// Shuts down sending, then reads and drops what comes until the peer's end
// of file (or an error), kLingerTime or kLingerBytes. The caller closes.
boost::asio::awaitable<void> linger(boost::beast::tcp_stream& stream);

// The executor of a connection: a strand of the server's io_context, by its
// own type. A server WebSocket's socket carries it so that every operation
// in flight holds the strand itself; an any_io_executor does not fit a
// strand in its small buffer, so each of its copies was an allocation.
using ConnectionExecutor = boost::asio::strand<boost::asio::io_context::executor_type>;

// The TCP socket under a server WebSocket: the bare socket, whose teardown
// lingers (Beast finds async_teardown below by argument-dependent lookup).
// Not a beast::tcp_stream: its impl (two timers, a rate policy) and its
// layer in every read and write in flight cost a few hundred bytes per
// connection for timeouts the WebSocket's own timer already enforces.
class LingeringSocket
    : public boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor> {
 public:
  using basic_stream_socket::basic_stream_socket;
};

// The socket of an HTTP connection that upgrades to a WebSocket, on the
// connection's strand (the acceptor gave it one; a new strand otherwise).
LingeringSocket take_upgraded_socket(boost::beast::tcp_stream&& stream,
                                     boost::asio::io_context& io);

// linger, then close the socket. Only servers use this socket,
// and a server stops sending before it drains: the role changes nothing.
boost::asio::awaitable<void> linger_then_close(LingeringSocket& socket);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type, LingeringSocket& socket, TeardownHandler&& handler) {
  boost::asio::co_spawn(
      socket.get_executor(), linger_then_close(socket),
      [handler = std::forward<TeardownHandler>(handler)](std::exception_ptr) mutable {
        // Whatever the peer did, the socket is closed now: a clean end.
        std::move(handler)(boost::system::error_code{});
      });
}

}  // namespace trellis::server
