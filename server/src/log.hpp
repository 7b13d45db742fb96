#pragma once
// The server's log: one event per line on stderr, in logfmt, e.g.
//
//   2026-11-26T14:05:00.123Z level=info event=client_joined workspace=abc user=user_1
//
// An event is a fixed name (what happened) plus key=value fields, so that a
// log pipeline can filter on `event=` and `workspace=` without parsing prose.
// Values come from clients (names, workspace ids, error texts): they are
// quoted and escaped so that no value can end a line or forge a field, and
// each is cut to kMaxLogValueBytes so that one client cannot flood the log.
//
// Thread-safe: the level is one atomic, and each line is built in memory
// and handed to one write(2), which the kernel does not interleave with
// other writes to the same pipe or file for lines up to PIPE_BUF (4 KiB)
// and, in practice, for longer lines to a file or terminal.

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace trellis::server {

// Severity of an event; events below the global level are not written.
enum class LogLevel : int { debug = 0, info = 1, warn = 2, error = 3 };

std::string_view to_string(LogLevel level);
// "debug", "info", "warn" (or "warning"), "error"; nullopt for anything else.
std::optional<LogLevel> parse_log_level(std::string_view text);

// The global level (default info). Relaxed atomics: a level change may take
// a moment to reach other threads, which is harmless.
void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

// One key=value pair of an event. Keys are chosen by the server's code;
// values may come from anywhere.
using LogField = std::pair<std::string_view, std::string_view>;

// Longest value written; a longer one is cut and marked "...(truncated)".
inline constexpr std::size_t kMaxLogValueBytes = 1024;

// Writes one line to stderr if `level` is enabled.
void log_event(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

// The line log_event writes (with its trailing newline), at time `now`.
// Exposed for tests and for callers that log somewhere else.
std::string format_log_line(std::chrono::system_clock::time_point now, LogLevel level,
                            std::string_view event, std::span<const LogField> fields);

}  // namespace trellis::server
