#include "lingering_close.hpp"

#include <unistd.h>
#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace trellis::server {

namespace asio = boost::asio;

namespace {

// Stops sending on `socket`, then reads and drops what `stream` (over it)
// receives until the peer's end of file, an error or kLingerBytes. The
// caller bounds the time.
template <class Stream, class Socket>
asio::awaitable<void> drain(Stream& stream, Socket& socket) {
  boost::system::error_code error;
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, error);
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (!error && drained < kLingerBytes) {
    drained += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, error));
  }
}

}  // namespace

asio::awaitable<void> linger(boost::beast::tcp_stream& stream) {
  stream.expires_after(kLingerTime);
  co_await drain(stream, stream.socket());
}

LingeringSocket take_upgraded_socket(boost::beast::tcp_stream&& stream, asio::io_context& io) {
  asio::ip::tcp::socket socket = stream.release_socket();
  const auto* strand = socket.get_executor().target<ConnectionExecutor>();
  ConnectionExecutor executor = strand ? *strand : asio::make_strand(io.get_executor());
  // On any error below, an unopened socket: its first operation fails and
  // ends the connection as a closed socket would.
  LingeringSocket upgraded(executor);
  boost::system::error_code error;
  const asio::ip::tcp protocol = socket.local_endpoint(error).protocol();
  if (error) return upgraded;
  const asio::ip::tcp::socket::native_handle_type handle = socket.release(error);
  if (error) return upgraded;
  upgraded.assign(protocol, handle, error);
  if (error) ::close(handle);  // registering with the reactor failed
  return upgraded;
}

asio::awaitable<void> linger_then_close(LingeringSocket& socket) {
  // A bare socket has no expiry of its own: a timer cancels the read at
  // kLingerTime. `lingering` tells its handler whether the socket is still
  // this coroutine's: an expiry already queued when the drain ended must
  // not touch a socket that may be gone.
  auto lingering = std::make_shared<bool>(true);
  asio::steady_timer deadline(socket.get_executor(), kLingerTime);
  deadline.async_wait([&socket, lingering](boost::system::error_code expired) {
    // Closed already (abort_socket) is fine: the read ends either way.
    boost::system::error_code ignored;
    if (!expired && *lingering) socket.cancel(ignored);
  });
  co_await drain(socket, socket);
  *lingering = false;
  boost::system::error_code ignored;
  socket.close(ignored);
}

}  // namespace trellis::server
