/**
 * The event pool (src/backend/pool.ts; SDK guide l. 5531–5549): thresholds per device, per
 * app key and for the whole pool; batches never mix devices; order per device kept; every
 * event handed out exactly once; a taken device is forgotten.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventPool, type PoolBatch, type PoolLevel } from '../../src/backend/pool.js';
import { scopeOf } from '../../src/backend/machine.js';

interface Ev {
  app: string;
  device: string;
  n: number;
}

describe('EventPool', () => {
  it('says which threshold an event reached', () => {
    const pool = new EventPool<number>({ device: 3, app: 5, server: 8 });
    expect(pool.add('a', 'd1', 1)).toBe('none');
    expect(pool.add('a', 'd1', 2)).toBe('none');
    expect(pool.add('a', 'd1', 3)).toBe('device');
    expect(pool.takeDevice('a', 'd1')?.events).toEqual([1, 2, 3]);
    expect(pool.size).toBe(0);
    for (let i = 0; i < 4; i++) expect(pool.add('a', `x${i}`, i)).toBe('none');
    expect(pool.add('a', 'x9', 9)).toBe('app');
    for (let i = 0; i < 2; i++) expect(pool.add('b', `y${i}`, i)).toBe('none');
    expect(pool.add('b', 'y9', 9)).toBe('server');
    expect(pool.takeAll().map((b) => [b.appKey, b.deviceId])).toEqual([
      ['a', 'x0'], ['a', 'x1'], ['a', 'x2'], ['a', 'x3'], ['a', 'x9'], ['b', 'y0'], ['b', 'y1'], ['b', 'y9'],
    ]);
  });

  it('forgets devices and app keys once taken: memory follows what is pending', () => {
    const pool = new EventPool<number>({ device: 10, app: 1000, server: 10_000 });
    for (let d = 0; d < 1000; d++) {
      pool.add('a', `d${d}`, d);
      pool.takeDevice('a', `d${d}`);
    }
    expect(pool.devices).toBe(0);
    expect(pool.countOf('a')).toBe(0);
    pool.add('a', 'z', 1);
    pool.add('b', 'z', 2);
    expect(pool.takeApp('a')).toEqual([{ appKey: 'a', deviceId: 'z', events: [1] }]);
    expect(pool.countOfDevice('b', 'z')).toBe(1);
    expect(pool.takeDevice('a', 'z')).toBeNull();
    expect(pool.takeApp('nope')).toEqual([]);
  });

  it('maps a level to the part of the pool it empties', () => {
    expect(scopeOf('device', 'a', 'd')).toEqual({ kind: 'device', appKey: 'a', deviceId: 'd' });
    expect(scopeOf('app', 'a', 'd')).toEqual({ kind: 'app', appKey: 'a' });
    expect(scopeOf('server', 'a', 'd')).toEqual({ kind: 'all' });
  });

  /** Drives the pool as the backend does: each reached level empties its scope at once. */
  function drive(thresholds: { device: number; app: number; server: number }, events: Ev[], timerEvery: number) {
    const pool = new EventPool<Ev>(thresholds);
    const out: PoolBatch<Ev>[] = [];
    let maxSize = 0;
    events.forEach((e, i) => {
      const level: PoolLevel = pool.add(e.app, e.device, e);
      maxSize = Math.max(maxSize, pool.size);
      if (level === 'device') out.push(pool.takeDevice(e.app, e.device) as PoolBatch<Ev>);
      else if (level === 'app') out.push(...pool.takeApp(e.app));
      else if (level === 'server') out.push(...pool.takeAll());
      if (timerEvery > 0 && i % timerEvery === timerEvery - 1) out.push(...pool.takeAll());
      // Invariants after every step: no device over its threshold, no app over its, the pool under the server's.
      expect(pool.size).toBeLessThan(thresholds.server);
      expect(pool.countOf(e.app)).toBeLessThan(thresholds.app);
      expect(pool.countOfDevice(e.app, e.device)).toBeLessThan(thresholds.device);
    });
    out.push(...pool.takeAll());
    return { out, pool, maxSize };
  }

  it('property: every event exactly once, batches never mix devices, order per device kept, thresholds honoured', () => {
    const event = fc.record({ app: fc.constantFrom('a', 'b', 'c'), device: fc.constantFrom('1', '2', '3', '4', '5', '6'), n: fc.constant(0) });
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 300 }),
        fc.record({ device: fc.integer({ min: 1, max: 12 }), app: fc.integer({ min: 1, max: 40 }), server: fc.integer({ min: 1, max: 80 }) }),
        fc.integer({ min: 0, max: 50 }),
        (raw, thresholds, timerEvery) => {
          const events = raw.map((e, n) => ({ ...e, n }));
          const { out, pool } = drive(thresholds, events, timerEvery);
          expect(pool.size).toBe(0);
          expect(pool.devices).toBe(0);
          const seen = out.flatMap((b) => b.events.map((e) => e.n)).sort((x, y) => x - y);
          expect(seen).toEqual(events.map((e) => e.n));
          for (const b of out) {
            expect(b.events.length).toBeGreaterThan(0);
            expect(b.events.length).toBeLessThanOrEqual(thresholds.device);
            for (const e of b.events) expect([e.app, e.device]).toEqual([b.appKey, b.deviceId]);
          }
          // Order per (app, device) across batches, in the order the batches were handed out.
          const per = new Map<string, number[]>();
          for (const b of out) for (const e of b.events) per.set(`${e.app}/${e.device}`, [...(per.get(`${e.app}/${e.device}`) ?? []), e.n]);
          for (const ns of per.values()) expect(ns).toEqual([...ns].sort((x, y) => x - y));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adds in O(1): 200,000 events over 50,000 devices in well under a second', () => {
    const pool = new EventPool<number>({ device: 10, app: 1000, server: 10_000 });
    const t = performance.now();
    for (let i = 0; i < 200_000; i++) {
      const d = `d${i % 50_000}`;
      const level = pool.add('a', d, i);
      if (level === 'device') pool.takeDevice('a', d);
      else if (level !== 'none') pool.takeAll();
    }
    expect(performance.now() - t).toBeLessThan(2000);
  });
});
