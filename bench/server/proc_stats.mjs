// CPU time and resident memory of another process, read from /proc, so that
// the load generator measures a server without instrumenting it.
import { readFileSync, readdirSync } from "node:fs";

// Clock ticks per second of /proc/PID/stat (USER_HZ); 100 on Linux.
const kTicksPerSecond = 100;

// utime + stime of the whole process in seconds (/proc/PID/stat, 10 ms
// ticks), or null when it is gone.
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may hold spaces: state is the
    // third field of the line, utime the 14th and stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / kTicksPerSecond;
  } catch {
    return null;
  }
}

// Nanosecond CPU time summed over the process's threads (the first field of
// /proc/PID/task/*/schedstat), for spans too short for 10 ms ticks. Threads
// that have ended no longer count, so only differences over a span in which
// no thread ends are meaningful.
export function cpuSecondsPrecise(pid) {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const schedstat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8");
      total += Number(schedstat.split(" ")[0]);
    }
    return total / 1e9;
  } catch {
    return null;
  }
}

// VmRSS in bytes, or null.
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
