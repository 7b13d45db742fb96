// Replays, through each fuzz target's check (fuzz/checks), every input
// libFuzzer once crashed on (tests/fuzz_regressions/<target>/) and the seed
// corpus (fuzz/corpus/<target>/), with the normal compilers and sanitizer
// builds, so that a fixed bug stays fixed without clang or libFuzzer.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "checks/checks.hpp"

namespace trellis::fuzz {
namespace {

const std::map<std::string, Check>& checks_by_target() {
  static const std::map<std::string, Check> checks = {
      {"crdt_decode", check_crdt_decode},     {"sync_message", check_sync_message},
      {"crdt_replicas", check_crdt_replicas}, {"engineio", check_engineio},
      {"socketio", check_socketio},           {"socketio_events", check_socketio_events},
      {"http_routes", check_http_routes},
  };
  return checks;
}

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& [name, check] : checks_by_target())
    names.push_back(name);
  return names;
}

std::vector<std::filesystem::path> inputs_of(const std::string& target) {
  std::vector<std::filesystem::path> files;
  for (const char* root : {TRELLIS_FUZZ_REGRESSIONS_DIR, TRELLIS_FUZZ_CORPUS_DIR}) {
    const std::filesystem::path dir = std::filesystem::path(root) / target;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  return files;
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class FuzzRegressions : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzRegressions, EveryKeptInputHoldsTheTargetsInvariants) {
  const Check check = checks_by_target().at(GetParam());
  const auto files = inputs_of(GetParam());
  EXPECT_FALSE(files.empty()) << "no seed corpus for " << GetParam();
  for (const auto& file : files) {
    const auto bytes = read_bytes(file);
    const Violation violation = check(bytes.data(), bytes.size());
    EXPECT_FALSE(violation.has_value()) << file << ": " << violation.value_or("");
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressions, ::testing::ValuesIn(target_names()),
                         [](const auto& info) { return info.param; });

// A folder of inputs named after no target would never be replayed.
TEST(FuzzRegressionFolders, EveryFolderNamesATarget) {
  for (const char* root : {TRELLIS_FUZZ_REGRESSIONS_DIR, TRELLIS_FUZZ_CORPUS_DIR}) {
    if (!std::filesystem::is_directory(root)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
      if (!entry.is_directory()) continue;
      EXPECT_TRUE(checks_by_target().count(entry.path().filename().string()))
          << entry.path() << " names no fuzz target";
    }
  }
}

}  // namespace
}  // namespace trellis::fuzz
