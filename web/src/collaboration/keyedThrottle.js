// At most one send per key per interval, always ending with the latest value.
// The first value after a quiet interval goes out at once; values pushed
// within the interval replace each other and the last is sent when the
// interval ends. `flush` sends a value now and drops what was pending for its
// key (a drag's final position must not be overtaken by an older one);
// `flushAll` sends every pending value at once.

// Browsers refuse setTimeout called as a method of another object, hence the
// wrappers.
const realClock = {
  now: () => Date.now(),
  setTimeout: (callback, delay) => setTimeout(callback, delay),
  clearTimeout: (timer) => clearTimeout(timer),
};

export function createKeyedThrottle(intervalMs, send, clock = realClock) {
  const lastSentAt = new Map();
  const pending = new Map(); // key -> {value, timer}

  const sendNow = (key, value) => {
    lastSentAt.set(key, clock.now());
    send(key, value);
  };

  return {
    push(key, value) {
      const waiting = pending.get(key);
      if (waiting) {
        waiting.value = value;
        return;
      }
      const elapsed = clock.now() - (lastSentAt.get(key) ?? -Infinity);
      if (elapsed >= intervalMs) {
        sendNow(key, value);
        return;
      }
      const entry = { value, timer: null };
      entry.timer = clock.setTimeout(() => {
        pending.delete(key);
        sendNow(key, entry.value);
      }, intervalMs - elapsed);
      pending.set(key, entry);
    },

    flush(key, value) {
      this.cancel(key);
      sendNow(key, value);
    },

    cancel(key) {
      const waiting = pending.get(key);
      if (!waiting) return;
      clock.clearTimeout(waiting.timer);
      pending.delete(key);
    },

    // Sends every pending value now (the connection is going away: a drag's
    // latest position must not be lost with the timer).
    flushAll() {
      const waiting = [...pending.entries()];
      pending.clear();
      for (const [key, { value, timer }] of waiting) {
        clock.clearTimeout(timer);
        sendNow(key, value);
      }
    },

    cancelAll() {
      for (const { timer } of pending.values()) clock.clearTimeout(timer);
      pending.clear();
      lastSentAt.clear();
    },
  };
}
