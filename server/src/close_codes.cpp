#include "close_codes.hpp"

namespace trellis::server {

std::uint16_t close_code_for(sync::ProtocolError reason) {
  using sync::ProtocolError;
  switch (reason) {
    case ProtocolError::unsupported_version:
    case ProtocolError::malformed_message:
    case ProtocolError::unexpected_message:
    case ProtocolError::invalid_delta:
      return close_code::protocol_error;
    case ProtocolError::message_too_large:
      return close_code::message_too_big;
    case ProtocolError::unauthorized:
      return close_code::policy_violation;
    case ProtocolError::workspace_unavailable:
    case ProtocolError::server_busy:
      return close_code::try_again_later;
    case ProtocolError::slow_consumer:
      return close_code::slow_consumer;
    case ProtocolError::internal_error:
      return close_code::internal_error;
  }
  return close_code::internal_error;
}

}  // namespace trellis::server
