// What every peer case shares with trellis_graph_bench: the JSON record
// (bench/bench_record.hpp's shape), the stopwatch (bench/stopwatch.hpp) and
// the update log that stands in for a socket (bench/workload_replay.hpp).

import { performance } from 'node:perf_hooks';

export function newRecord(impl, caseName) {
  return { impl, case: caseName };
}

// Timings are not precise to 1 µs anyway.
export function rounded(value, decimals = 3) {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

export function perSecond(count, ms) {
  return Math.round(count / (ms / 1000));
}

// Wall milliseconds on the monotonic clock, and the process's CPU time
// meanwhile (Node has no per-thread clock; GC helper threads count too).
export class Stopwatch {
  constructor() {
    this.cpuStart = process.cpuUsage();
    this.start = performance.now();
  }

  elapsedMs() {
    return performance.now() - this.start;
  }

  cpuMs() {
    const used = process.cpuUsage(this.cpuStart);
    return (used.user + used.system) / 1000;
  }
}

// Every update is copied into one contiguous buffer, as a socket writer
// would; message(i) hands the receiver a view of the i-th one.
export class UpdateLog {
  constructor(initialBytes = 1 << 20) {
    this.bytes = new Uint8Array(initialBytes);
    this.size = 0;
    this.ends = [];
  }

  push(update) {
    const needed = this.size + update.length;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.size));
      this.bytes = grown;
    }
    this.bytes.set(update, this.size);
    this.size = needed;
    this.ends.push(needed);
  }

  get messageCount() {
    return this.ends.length;
  }

  message(index) {
    const begin = index === 0 ? 0 : this.ends[index - 1];
    return this.bytes.subarray(begin, this.ends[index]);
  }
}
