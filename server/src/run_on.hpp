#pragma once
// run_on: runs a function on another executor (an Engine.IO session's
// strand) and resumes the calling coroutine on its own executor with the
// result. (A /v1/sync connection makes the same hop into its workspace with
// plain handlers, to keep no coroutine frame per connection.)

#include "trellis/net/asio.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <type_traits>

namespace trellis::server {

template <class Executor, class Function>
auto run_on(Executor executor, Function function)
    -> boost::asio::awaitable<std::invoke_result_t<Function&>> {
  using Value = std::invoke_result_t<Function&>;
  static_assert(!std::is_void_v<Value>, "return a value (a bool will do)");
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Value)>(
      [executor, function = std::move(function)](auto handler) mutable {
        boost::asio::post(
            executor, [function = std::move(function), handler = std::move(handler)]() mutable {
              Value value = function();
              auto home = boost::asio::get_associated_executor(handler);
              boost::asio::post(home,
                                [handler = std::move(handler), value = std::move(value)]() mutable {
                                  std::move(handler)(std::move(value));
                                });
            });
      },
      boost::asio::use_awaitable);
}

// Awaits a callback-style operation: `start(done)` begins it, and `done`
// (a std::function<void(Value)>) may be called once, on any thread; the
// coroutine resumes on its own executor.
template <class Value, class Start>
boost::asio::awaitable<Value> await_callback(Start start) {
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Value)>(
      [start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(std::function<void(Value)>([shared](Value value) {
          auto home = boost::asio::get_associated_executor(*shared);
          boost::asio::post(home, [shared, value = std::move(value)]() mutable {
            std::move (*shared)(std::move(value));
          });
        }));
      },
      boost::asio::use_awaitable);
}

}  // namespace trellis::server
