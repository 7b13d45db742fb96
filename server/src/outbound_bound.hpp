#pragma once
// The one rule every outbound queue of trellisd keeps
// (--outbound-queue-bytes): the native OutboundQueue of /v1/sync, and the
// Engine.IO polling and WebSocket queues of /socket.io/.
//
// The oldest message waiting is always taken, whatever its size; the bound
// is on the bytes queued behind it. A welcome or workspace_sync larger than
// the bound (a large workspace) still reaches a joiner with the ping, ack
// or presence that follows it at once, and a large delta queued while a
// write is in flight does not close its peer at the next push. A reader
// that keeps falling behind is still closed once what waits behind that
// one message passes the bound. The cost is at most one message (bounded
// by the frame or payload limit) beyond the bound per connection.

#include <cstddef>

namespace trellis::server {

// `queued_bytes` counts every waiting message, the oldest included
// (`oldest_bytes`, 0 when nothing waits).
constexpr bool backlog_over_bound(std::size_t queued_bytes, std::size_t oldest_bytes,
                                  std::size_t bound) noexcept {
  return queued_bytes - oldest_bytes > bound;
}

}  // namespace trellis::server
