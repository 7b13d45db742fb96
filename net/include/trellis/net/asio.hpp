#pragma once
// Include this before any Boost.Asio header. Boost 1.74's
// asio/awaitable.hpp uses std::exchange without including <utility>, which
// g++ 12 in C++20 mode no longer pulls in transitively.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
