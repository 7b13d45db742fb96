#pragma once
// The expected values of graph-workload.md §2 and §6, for the default sizes.
// A run whose digests differ is not the workload and its numbers are void.

#include <array>
#include <cstdint>
#include <string_view>

namespace trellis::bench::expected {

inline constexpr std::uint32_t kMulberrySeed = 1;
inline constexpr std::array<std::uint32_t, 5> kMulberryFirstOutputs = {
    2693262067u, 11749833u, 2265367787u, 4213581821u, 4159151403u};

inline constexpr std::string_view kW1Stream =
    "7ece06e7db642a2a48c6891e4a046f4664bfa7ace3d6947e670709a47fca10c0";
inline constexpr std::string_view kW2Stream =
    "6cf3b9b4be65573e14569a763cf00520a3f2e6e33a695d2a165cada28503454a";
inline constexpr std::string_view kW3StreamA =
    "91118d38bd2cd0f10a4f50f7546ca4da829d11af512eefeb13ff277744069beb";
inline constexpr std::string_view kW3StreamB =
    "8a2d9e4e18fb9317233b242095f165713a87f3d7be48fb4228960ececd98b733";
inline constexpr std::string_view kStateAfterW1 =
    "86d0ca01dc167566c69ff6a8a7636ea981a3dc26228e672d0053b3578ffb6cc7";
// W4 replays W2's updates on the W1 snapshot, so it ends in the same state.
inline constexpr std::string_view kStateAfterW2 =
    "8011633f7b216f7986bfbf5e6d6272a3349275193bec695b0ae7ca45403b9673";

}  // namespace trellis::bench::expected
