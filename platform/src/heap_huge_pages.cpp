#include "trellis/platform/heap_huge_pages.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace trellis::platform {

namespace {

std::optional<std::string_view> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(value);
}

std::optional<std::string> read_text(const char* path) {
  std::ifstream file(path);
  if (!file) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

}  // namespace

std::optional<std::string> heap_huge_pages_tunables(std::optional<std::string_view> tunables,
                                                    std::optional<std::string_view> opt_out,
                                                    std::optional<std::string_view> thp_enabled,
                                                    std::optional<std::string_view> preload) {
  if (opt_out == "0") return std::nullopt;
  // Under valgrind the process image is valgrind's tool: an exec of
  // /proc/self/exe would start the tool without valgrind's launcher.
  if (preload && preload->find("vgpreload") != std::string_view::npos) return std::nullopt;
  // Set already, to whatever value: by an earlier run of this helper (which
  // is what ends the re-exec) or by the user, whose choice stands.
  if (tunables && tunables->find(kHugetlbTunable) != std::string_view::npos) return std::nullopt;
  // The kernel's modes are "always", "madvise" and "never", the current one
  // in brackets; glibc's madvise is honoured by the first two.
  if (!thp_enabled || (thp_enabled->find("[always]") == std::string_view::npos &&
                       thp_enabled->find("[madvise]") == std::string_view::npos)) {
    return std::nullopt;
  }
  if (!tunables || tunables->empty()) return std::string(kHugetlbSetting);
  return std::string(*tunables) + ":" + std::string(kHugetlbSetting);
}

void use_heap_huge_pages(char** argv) {
  const auto previous = environment("GLIBC_TUNABLES");
  const std::optional<std::string> kept_previous =
      previous ? std::optional<std::string>(*previous) : std::nullopt;
  const auto thp_enabled = read_text("/sys/kernel/mm/transparent_hugepage/enabled");
  const auto tunables =
      heap_huge_pages_tunables(previous, environment(std::string(kHeapHugePagesOptOut).c_str()),
                               thp_enabled, environment("LD_PRELOAD"));
  if (!tunables || argv == nullptr || argv[0] == nullptr) return;
  // The executable's own path, not /proc/self/exe: the kernel names the
  // process (ps, top, pgrep) after the file it was started from.
  std::string self(4096, '\0');
  const ssize_t length = readlink("/proc/self/exe", self.data(), self.size());
  if (length <= 0 || static_cast<std::size_t>(length) >= self.size()) return;
  self.resize(static_cast<std::size_t>(length));
  if (setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  execv(self.c_str(), argv);
  // No /proc (a chroot), or the executable is gone (replaced since it
  // started: readlink then ends in " (deleted)"): run on as we are.
  if (kept_previous) {
    setenv("GLIBC_TUNABLES", kept_previous->c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace trellis::platform
