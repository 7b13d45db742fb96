#include "support/process_probe.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace trellis::testing {
namespace {

constexpr std::string_view kListenState = "0A";

// Socket inodes listening on `port`, from a /proc/net/tcp-style table.
void listening_inodes(const std::string& table, std::uint16_t port, std::set<std::string>& out) {
  std::ifstream file(table);
  std::string line;
  std::getline(file, line);  // the header
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos || state != kListenState) continue;
    if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) out.insert(inode);
  }
}

std::optional<int> parent_of(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  int parent = 0;
  if (!(rest >> state >> parent)) return std::nullopt;
  return parent;
}

bool holds_socket(int pid, const std::set<std::string>& inodes) {
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", error)) {
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (target.rfind("socket:[", 0) != 0) continue;
    if (inodes.count(target.substr(8, target.size() - 9)) > 0) return true;
  }
  return false;
}

}  // namespace

std::optional<int> child_listening_on(std::uint16_t port) {
  std::set<std::string> inodes;
  listening_inodes("/proc/net/tcp", port, inodes);
  listening_inodes("/proc/net/tcp6", port, inodes);
  if (inodes.empty()) return std::nullopt;
  const int self = getpid();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const int pid = std::stoi(name);
    if (parent_of(pid) == self && holds_socket(pid, inodes)) return pid;
  }
  return std::nullopt;
}

std::optional<std::size_t> status_bytes(int pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream value(line.substr(field.size() + 1));
    std::size_t kilobytes = 0;
    if (!(value >> kilobytes)) return std::nullopt;
    return kilobytes * 1024;
  }
  return std::nullopt;
}

std::optional<std::size_t> open_descriptors(int pid) {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", error), end;
       !error && it != end; it.increment(error))
    ++count;
  if (error) return std::nullopt;
  return count;
}

}  // namespace trellis::testing
