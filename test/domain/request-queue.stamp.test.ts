/**
 * The request mirror's two additions: the per-instance request `timestamp` (unique and
 * strictly increasing in queue order, spec l. 405 / l. 321) and durability as a prefix of seqs
 * (only a request whose creating write is durable may be sent).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RequestQueue } from '../../src/domain/request-queue.js';

describe('RequestQueue.stamp', () => {
  it('max(last + 1, the data time): strictly increasing, the data time kept when free', () => {
    const q = new RequestQueue();
    expect(q.stamp(1000)).toBe(1000);
    expect(q.stamp(1000)).toBe(1001);
    expect(q.stamp(999)).toBe(1002); // an older data time never goes before a queued request
    expect(q.stamp(5000)).toBe(5000);
  });

  it('continues after the stored requests (a restart never stamps before one still queued)', () => {
    const q = new RequestQueue([{ seq: 1, data: 'app_key=k&device_id=d&timestamp=2000' }]);
    expect(q.stamp(1500)).toBe(2001);
  });

  it('property: any sequence of data times gives unique, strictly increasing stamps', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 42 }), { maxLength: 200 }), (times) => {
        const q = new RequestQueue();
        const stamps = times.map((t) => q.stamp(t));
        for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
        stamps.forEach((s, i) => expect(s).toBeGreaterThanOrEqual(times[i]!));
      }),
    );
  });
});

describe('RequestQueue durability', () => {
  it('stored requests are durable; new ones once marked', () => {
    const q = new RequestQueue([{ seq: 4, data: 'app_key=k&device_id=d&timestamp=1' }]);
    expect(q.isDurable(4)).toBe(true);
    q.enqueue('app_key=k&device_id=d&timestamp=2');
    q.enqueue('app_key=k&device_id=d&timestamp=3');
    expect(q.lastSeq).toBe(6);
    expect(q.isDurable(5)).toBe(false);
    q.markDurableThrough(5);
    expect([q.isDurable(5), q.isDurable(6)]).toEqual([true, false]);
    q.markDurableThrough(3); // never goes back
    expect(q.isDurable(5)).toBe(true);
  });
});
