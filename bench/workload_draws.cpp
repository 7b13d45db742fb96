#include "workload_draws.hpp"

#include <array>
#include <string_view>

namespace trellis::bench {
namespace {

constexpr std::array<std::string_view, 8> kTypes = {"add", "multiply", "texture",  "noise",
                                                    "mix", "output",   "constant", "transform"};
constexpr std::array<std::string_view, 4> kModes = {"linear", "nearest", "cubic", "smooth"};

// Both coordinate and parameter draws are a signed integer step count divided
// in IEEE double arithmetic, so that JS and C++ produce the same doubles.
constexpr std::uint32_t kSignedSteps = 2000001;
constexpr std::int64_t kSignedOffset = 1000000;

}  // namespace

std::uint32_t WorkloadDraws::rand_int(std::uint32_t bound) {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(rng_.next()) * bound) >> 32);
}

double WorkloadDraws::coord() {
  return static_cast<double>(static_cast<std::int64_t>(rand_int(kSignedSteps)) - kSignedOffset) /
         100.0;
}

double WorkloadDraws::fparam() {
  return static_cast<double>(static_cast<std::int64_t>(rand_int(kSignedSteps)) - kSignedOffset) /
         1000.0;
}

std::int64_t WorkloadDraws::iparam() {
  return rand_int(1000);
}

std::string WorkloadDraws::mode() {
  return std::string(kModes[rand_int(kModes.size())]);
}

std::string WorkloadDraws::str8() {
  std::string text(8, ' ');
  for (char& c : text)
    c = static_cast<char>('a' + rand_int(26));
  return text;
}

ParamValue WorkloadDraws::value(std::size_t key) {
  switch (key) {
    case 0:
    case 1:
      return fparam();
    case 2:
      return iparam();
    case 3:
      return mode();
    default:
      return str8();
  }
}

NodeSpec WorkloadDraws::node() {
  NodeSpec spec;
  spec.type = std::string(kTypes[rand_int(kTypes.size())]);
  spec.x = coord();
  spec.y = coord();
  for (std::size_t key = 0; key < kParamCount; ++key)
    spec.params[key] = value(key);
  return spec;
}

}  // namespace trellis::bench
