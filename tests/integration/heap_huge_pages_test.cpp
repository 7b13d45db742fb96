// trellisd asks glibc for huge pages on its heap by running itself again with
// GLIBC_TUNABLES set (trellis/platform/heap_huge_pages.hpp): the child keeps
// its pid, serves, and has the setting in its environment; with
// TRELLIS_HEAP_HUGE_PAGES=0 it runs as started.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "support/child_process.hpp"
#include "support/process_probe.hpp"
#include "support/server_fixture.hpp"
#include "trellis/platform/heap_huge_pages.hpp"

namespace trellis::testing {
namespace {

std::string read_proc_text(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

// Whether the environment the process was started with holds `text`. (Read
// raw: glibc's tunables parser writes a NUL after each tunable of the
// variable it was given, in place, so /proc/PID/environ shows a second
// tunable as an entry of its own.)
bool environment_holds(int pid, const std::string& text) {
  return read_proc_text("/proc/" + std::to_string(pid) + "/environ").find(text) !=
         std::string::npos;
}

// Sets (or unsets) an environment variable for the scope: children inherit it.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) saved_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedVariable() {
    if (saved_)
      setenv(name_, saved_->c_str(), 1);
    else
      unsetenv(name_);
  }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

std::vector<std::string> huge_pages_server_args(const TempDir& data) {
  return {"--port",      "0",    "--data-dir", data.path.string(),
          "--log-level", "warn", "--web-root", "/nonexistent"};
}

bool kernel_offers_huge_pages() {
  const std::string mode = read_proc_text("/sys/kernel/mm/transparent_hugepage/enabled");
  return mode.find("[always]") != std::string::npos || mode.find("[madvise]") != std::string::npos;
}

TEST(HeapHugePages, TrellisdRunsItselfAgainWithTheTunableAndKeepsItsPid) {
  ScopedVariable no_tunables("GLIBC_TUNABLES", nullptr);
  ScopedVariable no_opt_out(std::string(platform::kHeapHugePagesOptOut).c_str(), nullptr);
  TempDir data;
  ChildServer server(TRELLISD_PATH, huge_pages_server_args(data));
  ASSERT_NE(server.port(), 0) << "trellisd did not start";
  // The process listening is this test's own child: the exec kept its pid.
  const auto pid = child_listening_on(server.port());
  ASSERT_TRUE(pid.has_value());
  EXPECT_EQ(environment_holds(*pid, std::string(platform::kHugetlbSetting)),
            kernel_offers_huge_pages());
  // Still named after its executable (ps, top and pgrep show this).
  EXPECT_EQ(read_proc_text("/proc/" + std::to_string(*pid) + "/comm"), "trellisd\n");
}

TEST(HeapHugePages, TrellisdKeepsTheUsersTunablesAndItsOptOut) {
  TempDir data;
  {
    ScopedVariable user("GLIBC_TUNABLES", "glibc.malloc.arena_max=4");
    ScopedVariable no_opt_out(std::string(platform::kHeapHugePagesOptOut).c_str(), nullptr);
    ChildServer server(TRELLISD_PATH, huge_pages_server_args(data));
    ASSERT_NE(server.port(), 0);
    const auto pid = child_listening_on(server.port());
    ASSERT_TRUE(pid.has_value());
    EXPECT_TRUE(environment_holds(*pid, "GLIBC_TUNABLES=glibc.malloc.arena_max=4"));
    EXPECT_EQ(environment_holds(*pid, std::string(platform::kHugetlbSetting)),
              kernel_offers_huge_pages());
  }
  {
    ScopedVariable no_tunables("GLIBC_TUNABLES", nullptr);
    ScopedVariable opt_out(std::string(platform::kHeapHugePagesOptOut).c_str(), "0");
    ChildServer server(TRELLISD_PATH, huge_pages_server_args(data));
    ASSERT_NE(server.port(), 0);
    const auto pid = child_listening_on(server.port());
    ASSERT_TRUE(pid.has_value());
    EXPECT_FALSE(environment_holds(*pid, "GLIBC_TUNABLES"));
  }
}

}  // namespace
}  // namespace trellis::testing
