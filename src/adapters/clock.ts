import type { Clock } from './types.js';

/** Real time: `Date.now()` and the global timers, looked up at call time (never at import). */
/** The longest delay a platform timer takes. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    // Above 2^31−1 ms setTimeout fires at once; a longer wait is capped instead (~24.8 days).
    setTimeout: (fn, ms) => globalThis.setTimeout(fn, Math.min(Math.max(0, ms), MAX_DELAY_MS)),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  };
}

/** A clock that moves only when told: `advance(ms)` fires every timer that falls due, in order. */
export interface ManualClock extends Clock {
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void;
  /** Jumps to an absolute time (ms since the epoch), firing due timers. */
  set(ms: number): void;
}

/**
 * A simulated clock for tests and replays. Time moves only through `advance`/`set`; due
 * timers fire in due order, each seeing `now()` equal to its own due time, and timers set
 * while advancing fire in the same advance when they fall due. Hand it to the SDK as
 * `clock`, so machine delays and timestamps move together. Starts at `startMs`
 * (default 2026-01-01T00:00:00Z).
 */
export function simulatedClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs;
  let nextId = 1;
  // Insertion order breaks ties between timers due at the same moment.
  const timers = new Map<number, { due: number; fn: () => void }>();

  const runUntil = (target: number): void => {
    for (;;) {
      let nextKey: number | undefined;
      let nextDue = Infinity;
      for (const [id, t] of timers) {
        if (t.due < nextDue) {
          nextDue = t.due;
          nextKey = id;
        }
      }
      if (nextKey === undefined || nextDue > target) break;
      const timer = timers.get(nextKey)!;
      timers.delete(nextKey);
      now = Math.max(now, timer.due);
      timer.fn();
    }
    now = Math.max(now, target);
  };

  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.set(id, { due: now + Math.max(0, ms), fn: () => fn() });
      return id;
    },
    clearTimeout: (handle) => {
      timers.delete(handle as number);
    },
    advance: (ms) => runUntil(now + ms),
    set: (ms) => runUntil(ms),
  };
}
