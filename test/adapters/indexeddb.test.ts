// Installs the fake IndexedDB classes as globals (idb checks `instanceof IDBRequest`);
// every test still gets its own isolated `new IDBFactory()`.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { indexedDbStorage, seqRuns } from '../../src/adapters/storage/indexeddb.js';
import { runStorageContract } from './storage.contract.js';

runStorageContract(
  'indexeddb',
  async () => {
    const factory = new IDBFactory();
    return { adapter: indexedDbStorage('chartly', factory), reopen: () => indexedDbStorage('chartly', factory) };
  },
  { numRuns: 40 },
);

describe('indexedDbStorage', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('opens one database per namespace, with one store for every queue keyed by [queue, writer, seq]', async () => {
    const factory = new IDBFactory();
    const h = await indexedDbStorage('db', factory).open('app/1');
    await h.write([
      { op: 'append', queue: 'requests', seq: 1, data: 'r' },
      { op: 'append', queue: 'crashes', seq: 1, data: 'c' },
    ]);
    await h.close();
    expect((await factory.databases()).map((d) => d.name)).toEqual(['db/app%2F1']);
    vi.stubGlobal('indexedDB', factory);
    const raw = await openDB('db/app%2F1');
    expect(raw.version).toBe(3);
    expect([...raw.objectStoreNames].sort()).toEqual(['kv', 'queues']);
    const keys = (await raw.getAllKeys('queues')) as Array<[string, string, number]>;
    const writer = keys[0]?.[1] ?? '';
    expect(writer).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(keys).toEqual([
      ['crashes', writer, 1],
      ['requests', writer, 1],
    ]);
    expect(await raw.get('queues', ['requests', writer, 1])).toBe('r');
    raw.close();
  });

  it('skips and counts records it did not write, and removes them so that only one boot counts them', async () => {
    const factory = new IDBFactory();
    const h = await indexedDbStorage('chartly', factory).open('app');
    await h.write([
      { op: 'set', key: 'k', value: 'v' },
      { op: 'append', queue: 'events', seq: 1, data: 'e' },
    ]);
    await h.close();
    vi.stubGlobal('indexedDB', factory);
    const raw = await openDB('chartly/app');
    await raw.put('kv', { not: 'a string' }, 'bad');
    await raw.put('kv', 'number key', 5);
    await raw.put('queues', 'string seq', ['events', 'x']);
    await raw.put('queues', 42, ['events', 2]);
    await raw.put('queues', 'fractional seq', ['requests', 1.5]);
    await raw.put('queues', 'not a queue name', ['Bad', 1]);
    await raw.put('queues', 'not a pair', 'loose');
    raw.close();
    const first = await indexedDbStorage('chartly', factory).open('app');
    const c = await first.read();
    expect(c.corrupt).toBe(7);
    expect(c.kv).toEqual({ k: 'v' });
    expect(c.queues).toEqual({ requests: [], events: [{ seq: 1, data: 'e' }] });
    await first.close();
    const again = await (await indexedDbStorage('chartly', factory).open('app')).read();
    expect({ ...again, warnings: undefined }).toEqual({ kv: { k: 'v' }, queues: { requests: [], events: [{ seq: 1, data: 'e' }] }, corrupt: 0, warnings: undefined });
  });

  it('does not remove a corrupt record that a write issued meanwhile replaced', async () => {
    const factory = new IDBFactory();
    (await indexedDbStorage('chartly', factory).open('app')).close();
    vi.stubGlobal('indexedDB', factory);
    const raw = await openDB('chartly/app');
    await raw.put('queues', 42, ['events', 2]);
    raw.close();
    const h = await indexedDbStorage('chartly', factory).open('app');
    const read = h.read();
    const write = h.write([{ op: 'append', queue: 'events', seq: 2, data: 'new' }]);
    expect((await read).corrupt).toBe(1);
    await write;
    await h.close();
    expect((await (await indexedDbStorage('chartly', factory).open('app')).read()).queues.events).toEqual([{ seq: 2, data: 'new' }]);
  });

  it('upgrades a database of the one-store-per-queue layout (version 1), keeping every entry', async () => {
    const factory = new IDBFactory();
    vi.stubGlobal('indexedDB', factory);
    const v1 = await openDB('chartly/app', 1, {
      upgrade(db) {
        for (const store of ['kv', 'requests', 'events']) db.createObjectStore(store);
      },
    });
    await v1.put('kv', 'abc', 'device_id');
    await v1.put('requests', 'r1', 1);
    await v1.put('requests', 'r2', 2);
    await v1.put('events', '{"key":"a"}', 5);
    await v1.put('events', 42, 6); // corrupt in version 1 already
    v1.close();
    const h = await indexedDbStorage('chartly', factory).open('app');
    const expected = {
      kv: { device_id: 'abc' },
      queues: { requests: [{ seq: 1, data: 'r1' }, { seq: 2, data: 'r2' }], events: [{ seq: 5, data: '{"key":"a"}' }] },
    };
    expect({ ...(await h.read()), warnings: undefined }).toEqual({ ...expected, corrupt: 1, warnings: undefined });
    await h.write([{ op: 'remove', queue: 'requests', seqs: [1] }]);
    await h.close();
    const raw = await openDB('chartly/app');
    expect([...raw.objectStoreNames].sort()).toEqual(['kv', 'queues']);
    raw.close();
    const again = await (await indexedDbStorage('chartly', factory).open('app')).read();
    expect({ ...again, warnings: undefined }).toEqual({ ...expected, queues: { ...expected.queues, requests: [{ seq: 2, data: 'r2' }] }, corrupt: 0, warnings: undefined });
  });

  it('an empty write resolves after the writes before it', async () => {
    const h = await indexedDbStorage('chartly', new IDBFactory()).open('app');
    const order: string[] = [];
    const a = h.write([{ op: 'append', queue: 'requests', seq: 1, data: 'r' }]).then(() => order.push('a'));
    const b = h.write([]).then(() => order.push('empty'));
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'empty']);
  });

  it('close() waits for writes in flight', async () => {
    const factory = new IDBFactory();
    const h = await indexedDbStorage('chartly', factory).open('app');
    const write = h.write([{ op: 'set', key: 'k', value: 'v' }]);
    await h.close();
    await write;
    expect((await (await indexedDbStorage('chartly', factory).open('app')).read()).kv).toEqual({ k: 'v' });
  });

  it('steps aside for a schema upgrade elsewhere; its writes then reject', async () => {
    const factory = new IDBFactory();
    const h = await indexedDbStorage('chartly', factory).open('app');
    vi.stubGlobal('indexedDB', factory);
    const newer = await openDB('chartly/app', 4);
    newer.close();
    await expect(h.write([{ op: 'set', key: 'k', value: 'v' }])).rejects.toThrow();
    await h.close();
  });

  it('uses globalThis.indexedDB, looked up at open()', async () => {
    const adapter = indexedDbStorage();
    vi.stubGlobal('indexedDB', undefined);
    await expect(adapter.open('app')).rejects.toThrow(/indexedDB is not available/);
    vi.stubGlobal('indexedDB', new IDBFactory());
    const h = await adapter.open('app');
    await h.write([{ op: 'set', key: 'k', value: 'v' }]);
    expect((await h.read()).kv).toEqual({ k: 'v' });
    await h.close();
  });

  it('rejects clearly when the browser blocks indexedDB', async () => {
    const saved: unknown = (globalThis as { indexedDB?: unknown }).indexedDB;
    Object.defineProperty(globalThis, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    try {
      await expect(indexedDbStorage().open('app')).rejects.toThrow(/not accessible.*insecure/);
    } finally {
      Object.defineProperty(globalThis, 'indexedDB', { configurable: true, writable: true, value: saved });
    }
  });

  it('rejects clearly when an injected factory comes without the IndexedDB classes', async () => {
    vi.stubGlobal('IDBRequest', undefined);
    await expect(indexedDbStorage('chartly', new IDBFactory()).open('app')).rejects.toThrow(/classes .* are not global/);
  });

  it('rejects when the database cannot be opened', async () => {
    const factory = new IDBFactory();
    vi.stubGlobal('indexedDB', factory);
    (await openDB('chartly/app', 5)).close();
    await expect(indexedDbStorage('chartly', factory).open('app')).rejects.toThrow();
  });
});

describe('seqRuns', () => {
  it('groups seqs into runs of consecutive integers, sorted, each once', () => {
    expect(seqRuns([])).toEqual([]);
    expect(seqRuns([5, 1, 2, 3, 3, 9, 7, 8])).toEqual([
      [1, 3],
      [5, 5],
      [7, 9],
    ]);
  });

  it('property: the runs cover exactly the given seqs', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), (seqs) => {
        const covered = seqRuns(seqs).flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
        expect(covered).toEqual([...new Set(seqs)].sort((a, b) => a - b));
      }),
    );
  });
});
