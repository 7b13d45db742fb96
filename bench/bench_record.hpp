#pragma once
// One case's result, printed as one JSON line with keys in insertion order:
// {"impl":"trellis","case":"w2",...}. The Node peer harness prints the same
// shape, so one script can tabulate both.

#include <cmath>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace trellis::bench {

using BenchRecord = nlohmann::ordered_json;

inline BenchRecord new_record(std::string_view case_name) {
  BenchRecord record;
  record["impl"] = "trellis";
  record["case"] = case_name;
  return record;
}

// Keeps printed figures readable; timings are not precise to 1 µs anyway.
inline double rounded(double value, int decimals = 3) {
  double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

inline std::int64_t per_second(std::size_t count, double ms) {
  return std::llround(count / (ms / 1000.0));
}

}  // namespace trellis::bench
