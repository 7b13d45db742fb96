#pragma once
// The HTTP types the server's files pass between them. Only the light Beast
// headers (message and stream types, no WebSocket) are included here; the
// heavy ones stay in the .cpp files that use them.

#include "trellis/net/asio.hpp"

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace trellis::server {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

}  // namespace trellis::server
