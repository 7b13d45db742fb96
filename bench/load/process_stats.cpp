#include "process_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace trellis::bench::load {

std::optional<double> process_cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) is in parentheses and may hold spaces or ')':
  // the fields that follow start after the last ')'.
  const std::size_t name_end = text.rfind(')');
  if (name_end == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(name_end + 1));
  // Fields 3..13 come before utime (14) and stime (15).
  std::string skipped;
  for (int field = 3; field <= 13; ++field)
    fields >> skipped;
  unsigned long long user_ticks = 0;
  unsigned long long system_ticks = 0;
  if (!(fields >> user_ticks >> system_ticks)) return std::nullopt;
  return static_cast<double>(user_ticks + system_ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

namespace {

// The two leading fields of /proc/PID/task/*/schedstat, summed over the
// threads: nanoseconds on a CPU and nanoseconds runnable without one.
struct ThreadTimes {
  unsigned long long ran_ns = 0;
  unsigned long long waited_ns = 0;
};

std::optional<ThreadTimes> thread_times(pid_t pid) {
  std::error_code error;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", error);
  if (error) return std::nullopt;
  ThreadTimes total;
  for (const auto& task : tasks) {
    std::ifstream schedstat(task.path() / "schedstat");
    ThreadTimes times;
    if (schedstat >> times.ran_ns >> times.waited_ns) {
      total.ran_ns += times.ran_ns;
      total.waited_ns += times.waited_ns;
    }
  }
  return total;
}

}  // namespace

std::optional<double> process_cpu_wait_seconds(pid_t pid) {
  const auto times = thread_times(pid);
  if (!times) return std::nullopt;
  return static_cast<double>(times->waited_ns) / 1e9;
}

std::optional<double> process_cpu_run_seconds(pid_t pid) {
  const auto times = thread_times(pid);
  if (!times) return std::nullopt;
  return static_cast<double>(times->ran_ns) / 1e9;
}

std::optional<std::size_t> process_rss_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (!line.starts_with("VmRSS:")) continue;
    std::istringstream value(line.substr(6));
    std::size_t kib = 0;
    if (!(value >> kib)) return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

}  // namespace trellis::bench::load
