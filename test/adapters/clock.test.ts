import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DELAY_MS, simulatedClock, systemClock } from '../../src/adapters/clock.js';

describe('simulatedClock', () => {
  it('fires due timers in order, each at its own due time', () => {
    const c = simulatedClock(1000);
    const seen: Array<[string, number]> = [];
    c.setTimeout(() => seen.push(['b', c.now()]), 200);
    c.setTimeout(() => seen.push(['a', c.now()]), 100);
    const cancelled = c.setTimeout(() => seen.push(['x', c.now()]), 150);
    c.clearTimeout(cancelled);
    c.advance(500);
    expect(seen).toEqual([
      ['a', 1100],
      ['b', 1200],
    ]);
    expect(c.now()).toBe(1500);
  });

  it('fires timers set while advancing when they fall due, and set() jumps forward', () => {
    const c = simulatedClock(0);
    const seen: number[] = [];
    c.setTimeout(() => {
      seen.push(c.now());
      c.setTimeout(() => seen.push(c.now()), 10);
    }, 10);
    c.advance(25);
    expect(seen).toEqual([10, 20]);
    c.set(100);
    expect(c.now()).toBe(100);
    c.set(50);
    expect(c.now()).toBe(100);
  });

  it('property: timers fire in (due, insertion) order and never early', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 10 }), (delays, steps) => {
        const c = simulatedClock(0);
        const fired: Array<{ i: number; at: number }> = [];
        delays.forEach((d, i) => c.setTimeout(() => fired.push({ i, at: c.now() }), d));
        for (const s of steps) c.advance(s);
        c.advance(1000);
        const expected = delays.map((d, i) => ({ i, at: d })).sort((a, b) => a.at - b.at || a.i - b.i);
        expect(fired).toEqual(expected);
      }),
    );
  });
});

describe('systemClock', () => {
  it('waits at most 2^31−1 ms instead of firing at once for longer delays', () => {
    const seen: number[] = [];
    const original = globalThis.setTimeout;
    globalThis.setTimeout = ((fn: () => void, ms: number) => {
      seen.push(ms);
      return original(fn, 0);
    }) as typeof setTimeout;
    try {
      const c = systemClock();
      c.clearTimeout(c.setTimeout(() => undefined, 2 ** 40));
      c.clearTimeout(c.setTimeout(() => undefined, -5));
    } finally {
      globalThis.setTimeout = original;
    }
    expect(seen).toEqual([MAX_DELAY_MS, 0]);
  });

  it('uses real time and global timers', async () => {
    const c = systemClock();
    expect(Math.abs(c.now() - Date.now())).toBeLessThan(50);
    await new Promise<void>((resolve) => c.setTimeout(() => resolve(), 1));
    const h = c.setTimeout(() => {
      throw new Error('must not fire');
    }, 5);
    c.clearTimeout(h);
    await new Promise((r) => setTimeout(r, 10));
  });
});
