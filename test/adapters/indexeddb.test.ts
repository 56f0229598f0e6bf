// Installs the fake IndexedDB classes as globals (idb checks `instanceof IDBRequest`);
// every test still gets its own isolated `new IDBFactory()`.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { indexedDbStorage } from '../../src/adapters/storage/indexeddb.js';
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

  it('opens one database per namespace, with a store per queue', async () => {
    const factory = new IDBFactory();
    const h = await indexedDbStorage('db', factory).open('app/1');
    await h.write([{ op: 'append', queue: 'requests', seq: 1, data: 'r' }]);
    await h.close();
    expect((await factory.databases()).map((d) => d.name)).toEqual(['db/app%2F1']);
    vi.stubGlobal('indexedDB', factory);
    const raw = await openDB('db/app%2F1');
    expect([...raw.objectStoreNames].sort()).toEqual(['events', 'kv', 'requests']);
    expect(await raw.get('requests', 1)).toBe('r');
    raw.close();
  });

  it('skips and counts records it did not write', async () => {
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
    await raw.put('events', 'string key', 'x' as unknown as number);
    await raw.put('events', 42, 2);
    await raw.put('requests', 'fractional seq', 1.5);
    raw.close();
    const c = await (await indexedDbStorage('chartly', factory).open('app')).read();
    expect(c.corrupt).toBe(4);
    expect(c.kv).toEqual({ k: 'v' });
    expect(c.queues.events).toEqual([{ seq: 1, data: 'e' }]);
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
    const newer = await openDB('chartly/app', 2);
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
