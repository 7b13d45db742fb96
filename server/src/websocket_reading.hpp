#pragma once
// The steps a server WebSocket's read loop is made of, as plain completion
// handlers (sync_connection.cpp, engineio_endpoint.cpp): a coroutine
// waiting in a read would keep its frames with every idle connection
// (docs/operations.md, "Design decisions").

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <exception>
#include <utility>

#include "log.hpp"

namespace trellis::server {

// Runs `step`. What escapes it (an allocation failure) is logged and ends
// the connection through `fail`, not the I/O thread: nothing may throw
// across an Asio handler.
template <class Step, class Fail>
void run_guarded(Step&& step, Fail&& fail) {
  try {
    step();
  } catch (const std::exception& e) {
    log_event(LogLevel::error, "connection_failed", {{"error", e.what()}});
    fail();
  }
}

namespace detail {

// Reads into `buffer`, asking for `limit` bytes, until the message is done.
template <class WebSocket, class Done>
void read_rest_of_message(WebSocket& ws, boost::beast::flat_buffer& buffer, std::size_t limit,
                          Done done) {
  ws.async_read_some(buffer, limit,
                     [&ws, &buffer, limit, done = std::move(done)](boost::system::error_code error,
                                                                   std::size_t) mutable {
                       if (error || ws.is_message_done()) return done(error);
                       read_rest_of_message(ws, buffer, std::max(limit, buffer.size()),
                                            std::move(done));
                     });
}

}  // namespace detail

// Reads the next whole message of `ws` into `buffer` (cleared first), then
// calls `done(error)`. Beast's async_read prepares tcp_frame_size (1,536)
// bytes before anything arrives, which an idle connection then holds;
// asking for `first_read_bytes` first, and for as much as was read once
// more comes, keeps that small at the cost of a few more reads per large
// message. `done` must keep `ws` and `buffer` alive (hold their owner). A
// message past read_message_max ends in an error: Beast has already failed
// the connection with 1009, and nothing can follow the close.
template <class WebSocket, class Done>
void read_whole_message(WebSocket& ws, boost::beast::flat_buffer& buffer,
                        std::size_t first_read_bytes, Done done) {
  buffer.clear();
  detail::read_rest_of_message(ws, buffer, first_read_bytes, std::move(done));
}

}  // namespace trellis::server
