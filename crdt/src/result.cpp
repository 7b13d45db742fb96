#include "trellis/crdt/result.hpp"

namespace trellis::crdt {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::already_exists:
      return "already_exists";
    case ErrorCode::limit_exceeded:
      return "limit_exceeded";
    case ErrorCode::malformed:
      return "malformed";
    case ErrorCode::unsupported_version:
      return "unsupported_version";
  }
  return "unknown";
}

}  // namespace trellis::crdt
