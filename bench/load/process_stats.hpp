#pragma once
// CPU time and resident memory of any process, read from /proc: how the
// load generator watches the server (and itself) without instrumenting it.

#include <sys/types.h>

#include <cstddef>
#include <optional>

namespace trellis::bench::load {

// User plus system CPU seconds the process has used (/proc/PID/stat
// utime + stime); nullopt when the process is gone or unreadable.
std::optional<double> process_cpu_seconds(pid_t pid);

// Seconds the process's threads spent runnable but waiting for a CPU (the
// second field of /proc/PID/task/*/schedstat): how much other work held the
// cores it could run on. Threads that have ended no longer count.
std::optional<double> process_cpu_wait_seconds(pid_t pid);

// CPU seconds of the process's threads in nanosecond resolution (the first
// field of /proc/PID/task/*/schedstat), for spans too short for the 10 ms
// ticks of process_cpu_seconds. Threads that have ended no longer count.
std::optional<double> process_cpu_run_seconds(pid_t pid);

// Resident set size in bytes (/proc/PID/status VmRSS).
std::optional<std::size_t> process_rss_bytes(pid_t pid);

}  // namespace trellis::bench::load
