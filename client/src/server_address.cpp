// parse_server_url (transport.hpp): kept apart from websocket_transport.cpp
// so that neither the CLI's argument checks nor their tests compile Beast.
#include <charconv>

#include "trellis/client/transport.hpp"

namespace trellis::client {

namespace {

crdt::Error bad_url(std::string_view url, const std::string& why) {
  return crdt::make_error(crdt::ErrorCode::invalid_argument,
                          "bad server URL '" + std::string(url) + "': " + why);
}

bool valid_port(std::string_view port) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  return error == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace

crdt::Result<ServerAddress> parse_server_url(std::string_view url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.starts_with("wss://")) return bad_url(url, "wss:// is not supported yet; use ws://");
  if (!url.starts_with(kScheme)) return bad_url(url, "expected ws://HOST:PORT[/v1/sync]");
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (!path.empty() && path != "/" && path != kSyncPath) {
    return bad_url(url, "the path must be " + std::string(kSyncPath));
  }

  ServerAddress address;
  address.target = std::string(kSyncPath);
  std::string_view port;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(url, "unclosed '[' in the host");
    address.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return bad_url(url, "junk after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.rfind(':');
    address.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (address.host.empty()) return bad_url(url, "no host");
  if (address.host.find_first_of("@?#") != std::string::npos) {
    return bad_url(url, "user info, queries and fragments are not supported");
  }
  if (port.empty() && authority.ends_with(':')) return bad_url(url, "empty port");
  if (!port.empty() && !valid_port(port)) return bad_url(url, "the port must be 1-65535");
  address.port = port.empty() ? "80" : std::string(port);
  return address;
}

}  // namespace trellis::client
