/**
 * Many tabs on one IndexedDB database (issue 11, "Many tabs, one SDK"): handles of one
 * origin, namespace and database are tabs; a tiny fake `navigator.locks` (exclusive
 * `request`, `query`) stands in for the browser's Web Locks.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { indexedDbStorage } from '../../src/adapters/storage/indexeddb.js';
import { holdLock, planAdoption, underLock, type Locks } from '../../src/adapters/storage/indexeddb-tabs.js';
import { FakeLocks } from '../helpers/locks.js';
import type { StorageHandle, StorageOp } from '../../src/adapters/types.js';

const appends = (from: number, to: number, tag: string): StorageOp[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ op: 'append', queue: 'requests', seq: from + i, data: `${tag}${from + i}` }) as const);
const datas = async (h: StorageHandle): Promise<string[]> => (await h.read()).queues.requests.map((e) => e.data);
const seqs = async (h: StorageHandle): Promise<number[]> => (await h.read()).queues.requests.map((e) => e.seq);

describe('indexedDbStorage with many tabs (Web Locks)', () => {
  let locks: FakeLocks;
  let factory: IDBFactory;
  const tab = (): Promise<StorageHandle> => indexedDbStorage('chartly', factory).open('app');

  beforeEach(() => {
    locks = new FakeLocks();
    factory = new IDBFactory();
    vi.stubGlobal('navigator', { locks });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('two tabs open at once never overwrite each other: a later tab gets all 200 entries', async () => {
    const [a, b] = await Promise.all([tab(), tab()]);
    expect(locks.held.size).toBe(2); // one writer lock each
    await Promise.all([a.write(appends(1, 100, 'a')), b.write(appends(1, 100, 'b'))]);
    expect(await datas(a)).toEqual(appends(1, 100, 'a').map((op) => (op as { data: string }).data));
    expect(await datas(b)).toEqual(appends(1, 100, 'b').map((op) => (op as { data: string }).data));
    await Promise.all([a.close(), b.close()]);
    expect(locks.held.size).toBe(0);
    const c = await tab();
    const got = await datas(c);
    expect(got).toHaveLength(200);
    expect(new Set(got).size).toBe(200);
    // Renumbered 1..200 in (seq, writer) order: each tab's own order is kept.
    expect(await seqs(c)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(got.filter((d) => d.startsWith('a'))).toEqual(appends(1, 100, 'a').map((op) => (op as { data: string }).data));
    await c.close();
  });

  it('a tab reads back only its own entries while the other tab lives, and adopts them once it is gone', async () => {
    const a = await tab();
    await a.write(appends(1, 3, 'a'));
    const b = await tab();
    expect(await datas(b)).toEqual([]);
    await b.write(appends(1, 2, 'b'));
    expect(await datas(b)).toEqual(['b1', 'b2']);
    await a.close();
    // Adopted above b's own seqs, in their order.
    expect((await b.read()).queues.requests).toEqual([
      { seq: 1, data: 'b1' },
      { seq: 2, data: 'b2' },
      { seq: 3, data: 'a1' },
      { seq: 4, data: 'a2' },
      { seq: 5, data: 'a3' },
    ]);
    await b.write([{ op: 'remove', queue: 'requests', seqs: [3, 4, 5] }]);
    await b.close();
    expect(await datas(await tab())).toEqual(['b1', 'b2']);
  });

  it('after a tab closes, the next tab adopts its entries exactly once', async () => {
    const a = await tab();
    await a.write(appends(1, 5, 'a'));
    await a.close();
    const b = await tab();
    expect(await datas(b)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    const c = await tab(); // b lives and owns them now
    expect(await datas(c)).toEqual([]);
    await b.write([{ op: 'remove', queue: 'requests', seqs: [1, 2] }]); // b sent two
    await b.close();
    await c.close();
    const d = await tab();
    expect(await datas(d)).toEqual(['a3', 'a4', 'a5']);
    await d.close();
  });

  it('a tab that dies without close() (its lock gone) is adopted too', async () => {
    const a = await tab();
    await a.write(appends(1, 2, 'a'));
    locks.drop('chartly-writer:');
    const b = await tab();
    expect(await datas(b)).toEqual(['a1', 'a2']);
    await b.close();
  });

  it('two tabs booting together adopt a gone tab\'s entries exactly once between them', async () => {
    const a = await tab();
    await a.write(appends(1, 50, 'a'));
    await a.close();
    for (let round = 0; round < 3; round++) {
      const [b, c] = await Promise.all([tab(), tab()]);
      const [fromB, fromC] = await Promise.all([datas(b), datas(c)]);
      expect(fromB.length + fromC.length).toBe(50);
      expect(new Set([...fromB, ...fromC]).size).toBe(50);
      await Promise.all([b.close(), c.close()]);
    }
  });

  it('clear, remove and update touch only the tab\'s own entries', async () => {
    const [a, b] = await Promise.all([tab(), tab()]);
    await a.write(appends(1, 2, 'a'));
    await b.write(appends(1, 2, 'b'));
    await b.write([
      { op: 'update', queue: 'requests', seq: 1, data: 'B1' },
      { op: 'remove', queue: 'requests', seqs: [2] },
    ]);
    await b.write([{ op: 'clear', queue: 'requests' }]);
    expect(await datas(a)).toEqual(['a1', 'a2']);
    await a.write([{ op: 'update', queue: 'requests', seq: 2, data: 'A2' }]);
    await Promise.all([a.close(), b.close()]);
    expect(await datas(await tab())).toEqual(['a1', 'A2']);
  });

  it('kv is shared between tabs: the last write wins', async () => {
    const [a, b] = await Promise.all([tab(), tab()]);
    await a.write([{ op: 'set', key: 'device_id', value: 'from a' }]);
    await b.write([{ op: 'set', key: 'device_id', value: 'from b' }]);
    expect((await a.read()).kv).toEqual({ device_id: 'from b' });
    await Promise.all([a.close(), b.close()]);
  });

  it('a blocked Web Locks API never throws: single-tab behaviour', async () => {
    const a = await tab();
    await a.write(appends(1, 2, 'a'));
    await a.close();
    const blocked = {
      request: () => Promise.reject(new DOMException('blocked', 'SecurityError')),
      query: () => Promise.reject(new DOMException('blocked', 'SecurityError')),
    };
    vi.stubGlobal('navigator', { locks: blocked });
    const b = await tab();
    expect(await datas(b)).toEqual(['a1', 'a2']);
    await b.close();
    vi.stubGlobal('navigator', { locks: { request: () => { throw new Error('sync throw'); }, query: () => { throw new Error('sync throw'); } } });
    const c = await tab();
    expect(await datas(c)).toEqual(['a1', 'a2']);
    await c.close();
  });

  it('single-tab mode is reported once, as a boot warning, naming why', async () => {
    vi.stubGlobal('navigator', { locks: { request: () => Promise.reject(new DOMException('blocked', 'SecurityError')), query: () => Promise.resolve({}) } });
    const b = await tab();
    expect((await b.read()).warnings).toEqual([expect.stringMatching(/^the Web Locks API refused this tab's lock .*single-tab mode/)]);
    expect((await b.read()).warnings).toBeUndefined();
    await b.close();
    vi.stubGlobal('navigator', {});
    const c = await tab();
    expect((await c.read()).warnings).toEqual([expect.stringMatching(/^Web Locks \(navigator.locks\) are not available: .*single-tab mode/)]);
    await c.close();
  });

  it('holdLock: a lock manager that never grants is given up after the wait; a late grant is released at once', async () => {
    vi.useFakeTimers();
    try {
      let grant: (() => Promise<unknown>) | undefined;
      const hanging = { request: (_name: string, cb: () => Promise<unknown>) => ((grant = cb), new Promise<never>(() => undefined)), query: async () => ({}) };
      const held = holdLock(hanging, 'x', 3000);
      await vi.advanceTimersByTimeAsync(2999);
      let settled = false;
      void held.then(() => (settled = true));
      await Promise.resolve();
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(held).resolves.toBeUndefined();
      // Granted after giving up: the callback's promise is already resolved, so the lock goes back.
      await expect(grant?.()).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('upgrades a version 2 database ([queue, seq] keys), keeping every entry for the next tab', async () => {
    vi.stubGlobal('indexedDB', factory);
    const v2 = await openDB('chartly/app', 2, {
      upgrade(db) {
        db.createObjectStore('kv');
        db.createObjectStore('queues');
      },
    });
    await v2.put('kv', 'abc', 'device_id');
    await v2.put('queues', 'r1', ['requests', 1]);
    await v2.put('queues', 'r2', ['requests', 2]);
    await v2.put('queues', 'e7', ['events', 7]);
    await v2.put('queues', 42, ['events', 8]); // corrupt already in version 2
    v2.close();
    const h = await tab();
    expect(await h.read()).toEqual({
      kv: { device_id: 'abc' },
      queues: { requests: [{ seq: 1, data: 'r1' }, { seq: 2, data: 'r2' }], events: [{ seq: 7, data: 'e7' }] },
      corrupt: 1,
    });
    await h.close();
    const raw = await openDB('chartly/app');
    expect(raw.version).toBe(3);
    expect((await raw.getAllKeys('queues')).every((k) => Array.isArray(k) && k.length === 3)).toBe(true);
    raw.close();
  });
});

describe('planAdoption', () => {
  it('orders adopted entries by seq, then writer, above the own ones, keeping free seqs', () => {
    const keys = [
      ['events', 'w2', 1],
      ['events', 'me', 4],
      ['events', 'w1', 1],
      ['events', 'w1', 9],
      ['events', 'live', 2],
      ['events', 'legacy', 3],
    ];
    const plan = planAdoption(keys, ['w2-1', 'me-4', 'w1-1', 'w1-9', 'live-2', 'legacy-3'], 'me', (w) => w === 'live');
    expect([...(plan.own.get('events') ?? [])]).toEqual([
      [4, 'me-4'],
      [5, 'w1-1'],
      [6, 'w2-1'],
      [7, 'legacy-3'],
      [9, 'w1-9'],
    ]);
    expect(plan.moves.map((m) => m.from)).not.toContainEqual(['events', 'live', 2]);
    expect(plan.corrupt).toEqual([]);
  });
});

describe('underLock: a boot never stalls on another tab', () => {
  it('gives up after the wait, runs the timed-out path, and a late grant runs nothing', async () => {
    let grant: (() => void) | undefined;
    const locks: Locks = {
      // The adopt lock is held elsewhere: granted only when the test says so.
      request: (_name, callback) => new Promise<void>((resolve) => (grant = resolve)).then(() => callback()),
      query: async () => ({ held: [] }),
    };
    const ran: string[] = [];
    const result = await underLock(
      locks,
      'chartly-adopt:x',
      async () => (ran.push('adopted'), 'adopted'),
      async () => (ran.push('fallback'), 'fallback'),
      { ms: 10, timedOut: async () => (ran.push('timed out'), 'own only') },
    );
    expect(result).toBe('own only');
    grant?.();
    await new Promise((r) => setTimeout(r, 5));
    expect(ran).toEqual(['timed out']);
  });

  it('a lock granted in time runs the locked path', async () => {
    const locks: Locks = { request: (_n, callback) => callback(), query: async () => ({ held: [] }) };
    const result = await underLock(locks, 'l', async () => 'adopted', async () => 'fallback', { ms: 1000, timedOut: async () => 'own only' });
    expect(result).toBe('adopted');
  });
});
