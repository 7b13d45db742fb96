#include "server_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>

namespace trellis::bench::load {
namespace {

constexpr std::string_view kListeningPrefix = "listening on http://";

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

// The logfmt event name of a server log line, or "other".
std::string event_name(const std::string& line) {
  const std::size_t start = line.find(" event=");
  if (start == std::string::npos) return "other";
  const std::size_t value = start + 7;
  const std::size_t end = line.find(' ', value);
  return line.substr(value, end == std::string::npos ? std::string::npos : end - value);
}

}  // namespace

crdt::Result<std::unique_ptr<ServerProcess>> ServerProcess::spawn(const SpawnSettings& settings) {
  std::vector<std::string> args = {settings.path, "--port", "0",      "--storage", "memory",
                                   "--log-level", "warn",   "--host", "127.0.0.1"};
  if (settings.threads) {
    args.push_back("--threads");
    args.push_back(std::to_string(*settings.threads));
  }
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            std::string("pipe: ") + std::strerror(errno));
  }
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->pid_ = fork();
  if (server->pid_ < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return crdt::make_error(crdt::ErrorCode::invalid_argument,
                            std::string("fork: ") + std::strerror(errno));
  }
  if (server->pid_ == 0) {
    // The child: async-signal-safe calls only until exec.
    if (settings.cpu_core) {
      cpu_set_t cores;
      CPU_ZERO(&cores);
      CPU_SET(*settings.cpu_core, &cores);
      sched_setaffinity(0, sizeof cores, &cores);
    }
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    constexpr char kFailed[] = "trellis_load: cannot execute the server\n";
    [[maybe_unused]] auto written = write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
    _exit(127);
  }
  close(pipe_fds[1]);
  server->reader_ = std::thread([raw = server.get(), fd = pipe_fds[0]] { raw->read_output(fd); });

  std::unique_lock lock(server->mutex_);
  server->address_known_.wait_for(lock, settings.start_timeout, [&] {
    return !server->authority_.empty() || server->output_ended_;
  });
  if (server->authority_.empty()) {
    std::string said;
    for (const std::string& line : server->log_.first_lines)
      said += "\n  " + line;
    lock.unlock();
    const std::string ended = server->stop(std::chrono::seconds(2));
    return crdt::make_error(crdt::ErrorCode::not_found,
                            settings.path + " did not say where it listens (" + ended + ")" + said);
  }
  return server;
}

ServerProcess::~ServerProcess() {
  stop();
}

std::string ServerProcess::sync_url() const {
  std::lock_guard lock(mutex_);
  return "ws://" + authority_ + "/v1/sync";
}

ServerLog ServerProcess::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

void ServerProcess::read_output(int fd) {
  FILE* output = fdopen(fd, "r");
  if (!output) {
    close(fd);
  } else {
    char* raw_line = nullptr;
    std::size_t capacity = 0;
    ssize_t length = 0;
    while ((length = getline(&raw_line, &capacity, output)) >= 0) {
      std::string line(raw_line, static_cast<std::size_t>(length));
      if (!line.empty() && line.back() == '\n') line.pop_back();
      std::lock_guard lock(mutex_);
      if (authority_.empty() && line.starts_with(kListeningPrefix)) {
        authority_ = line.substr(kListeningPrefix.size());
        address_known_.notify_all();
        continue;
      }
      ++log_.lines;
      ++log_.events[event_name(line)];
      if (log_.first_lines.size() < ServerLog::kKeptLines) {
        log_.first_lines.push_back(line);
        std::cerr << "trellisd: " << line << '\n';
      }
    }
    free(raw_line);
    fclose(output);
  }
  std::lock_guard lock(mutex_);
  output_ended_ = true;
  address_known_.notify_all();
}

std::string ServerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    pid_t reaped = 0;
    while ((reaped = waitpid(pid_, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      usleep(10'000);
    }
    if (reaped == 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      exit_description_ = "did not stop on SIGTERM within " + std::to_string(grace.count()) +
                          " ms; " + describe_wait_status(status);
    } else {
      exit_description_ = describe_wait_status(status);
    }
    pid_ = -1;
  }
  // The pipe's only writer is gone: the reader sees end of file.
  if (reader_.joinable()) reader_.join();
  return exit_description_;
}

}  // namespace trellis::bench::load
