#include "lingering_close.hpp"

#include <array>
#include <boost/asio/redirect_error.hpp>

namespace trellis::server {

namespace asio = boost::asio;

asio::awaitable<void> linger(boost::beast::tcp_stream& stream) {
  boost::system::error_code error;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, error);
  stream.expires_after(kLingerTime);
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (!error && drained < kLingerBytes) {
    drained += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, error));
  }
}

asio::awaitable<void> linger_then_close(LingeringTcpStream& stream) {
  co_await linger(stream);
  stream.close();
}

}  // namespace trellis::server
