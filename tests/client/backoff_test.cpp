// backoff_delay: exponential growth from the base, capped, full jitter
// (uniform between zero and the ceiling), and no overflow however many
// attempts fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>

#include "trellis/client/native_client.hpp"

namespace trellis::client {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMaxBits = UINT64_MAX;

TEST(Backoff, CeilingDoublesFromTheBaseUpToTheCap) {
  const ReconnectPolicy policy;  // 250 ms, 30 s
  // kMaxBits % (ceiling + 1) is not the ceiling itself; draw the ceiling
  // exactly with random_bits == ceiling.
  EXPECT_EQ(backoff_delay(policy, 0, 250), 250ms);
  EXPECT_EQ(backoff_delay(policy, 1, 500), 500ms);
  EXPECT_EQ(backoff_delay(policy, 6, 16'000), 16'000ms);
  EXPECT_EQ(backoff_delay(policy, 7, 30'000), 30'000ms);  // 32 s capped
  for (std::uint32_t attempt : {0u, 1u, 6u, 7u, 20u}) {
    EXPECT_EQ(backoff_delay(policy, attempt, 0), 0ms) << "attempt " << attempt;
  }
}

TEST(Backoff, NeverExceedsTheCeilingAndNeverOverflows) {
  const ReconnectPolicy policy;
  std::mt19937_64 random(20240601);
  for (std::uint32_t attempt = 0; attempt < 200; ++attempt) {
    const auto ceiling = std::min<std::int64_t>(30'000, attempt < 20 ? 250LL << attempt : 30'000);
    for (int draw = 0; draw < 50; ++draw) {
      const auto delay = backoff_delay(policy, attempt, random()).count();
      ASSERT_GE(delay, 0) << "attempt " << attempt;
      ASSERT_LE(delay, ceiling) << "attempt " << attempt;
    }
    ASSERT_LE(backoff_delay(policy, attempt, kMaxBits).count(), ceiling);
  }
  EXPECT_LE(backoff_delay(policy, UINT32_MAX, kMaxBits), 30'000ms);
  const ReconnectPolicy huge{std::chrono::milliseconds(INT64_MAX / 2),
                             std::chrono::milliseconds(INT64_MAX / 2)};
  EXPECT_LE(backoff_delay(huge, 40, kMaxBits), huge.cap);
}

TEST(Backoff, FullJitterSpreadsDelaysOverTheWholeRange) {
  const ReconnectPolicy policy;
  std::mt19937_64 random(7);
  constexpr int kDraws = 2000;
  constexpr std::int64_t kCeiling = 8000;  // attempt 5
  std::int64_t low = kCeiling, high = 0, sum = 0;
  std::set<std::int64_t> distinct;
  for (int i = 0; i < kDraws; ++i) {
    const auto delay = backoff_delay(policy, 5, random()).count();
    low = std::min(low, delay);
    high = std::max(high, delay);
    sum += delay;
    distinct.insert(delay);
  }
  EXPECT_LT(low, kCeiling / 20) << "delays should reach near zero";
  EXPECT_GT(high, kCeiling * 19 / 20) << "delays should reach near the ceiling";
  const double mean = static_cast<double>(sum) / kDraws;
  EXPECT_NEAR(mean, kCeiling / 2.0, kCeiling * 0.05);
  EXPECT_GT(distinct.size(), 1000u) << "clients retrying together must not stay in step";
}

TEST(Backoff, TheRandomSourceDecidesAndNothingElse) {
  const ReconnectPolicy policy{100ms, 1000ms};
  EXPECT_EQ(backoff_delay(policy, 3, 12345), backoff_delay(policy, 3, 12345));
  EXPECT_EQ(backoff_delay(policy, 3, 801), 0ms);  // 801 % 801
  EXPECT_EQ(backoff_delay(policy, 3, 800), 800ms);
  const ReconnectPolicy zero{0ms, 0ms};
  EXPECT_EQ(backoff_delay(zero, 9, kMaxBits), 0ms);
}

}  // namespace
}  // namespace trellis::client
