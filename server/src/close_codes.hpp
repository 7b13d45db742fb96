#pragma once
// The WebSocket close codes trellisd uses (docs/operations.md lists them):
// RFC 6455 codes where one fits, 4000-4999 (private use) where none does.
// The `error` message sent just before the close says the same in words.

#include <cstdint>

#include "trellis/sync/protocol.hpp"

namespace trellis::server {

namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;        // server shutdown
inline constexpr std::uint16_t protocol_error = 1002;    // malformed or unexpected message
inline constexpr std::uint16_t unsupported_data = 1003;  // a text frame on /v1/sync
inline constexpr std::uint16_t policy_violation = 1008;  // unauthorized
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;  // server_busy, workspace unavailable
inline constexpr std::uint16_t slow_consumer = 4009;    // fell too far behind: reconnect, resync
}  // namespace close_code

std::uint16_t close_code_for(sync::ProtocolError reason);

}  // namespace trellis::server
