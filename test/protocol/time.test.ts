import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { Instant } from '../../src/domain/types.js';
import { MAX_AHEAD_MS, createInstantSource, instantAt } from '../../src/protocol/time.js';

// Node re-reads process.env.TZ when it is assigned, so each test can pick a zone, and a
// test can change it between two calls (a runtime timezone change).
let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
});
afterEach(() => {
  vi.restoreAllMocks();
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A source fed from a list of readings through `now()`. */
function sourceOver(readings: readonly number[]): (reading?: number) => Instant {
  const queue = [...readings];
  return createInstantSource(() => queue.shift() as number);
}

/** The spec's getUniqueMsTimestamp (SDK guide l. 414-432), literally, over a list of readings. */
function specTimestamps(readings: readonly number[]): number[] {
  let lastMsTs = 0;
  return readings.map((ts) => {
    if (lastMsTs >= ts) lastMsTs++;
    else lastMsTs = ts;
    return lastMsTs;
  });
}

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

describe('createInstantSource: timestamps', () => {
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
    const next = sourceOver([1000, 1000, 990, 1001, 1010]);
    expect([next(), next(), next(), next(), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 1002, 1003, 1010]);
  });

  it('floors fractional readings and survives a non-finite reading', () => {
    const next = sourceOver([1000.7, Number.NaN, 1001.2]);
    expect([next(), next(), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 1002]);
  });

  it('stamps a reading passed in (a buffered call) like one read from the clock', () => {
    const next = createInstantSource(() => 2000);
    expect([next(1000), next(1000), next()].map((i) => i.timestamp)).toEqual([1000, 1001, 2000]);
  });

  it('stays within MAX_AHEAD_MS of the clock in a burst: 5,000 records in 35 ms', () => {
    // The reported defect: last + 1 per record put the last event 4,964 ms in the future.
    const start = 1_767_225_600_000;
    const readings = Array.from({ length: 5_000 }, (_, i) => start + Math.floor((i * 35) / 5_000));
    const next = sourceOver(readings);
    let previous = -Infinity;
    for (const reading of readings) {
      const { timestamp } = next();
      expect(timestamp - reading).toBeLessThanOrEqual(MAX_AHEAD_MS);
      expect(timestamp).toBeGreaterThanOrEqual(previous);
      previous = timestamp;
    }
    expect(previous).toBe(start + 34 + MAX_AHEAD_MS);
  });

  it('keeps the first MAX_AHEAD_MS + 1 of a same-ms burst unique, then repeats the bound', () => {
    const readings = [...Array<number>(10_000).fill(1000), 1001, 1020];
    const stamps = readings.map(sourceOver(readings)).map((i) => i.timestamp);
    const unique = Array.from({ length: MAX_AHEAD_MS + 1 }, (_, i) => 1000 + i);
    expect(stamps.slice(0, MAX_AHEAD_MS + 1)).toEqual(unique);
    expect(new Set(stamps.slice(MAX_AHEAD_MS, 10_000))).toEqual(new Set([1000 + MAX_AHEAD_MS]));
    // The next clock ms frees one more, and a reading past the last timestamp is used as is.
    expect(stamps.slice(10_000)).toEqual([1001 + MAX_AHEAD_MS, 1020]);
  });

  it('holds, rather than runs ahead, when the clock steps back an hour', () => {
    const t = 1_767_225_600_000;
    const readings = [t, t - HOUR, t - HOUR, ...Array<number>(100).fill(t - HOUR + 1), t + 1];
    const stamps = readings.map(sourceOver(readings)).map((i) => i.timestamp);
    expect(Math.max(...stamps.slice(0, -1))).toBe(t + MAX_AHEAD_MS);
    // back at t: the clock's new high is t + 1, so one more step is allowed
    expect(stamps.at(-1)).toBe(t + 1 + MAX_AHEAD_MS);
    expect(stamps.slice(0, MAX_AHEAD_MS + 1)).toEqual(Array.from({ length: MAX_AHEAD_MS + 1 }, (_, i) => t + i));
  });

  it('equals the clock exactly when readings strictly increase', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 4_102_444_800_000 }), { minLength: 1 }), (values) => {
        const readings = [...values].sort((a, b) => a - b);
        expect(readings.map(sourceOver(readings)).map((i) => i.timestamp)).toEqual(readings);
      }),
    );
  });

  /**
   * Clock readings in runs: each run moves the clock by `step` (forwards or back) and reads
   * it `times` times in a row, through now() or passed in; some runs are bursts of 10,000
   * at one ms, some readings are fractional, NaN or infinite.
   */
  const reading = fc.oneof(
    { weight: 8, arbitrary: fc.constant('clock' as const) },
    { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 0.999, noNaN: true }) },
  );
  const run = fc.record({
    step: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.integer({ min: -HOUR, max: HOUR })),
    times: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 30 }) }, { weight: 1, arbitrary: fc.constant(10_000) }),
    reading,
    passed: fc.boolean(),
  });
  const clockRuns = fc.record({ start: fc.integer({ min: 0, max: 4_102_444_800_000 }), runs: fc.array(run, { maxLength: 12 }) });

  type Call = { reading: number; passed: boolean };
  type Run = typeof run extends fc.Arbitrary<infer T> ? T : never;
  const callsOf = ({ start, runs }: { start: number; runs: Run[] }): Call[] => {
    const calls: Call[] = [];
    let clock = start;
    for (const r of runs) {
      clock += r.step;
      const value = r.reading === 'clock' ? clock : typeof r.reading === 'number' && Number.isFinite(r.reading) ? clock + r.reading : r.reading;
      for (let i = 0; i < r.times; i++) calls.push({ reading: value, passed: r.passed });
    }
    return calls;
  };
  const stampAll = (calls: Call[]): number[] => {
    const readings = calls.filter((c) => !c.passed).map((c) => c.reading);
    const next = sourceOver(readings);
    return calls.map((c) => (c.passed ? next(c.reading) : next()).timestamp);
  };

  it('property: non-decreasing integers, not below the reading, never more than MAX_AHEAD_MS ahead of the highest reading', () => {
    fc.assert(
      fc.property(clockRuns, (clock) => {
        const calls = callsOf(clock);
        const stamps = stampAll(calls);
        let high = 0; // the spec's lastMsTs starts at 0 (l. 415); only finite readings count
        let previous = -Infinity;
        for (let i = 0; i < calls.length; i++) {
          const r = calls[i]!.reading;
          const t = stamps[i]!;
          if (Number.isFinite(r)) high = Math.max(high, Math.floor(r));
          if (!Number.isInteger(t) || t < previous || t > high + MAX_AHEAD_MS) return false;
          if (Number.isFinite(r) && t < Math.floor(r)) return false;
          // The uniqueness kept: a timestamp repeats only at the bound.
          if (t === previous && t !== high + MAX_AHEAD_MS) return false;
          previous = t;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('property: identical to the spec pseudo-code whenever that stays within MAX_AHEAD_MS of the clock', () => {
    // Integer readings, where the pseudo-code (l. 414-432) applies as written.
    const ticks = fc.array(fc.record({ step: fc.integer({ min: -3, max: 10 }), times: fc.integer({ min: 1, max: MAX_AHEAD_MS + 3 }) }), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), ticks, (start, runs) => {
        const readings: number[] = [];
        let clock = start;
        for (const r of runs) {
          clock += r.step;
          for (let i = 0; i < r.times; i++) readings.push(clock);
        }
        const spec = specTimestamps(readings);
        let high = 0;
        const withinBound = spec.every((t, i) => t <= (high = Math.max(high, readings[i]!)) + MAX_AHEAD_MS);
        fc.pre(withinBound);
        expect(readings.map(sourceOver(readings)).map((i) => i.timestamp)).toEqual(spec);
      }),
    );
  });
});

describe('createInstantSource: hour, dow, tz', () => {
  const expectLocal = (instant: Instant): void => {
    expect(instant).toEqual(instantAt(instant.timestamp));
  };
  const sameLocal = (instant: Instant): boolean => {
    const expected = instantAt(instant.timestamp);
    return instant.hour === expected.hour && instant.dow === expected.dow && Object.is(instant.tz, expected.tz);
  };

  it('computes hour/dow/tz from the returned timestamp', () => {
    process.env.TZ = 'Asia/Tokyo';
    const next = createInstantSource(() => Date.UTC(2026, 0, 1, 14, 59, 59, 999));
    next();
    // the second call is bumped past midnight Tokyo time
    expect(next()).toEqual(instantAt(Date.UTC(2026, 0, 1, 15)));
    expect(next()).toMatchObject({ hour: 0, dow: 5, tz: 540 });
  });

  it('Pacific/Chatham: right on both sides of the :45 DST changes of 2026', () => {
    process.env.TZ = 'Pacific/Chatham';
    // DST ends Sun 5 Apr 2026 03:45 CHADT (UTC+13:45) -> 02:45 CHAST (UTC+12:45) = 4 Apr 14:00Z;
    // it starts Sun 27 Sep 2026 02:45 CHAST -> 03:45 CHADT = 26 Sep 14:00Z.
    const changes = [
      { at: Date.UTC(2026, 3, 4, 14), before: { tz: 825, hour: 3 }, after: { tz: 765, hour: 2 } },
      { at: Date.UTC(2026, 8, 26, 14), before: { tz: 765, hour: 2 }, after: { tz: 825, hour: 3 } },
    ];
    for (const { at, before, after } of changes) {
      let now = at - 50 * MINUTE; // the cache is filled mid-hour, before the change
      const next = createInstantSource(() => now);
      expectLocal(next());
      now = at - 1;
      expect(next()).toMatchObject({ ...before, dow: 0 });
      now = at;
      expect(next()).toMatchObject({ ...after, dow: 0 });
      for (now = at + 1; now < at + 2 * HOUR; now += 7 * MINUTE + 13) expectLocal(next());
    }
  });

  it('Australia/Lord_Howe: right across its 30-minute DST shifts', () => {
    process.env.TZ = 'Australia/Lord_Howe';
    // DST ends 5 Apr 2026 02:00 LHDT (+11) -> 01:30 LHST (+10:30) = 4 Apr 15:00Z;
    // it starts 4 Oct 2026 02:00 LHST -> 02:30 LHDT = 3 Oct 15:30Z.
    for (const [at, tzBefore, tzAfter] of [
      [Date.UTC(2026, 3, 4, 15), 660, 630],
      [Date.UTC(2026, 9, 3, 15, 30), 630, 660],
    ] as const) {
      let now = at - 40 * MINUTE;
      const next = createInstantSource(() => now);
      expectLocal(next());
      now = at - 1;
      expect(next().tz).toBe(tzBefore);
      now = at;
      expect(next().tz).toBe(tzAfter);
      for (now = at + 1; now < at + 2 * HOUR; now += 3 * MINUTE + 1) expectLocal(next());
    }
  });

  it('every IANA zone: right around every offset change of 2026, minute by minute', () => {
    const year = Date.UTC(2026, 0, 1);
    const end = Date.UTC(2027, 0, 1);
    let changesSeen = 0;
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      process.env.TZ = zone;
      const probe = new Date(0);
      const offsetAt = (t: number): number => {
        probe.setTime(t);
        return probe.getTimezoneOffset();
      };
      const changes: number[] = [];
      let previous = offsetAt(year);
      for (let t = year + HOUR; t < end; t += HOUR) {
        const offset = offsetAt(t);
        if (offset === previous) continue;
        previous = offset;
        // bisect to the first ms of the new offset
        let lo = t - HOUR;
        let hi = t;
        while (hi - lo > 1) {
          const mid = lo + Math.floor((hi - lo) / 2);
          if (offsetAt(mid) === offsetAt(lo)) lo = mid;
          else hi = mid;
        }
        changes.push(hi);
      }
      if (changes.length === 0) continue;
      changesSeen += changes.length;
      let now = year;
      const next = createInstantSource(() => now);
      for (const at of changes) {
        for (now = at - 70 * MINUTE + 17; now < at + 70 * MINUTE; now += MINUTE) {
          const instant = next();
          // expect() only on a mismatch: ~37,000 comparisons
          if (!sameLocal(instant)) expectLocal(instant);
        }
        for (now = at - 1; now <= at + 1; now++) expectLocal(next());
      }
    }
    expect(changesSeen).toBeGreaterThan(100);
  });

  it('property: equals instantAt for any readings in zones with odd offsets and changes', () => {
    const zones = [
      'Pacific/Chatham',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'America/St_Johns',
      'Antarctica/Troll',
      'Africa/Casablanca',
      'Europe/Berlin',
      'America/Santiago',
      'Pacific/Kiritimati',
      'UTC',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 20 * MINUTE }), fc.integer({ min: -HOUR, max: 40 * 86_400_000 })), {
          maxLength: 60,
        }),
        (zone, start, steps) => {
          process.env.TZ = zone;
          let now = start;
          const next = createInstantSource(() => now);
          expectLocal(next());
          for (const step of steps) {
            now += step;
            expectLocal(next());
          }
        },
      ),
    );
  });

  it('follows a runtime timezone change at once, within a cached hour', () => {
    process.env.TZ = 'Europe/Berlin';
    let now = Date.UTC(2026, 6, 15, 12, 10);
    const next = createInstantSource(() => now);
    expect(next()).toMatchObject({ hour: 14, tz: 120 });
    process.env.TZ = 'Asia/Kathmandu';
    now += MINUTE;
    expect(next()).toMatchObject({ hour: 17, tz: 345 });
    expectLocal(next());
    process.env.TZ = 'America/St_Johns';
    now += MINUTE;
    expect(next()).toMatchObject({ hour: 9, tz: -150 });
    process.env.TZ = 'Europe/Berlin';
    now += MINUTE;
    expect(next()).toMatchObject({ hour: 14, tz: 120 });
  });

  it('follows a runtime change between zones exactly a day apart (same hour, other day)', () => {
    process.env.TZ = 'Pacific/Honolulu'; // UTC-10
    let now = Date.UTC(2026, 0, 7, 20, 30); // a Wednesday
    const next = createInstantSource(() => now);
    expect(next()).toMatchObject({ hour: 10, dow: 3, tz: -600 });
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14
    now += 1;
    expect(next()).toMatchObject({ hour: 10, dow: 4, tz: 840 });
  });

  /**
   * Runtime changes to a zone with the same offset at one end of the cached range but a
   * change inside it. No pair of real zones does this today (only Chatham changes mid-hour,
   * at offsets no other zone has), so made-up zones stand in: the engine's local-time
   * getters are replaced by ones that follow `zone.offsetAt` (minutes east).
   */
  function fakeZone(): { offsetAt: (ms: number) => number } {
    const zone = { offsetAt: (_: number): number => 0 };
    const local = (d: Date): Date => new Date(d.getTime() + zone.offsetAt(d.getTime()) * MINUTE);
    vi.spyOn(Date.prototype, 'getTimezoneOffset').mockImplementation(function (this: Date) {
      return 0 - zone.offsetAt(this.getTime());
    });
    vi.spyOn(Date.prototype, 'getHours').mockImplementation(function (this: Date) {
      return local(this).getUTCHours();
    });
    vi.spyOn(Date.prototype, 'getMinutes').mockImplementation(function (this: Date) {
      return local(this).getUTCMinutes();
    });
    vi.spyOn(Date.prototype, 'getDay').mockImplementation(function (this: Date) {
      return local(this).getUTCDay();
    });
    return zone;
  }
  const change = Date.UTC(2026, 3, 4, 14);
  const chathamLike = (t: number): number => (t < change ? 825 : 765); // 03:45 -> 02:45 local at 14:00Z

  it('follows a runtime change to a zone with the same offset at the start of the cached range but a change inside it', () => {
    const zone = fakeZone();
    zone.offsetAt = () => 825; // a fixed UTC+13:45
    let now = change - 10 * MINUTE; // 03:35 local: the cache holds +13:45 until 04:00 local (14:15Z)
    const next = createInstantSource(() => now);
    expect(next()).toMatchObject({ hour: 3, tz: 825 });
    zone.offsetAt = chathamLike;
    now = change + 5 * MINUTE;
    expect(next()).toMatchObject({ hour: 2, tz: 765 });
  });

  it('follows a runtime change to a zone with the same offset at the end of the cached range but not at its start', () => {
    const zone = fakeZone();
    zone.offsetAt = () => 765; // a fixed UTC+12:45
    let now = change - 10 * MINUTE; // 02:35 local: the cache holds +12:45 until 03:00 local (14:15Z)
    const next = createInstantSource(() => now);
    expect(next()).toMatchObject({ hour: 2, tz: 765 });
    zone.offsetAt = chathamLike;
    now = change - 5 * MINUTE; // 03:40 in the new zone
    expect(next()).toMatchObject({ hour: 3, tz: 825 });
  });
});
