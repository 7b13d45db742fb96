import { describe, expect, it } from 'vitest';
import { createKeyedThrottle } from '../src/collaboration/keyedThrottle.js';

// A clock the test moves by hand.
function manualClock() {
  let now = 0;
  let timers = [];
  return {
    now: () => now,
    setTimeout(callback, delay) {
      const timer = { at: now + delay, callback };
      timers.push(timer);
      return timer;
    },
    clearTimeout(timer) {
      timers = timers.filter((other) => other !== timer);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((timer) => timer.at <= now);
      timers = timers.filter((timer) => timer.at > now);
      for (const timer of due) timer.callback();
    },
  };
}

describe('createKeyedThrottle', () => {
  it('sends the first value at once and the latest at the end of the interval', () => {
    const clock = manualClock();
    const sent = [];
    const throttle = createKeyedThrottle(50, (key, value) => sent.push([key, value]), clock);
    throttle.push('a', 1);
    throttle.push('a', 2);
    throttle.push('a', 3);
    expect(sent).toEqual([['a', 1]]);
    clock.advance(50);
    expect(sent).toEqual([['a', 1], ['a', 3]]);
  });

  it('sends at most one value per interval per key over a long burst', () => {
    const clock = manualClock();
    const sent = [];
    const throttle = createKeyedThrottle(50, (key, value) => sent.push([key, value]), clock);
    for (let step = 0; step < 100; ++step) {
      throttle.push('a', step);
      throttle.push('b', step);
      clock.advance(10); // 1 second in all
    }
    clock.advance(50);
    const perKey = (key) => sent.filter(([sentKey]) => sentKey === key);
    expect(perKey('a').length).toBeLessThanOrEqual(21);
    expect(perKey('a').at(-1)).toEqual(['a', 99]);
    expect(perKey('b').at(-1)).toEqual(['b', 99]);
  });

  it('flush sends now and drops the pending value', () => {
    const clock = manualClock();
    const sent = [];
    const throttle = createKeyedThrottle(50, (key, value) => sent.push(value), clock);
    throttle.push('a', 1);
    throttle.push('a', 2);
    throttle.flush('a', 'final');
    clock.advance(100);
    expect(sent).toEqual([1, 'final']);
  });

  it('cancel drops a pending value', () => {
    const clock = manualClock();
    const sent = [];
    const throttle = createKeyedThrottle(50, (key, value) => sent.push(value), clock);
    throttle.push('a', 1);
    throttle.push('a', 2);
    throttle.cancel('a');
    clock.advance(100);
    expect(sent).toEqual([1]);
  });
});
