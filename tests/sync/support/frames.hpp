#pragma once
// Reading frames in the sync tests: which message a frame holds, the message
// as the type a test expects, and printers so that a failing assertion names
// error codes and message kinds rather than showing raw bytes.

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "trellis/sync/message_codec.hpp"
#include "trellis/sync/messages.hpp"
#include "trellis/sync/protocol.hpp"

namespace trellis::sync {

// Found by GoogleTest through argument-dependent lookup.
inline void PrintTo(ProtocolError code, std::ostream* out) {
  *out << to_string(code);
}
inline void PrintTo(const ErrorMessage& error, std::ostream* out) {
  *out << "error{" << to_string(error.code) << ", \"" << error.message
       << "\", keeps_open: " << error.keeps_open << "}";
}

namespace testkit {

inline std::string_view message_name(const Message& message) {
  static constexpr std::string_view kNames[] = {"hello",    "welcome", "delta", "ack",
                                                "presence", "error",   "batch"};
  return kNames[message.index()];
}

// "welcome (1234 bytes)", or why the frame does not decode.
inline std::string describe_frame(std::span<const std::uint8_t> frame) {
  auto decoded = decode_message(frame);
  if (!decoded) {
    return "undecodable frame (" + std::string(to_string(decoded.error().code)) +
           "): " + decoded.error().message;
  }
  return std::string(message_name(*decoded)) + " (" + std::to_string(frame.size()) + " bytes)";
}

// The message of type T that `frame` holds. Anything else is reported as a
// test failure and gives a default T, so the test goes on and fails on its
// own assertions.
template <class T>
T message_of(std::span<const std::uint8_t> frame) {
  auto decoded = decode_message(frame);
  if (!decoded) {
    ADD_FAILURE() << "expected a frame that decodes; " << describe_frame(frame);
    return T{};
  }
  if (auto* message = std::get_if<T>(&*decoded)) return std::move(*message);
  ADD_FAILURE() << "expected another kind of message, got " << describe_frame(frame);
  return T{};
}

}  // namespace testkit
}  // namespace trellis::sync
