#include "canonical_number.hpp"

#include <charconv>
#include <stdexcept>

namespace trellis::bench {

void append_number(std::string& out, double value) {
  // Fixed notation of the largest finite double needs 309 digits before the point.
  char buffer[400];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  if (error != std::errc()) throw std::runtime_error("append_number: to_chars failed");
  out.append(buffer, end);
}

void append_integer(std::string& out, std::int64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc()) throw std::runtime_error("append_integer: to_chars failed");
  out.append(buffer, end);
}

}  // namespace trellis::bench
