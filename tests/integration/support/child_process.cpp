#include "support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace trellis::testing {

ChildServer::ChildServer(const std::string& program, const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int spawned = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
  if (spawned != 0) {
    pid_ = -1;
    return;
  }
  // Read stdout line by line until "listening on http://HOST:PORT".
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd poll_fd{stdout_fd_, POLLIN, 0};
    if (poll(&poll_fd, 1, 100) <= 0) continue;
    char chunk[256];
    const ssize_t got = read(stdout_fd_, chunk, sizeof chunk);
    if (got <= 0) return;
    output.append(chunk, static_cast<std::size_t>(got));
    const auto line_end = output.find('\n');
    if (line_end == std::string::npos) continue;
    const std::string line = output.substr(0, line_end);
    const std::string prefix = "listening on http://";
    if (line.rfind(prefix, 0) != 0) return;
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    return;
  }
}

ChildServer::~ChildServer() {
  if (pid_ > 0) kill_and_wait(SIGKILL);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

int ChildServer::kill_and_wait(int signal) {
  send_signal(signal);
  return wait();
}

void ChildServer::send_signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int ChildServer::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    usleep(10'000);
  }
  pid_ = -1;
  return status;
}

}  // namespace trellis::testing
