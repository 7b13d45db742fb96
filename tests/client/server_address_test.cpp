// parse_server_url: the URLs `trellis --server` and ClientOptions accept.
#include <gtest/gtest.h>

#include "trellis/client/transport.hpp"

namespace trellis::client {
namespace {

TEST(ServerUrl, HostPortAndTheSyncPath) {
  const ServerAddress expected{"127.0.0.1", "8080", "/v1/sync"};
  EXPECT_EQ(*parse_server_url("ws://127.0.0.1:8080"), expected);
  EXPECT_EQ(*parse_server_url("ws://127.0.0.1:8080/"), expected);
  EXPECT_EQ(*parse_server_url("ws://127.0.0.1:8080/v1/sync"), expected);
  EXPECT_EQ(*parse_server_url("ws://example.test"),
            (ServerAddress{"example.test", "80", "/v1/sync"}));
  EXPECT_EQ(*parse_server_url("ws://[::1]:9000/v1/sync"),
            (ServerAddress{"::1", "9000", "/v1/sync"}));
}

TEST(ServerUrl, RefusesWhatItCannotConnectTo) {
  for (const char* url :
       {"wss://example.test", "http://example.test:80", "example.test:80", "ws://", "ws://:80",
        "ws://host:", "ws://host:0", "ws://host:70000", "ws://host:80x", "ws://host:80/other",
        "ws://user@host:80", "ws://[::1:80"}) {
    auto address = parse_server_url(url);
    EXPECT_FALSE(address.ok()) << url;
  }
  auto secure = parse_server_url("wss://example.test");
  EXPECT_NE(secure.error().message.find("not supported yet"), std::string::npos);
}

}  // namespace
}  // namespace trellis::client
