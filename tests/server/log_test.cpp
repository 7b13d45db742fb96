// Log lines are logfmt, one event per line: whatever a value holds, it
// cannot end the line or forge a field, and concurrent events never share a
// line.

#include "log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace trellis::server {
namespace {

using namespace std::chrono;

// 2026-11-26T14:05:00.123Z
const system_clock::time_point kTime =
    system_clock::time_point(seconds(1795701900)) + milliseconds(123);

std::string line_of(std::string_view event, std::initializer_list<LogField> fields) {
  return format_log_line(kTime, LogLevel::info, event, {fields.begin(), fields.size()});
}

TEST(Log, FormatsOneLogfmtLine) {
  EXPECT_EQ(
      line_of("client_joined", {{"workspace", "abc"}, {"user", "user_1"}, {"msg", "hi there"}}),
      "2026-11-26T14:05:00.123Z level=info event=client_joined workspace=abc user=user_1 "
      "msg=\"hi there\"\n");
  EXPECT_EQ(format_log_line(kTime, LogLevel::warn, "x", {}),
            "2026-11-26T14:05:00.123Z level=warn event=x\n");
}

TEST(Log, QuotesAndEscapesValuesSoNoneCanForgeALine) {
  EXPECT_EQ(line_of("e", {{"name", "a\nb level=error event=forged"}}),
            "2026-11-26T14:05:00.123Z level=info event=e "
            "name=\"a\\nb level=error event=forged\"\n");
  EXPECT_EQ(line_of("e", {{"q", "say \"hi\" \\o/"}}),
            "2026-11-26T14:05:00.123Z level=info event=e q=\"say \\\"hi\\\" \\\\o/\"\n");
  EXPECT_EQ(line_of("e", {{"c", std::string_view("\r\t\x01\x7f\0", 5)}}),
            "2026-11-26T14:05:00.123Z level=info event=e c=\"\\r\\t\\x01\\x7f\\x00\"\n");
  EXPECT_EQ(line_of("e", {{"empty", ""}, {"eq", "a=b"}, {"utf8", "Zoë"}}),
            "2026-11-26T14:05:00.123Z level=info event=e empty=\"\" eq=\"a=b\" utf8=Zoë\n");
  // A key is rewritten, not quoted: it is a name chosen by the code.
  EXPECT_EQ(line_of("e", {{"bad key=", "v"}, {"", "w"}}),
            "2026-11-26T14:05:00.123Z level=info event=e bad_key_=v _=w\n");
  // Events are values too.
  EXPECT_EQ(line_of("two words", {}), "2026-11-26T14:05:00.123Z level=info event=\"two words\"\n");
}

TEST(Log, CutsLongValues) {
  const std::string huge(5000, 'x');
  const std::string line = line_of("e", {{"v", huge}});
  EXPECT_EQ(line, "2026-11-26T14:05:00.123Z level=info event=e v=\"" +
                      std::string(kMaxLogValueBytes, 'x') + "...(truncated)\"\n");
}

TEST(Log, LevelsParseAndFilter) {
  EXPECT_EQ(parse_log_level("debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("Info"), std::nullopt);
  for (LogLevel level : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error})
    EXPECT_EQ(parse_log_level(to_string(level)), level);

  const LogLevel before = log_level();
  set_log_level(LogLevel::warn);
  EXPECT_FALSE(log_enabled(LogLevel::info));
  EXPECT_TRUE(log_enabled(LogLevel::warn));
  EXPECT_TRUE(log_enabled(LogLevel::error));
  set_log_level(before);
}

// Runs `body` with stderr sent to a file and returns what it wrote.
template <class Body>
std::string captured_stderr(Body body) {
  char path[] = "/tmp/trellis-log-test-XXXXXX";
  const int file = mkstemp(path);
  EXPECT_GE(file, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  dup2(file, STDERR_FILENO);
  body();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(file);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path);
  return text.str();
}

TEST(Log, ConcurrentEventsWriteWholeLines) {
  const LogLevel before = log_level();
  set_log_level(LogLevel::debug);
  constexpr int kThreads = 4;
  constexpr int kEvents = 300;
  const std::string padding(200, 'p');
  const std::string text = captured_stderr([&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string thread_name = std::to_string(t);
        for (int i = 0; i < kEvents; ++i)
          log_event(LogLevel::debug, "tick", {{"thread", thread_name}, {"pad", padding}});
      });
    }
    for (auto& thread : threads)
      thread.join();
    log_event(LogLevel::debug, "last_at_debug", {});
    set_log_level(LogLevel::info);
    log_event(LogLevel::debug, "filtered_out", {});
  });
  set_log_level(before);

  std::istringstream lines(text);
  std::string line;
  int ticks = 0;
  std::vector<std::string> others;
  while (std::getline(lines, line)) {
    if (line.find(" event=tick ") == std::string::npos) {
      others.push_back(line);
      continue;
    }
    ++ticks;
    EXPECT_EQ(line.size(), 24 + std::string_view(" level=debug event=tick thread=0 pad=").size() +
                               padding.size())
        << line;
  }
  EXPECT_EQ(ticks, kThreads * kEvents);
  ASSERT_EQ(others.size(), 1u);
  EXPECT_NE(others[0].find(" level=debug event=last_at_debug"), std::string::npos);
}

}  // namespace
}  // namespace trellis::server
