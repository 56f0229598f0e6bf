import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createInstantSource, instantAt } from '../../src/protocol/time.js';

// Node re-reads process.env.TZ when it is assigned, so each test can pick a zone.
let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
});
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('instantAt', () => {
  it('gives UTC hour, day of week and tz 0 (not -0) in UTC', () => {
    process.env.TZ = 'UTC';
    // 2026-01-01 is a Thursday
    const i = instantAt(Date.UTC(2026, 0, 1, 13, 5));
    expect(i).toEqual({ timestamp: Date.UTC(2026, 0, 1, 13, 5), hour: 13, dow: 4, tz: 0 });
    expect(Object.is(i.tz, 0)).toBe(true);
  });

  it('gives minutes east of UTC: 120 for UTC+2, -300 for UTC-5', () => {
    process.env.TZ = 'Etc/GMT-2'; // POSIX sign: this is UTC+2
    expect(instantAt(Date.UTC(2026, 0, 3, 23, 30))).toMatchObject({ hour: 1, dow: 0, tz: 120 });
    process.env.TZ = 'America/New_York';
    expect(instantAt(Date.UTC(2026, 0, 4, 3, 0))).toMatchObject({ hour: 22, dow: 6, tz: -300 });
    process.env.TZ = 'Asia/Kolkata';
    expect(instantAt(Date.UTC(2026, 0, 1, 0, 0))).toMatchObject({ hour: 5, tz: 330 });
  });

  it('follows daylight saving time', () => {
    process.env.TZ = 'Europe/Berlin';
    expect(instantAt(Date.UTC(2026, 0, 15, 12)).tz).toBe(60);
    expect(instantAt(Date.UTC(2026, 6, 15, 12)).tz).toBe(120);
  });

  it('hour and dow always agree with the local date', () => {
    process.env.TZ = 'Australia/Adelaide';
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ts) => {
        const i = instantAt(ts);
        const d = new Date(ts);
        expect(i.hour).toBe(d.getHours());
        expect(i.dow).toBe(d.getDay());
        expect(i.hour).toBeGreaterThanOrEqual(0);
        expect(i.hour).toBeLessThanOrEqual(23);
        expect(i.dow).toBeGreaterThanOrEqual(0);
        expect(i.dow).toBeLessThanOrEqual(6);
        expect(i.tz).toBe(-d.getTimezoneOffset() + 0);
      }),
    );
  });
});

describe('createInstantSource', () => {
  it('follows the clock while it moves forward', () => {
    let now = 1_700_000_000_000;
    const next = createInstantSource(() => now);
    expect(next().timestamp).toBe(1_700_000_000_000);
    now += 5;
    expect(next().timestamp).toBe(1_700_000_000_005);
  });

  it('makes same-millisecond readings unique, in call order (spec pseudo-code)', () => {
    const next = createInstantSource(() => 1000);
    expect([next(), next(), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 1002]);
  });

  it('keeps going up when the clock goes back, and catches up once it passes', () => {
    const readings = [1000, 1000, 990, 1001, 1010];
    const next = createInstantSource(() => readings.shift() as number);
    expect([next(), next(), next(), next(), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 1002, 1003, 1010]);
  });

  it('floors fractional readings and survives a non-finite reading', () => {
    const readings = [1000.7, Number.NaN, 1001.2];
    const next = createInstantSource(() => readings.shift() as number);
    expect([next(), next(), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 1002]);
  });

  it('computes hour/dow/tz from the returned timestamp', () => {
    process.env.TZ = 'Asia/Tokyo';
    const next = createInstantSource(() => Date.UTC(2026, 0, 1, 14, 59, 59, 999));
    next();
    // the second call is bumped past midnight Tokyo time
    expect(next()).toEqual(instantAt(Date.UTC(2026, 0, 1, 15)));
    expect(next()).toMatchObject({ hour: 0, dow: 5, tz: 540 });
  });

  it('yields strictly increasing integer timestamps, never below the reading, for any clock', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4_102_444_800_000 }), { minLength: 1, maxLength: 200 }), (readings) => {
        const queue = [...readings];
        const next = createInstantSource(() => queue.shift() as number);
        let last = -Infinity;
        for (const reading of readings) {
          const { timestamp } = next();
          expect(Number.isInteger(timestamp)).toBe(true);
          expect(timestamp).toBeGreaterThan(last);
          expect(timestamp).toBeGreaterThanOrEqual(reading);
          last = timestamp;
        }
      }),
    );
  });

  it('equals the clock exactly when readings strictly increase', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 4_102_444_800_000 }), { minLength: 1 }), (values) => {
        const readings = [...values].sort((a, b) => a - b);
        const queue = [...readings];
        const next = createInstantSource(() => queue.shift() as number);
        expect(readings.map(() => next().timestamp)).toEqual(readings);
      }),
    );
  });
});
