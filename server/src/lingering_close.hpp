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
// HTTP refusals call linger. WebSockets run on LingeringTcpStream,
// whose teardown (what Beast runs after the closing handshake, and after it
// fails a connection itself with a close frame: 1007, 1009, 1002) lingers
// the same way. Beast 1.74's own asynchronous teardown closes after its
// first read however much is still coming (it tests the read's byte count
// against an argument that is always 0), so a client that had sent anything
// after the frame that failed it (a Socket.IO pong, say) was reset when its
// close answer arrived, and lost the close frame's code.

#include "trellis/net/asio.hpp"

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

// The TCP stream under a server WebSocket: a beast::tcp_stream whose teardown
// lingers (Beast finds async_teardown below by argument-dependent lookup).
class LingeringTcpStream : public boost::beast::tcp_stream {
 public:
  explicit LingeringTcpStream(boost::beast::tcp_stream&& stream)
      : boost::beast::tcp_stream(std::move(stream)) {}
};

// linger, then close the socket. Only servers use this stream,
// and a server stops sending before it drains: the role changes nothing.
boost::asio::awaitable<void> linger_then_close(LingeringTcpStream& stream);

template <class TeardownHandler>
void async_teardown(boost::beast::role_type, LingeringTcpStream& stream,
                    TeardownHandler&& handler) {
  boost::asio::co_spawn(
      stream.get_executor(), linger_then_close(stream),
      [handler = std::forward<TeardownHandler>(handler)](std::exception_ptr) mutable {
        // Whatever the peer did, the socket is closed now: a clean end.
        std::move(handler)(boost::system::error_code{});
      });
}

}  // namespace trellis::server
