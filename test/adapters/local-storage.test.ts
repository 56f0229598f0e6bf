import { afterEach, describe, expect, it, vi } from 'vitest';
import { localStorageAdapter, type StorageLike } from '../../src/adapters/storage/local-storage.js';
import { runStorageContract } from './storage.contract.js';

/** A Map-backed Web Storage with an optional quota (in UTF-16 units, like browsers count). */
class MapStorage implements StorageLike {
  readonly map = new Map<string, string>();
  private keys: string[] | null = null;
  calls = { getItem: 0, setItem: 0, removeItem: 0, key: 0 };

  constructor(private readonly quota = Infinity) {}

  get length(): number {
    return this.map.size;
  }
  key(index: number): string | null {
    this.calls.key++;
    this.keys ??= [...this.map.keys()];
    return this.keys[index] ?? null;
  }
  getItem(key: string): string | null {
    this.calls.getItem++;
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.calls.setItem++;
    const used = [...this.map].reduce((n, [k, v]) => n + k.length + v.length, 0) - (this.map.has(key) ? key.length + (this.map.get(key) as string).length : 0);
    if (used + key.length + value.length > this.quota) throw new DOMException('quota exceeded', 'QuotaExceededError');
    if (!this.map.has(key)) this.keys = null;
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.calls.removeItem++;
    if (this.map.delete(key)) this.keys = null;
  }
}

runStorageContract(
  'localStorage',
  async () => {
    const storage = new MapStorage();
    return { adapter: localStorageAdapter('chartly', storage), reopen: () => localStorageAdapter('chartly', storage) };
  },
  { numRuns: 80 },
);

describe('localStorageAdapter', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('stores one key per queue entry and per kv key, under prefix and encoded namespace', async () => {
    const storage = new MapStorage();
    const h = await localStorageAdapter('my app', storage).open('key/1');
    await h.write([
      { op: 'set', key: 'device_id', value: 'abc' },
      { op: 'append', queue: 'requests', seq: 7, data: 'begin_session=1' },
      { op: 'append', queue: 'events', seq: 3, data: '{"key":"a"}' },
    ]);
    expect(Object.fromEntries(storage.map)).toEqual({
      'my%20app/key%2F1/kv/device_id': 'abc',
      'my%20app/key%2F1/q/requests/7': 'begin_session=1',
      'my%20app/key%2F1/q/events/3': '{"key":"a"}',
    });
  });

  it('keeps prefixes apart', async () => {
    const storage = new MapStorage();
    const a = await localStorageAdapter('chartly', storage).open('x/kv');
    const b = await localStorageAdapter('chartly/x', storage).open('kv');
    await a.write([{ op: 'set', key: 'k', value: 'a' }]);
    await b.write([{ op: 'set', key: 'k', value: 'b' }]);
    expect((await a.read()).kv).toEqual({ k: 'a' });
    expect((await b.read()).kv).toEqual({ k: 'b' });
  });

  it('an append or a remove costs the same few storage calls at any queue depth, and never scans', async () => {
    const storage = new MapStorage();
    const h = await localStorageAdapter('chartly', storage).open('app');
    const costOf = async (seq: number): Promise<number> => {
      storage.calls = { getItem: 0, setItem: 0, removeItem: 0, key: 0 };
      await h.write([{ op: 'append', queue: 'requests', seq, data: 'x' }]);
      await h.write([{ op: 'remove', queue: 'requests', seqs: [seq] }]);
      expect(storage.calls.key).toBe(0);
      return storage.calls.getItem + storage.calls.setItem + storage.calls.removeItem;
    };
    await h.write(Array.from({ length: 10 }, (_, i) => ({ op: 'append', queue: 'requests', seq: i, data: 'd' }) as const));
    const shallow = await costOf(100_000);
    await h.write(Array.from({ length: 2_000 }, (_, i) => ({ op: 'append', queue: 'requests', seq: i, data: 'd' }) as const));
    const deep = await costOf(100_001);
    expect(deep).toBe(shallow);
    expect(shallow).toBeLessThanOrEqual(4);
  });

  it('skips, counts and removes keys under the namespace that it did not write, and leaves other keys', async () => {
    const storage = new MapStorage();
    storage.setItem('chartly/app/q/requests/1', 'good');
    storage.setItem('chartly/app/q/crashes/3', 'a queue of its own');
    storage.setItem('chartly/app/q/requests/01', 'not canonical');
    storage.setItem('chartly/app/q/requests/x', 'bad seq');
    storage.setItem('chartly/app/q/Other/1', 'bad queue name');
    storage.setItem('chartly/app/q/events/1/2', 'extra part');
    storage.setItem('chartly/app/unknown', 'unknown kind');
    storage.setItem('chartly/other/q/requests/5', 'other namespace');
    storage.setItem('someone-else', 'not ours');
    const h = await localStorageAdapter('chartly', storage).open('app');
    const c = await h.read();
    expect(c.corrupt).toBe(5);
    expect(c.queues).toEqual({ requests: [{ seq: 1, data: 'good' }], events: [], crashes: [{ seq: 3, data: 'a queue of its own' }] });
    expect(c.kv).toEqual({});
    expect([...storage.map.keys()].sort()).toEqual(['chartly/app/q/crashes/3', 'chartly/app/q/requests/1', 'chartly/other/q/requests/5', 'someone-else']);
    expect((await (await localStorageAdapter('chartly', storage).open('app')).read()).corrupt).toBe(0);
    await h.write([{ op: 'clear', queue: 'requests' }]);
    expect(storage.map.has('chartly/other/q/requests/5')).toBe(true);
    expect(storage.map.has('someone-else')).toBe(true);
  });

  it('puts everything back when the quota runs out midway through a write', async () => {
    const storage = new MapStorage(200);
    const h = await localStorageAdapter('chartly', storage).open('app');
    await h.write([
      { op: 'set', key: 'k', value: 'old' },
      { op: 'append', queue: 'requests', seq: 1, data: 'r1' },
    ]);
    const before = new Map(storage.map);
    await expect(
      h.write([
        { op: 'set', key: 'k', value: 'new' },
        { op: 'remove', queue: 'requests', seqs: [1] },
        { op: 'set', key: 'added', value: 'a' },
        { op: 'append', queue: 'requests', seq: 2, data: 'x'.repeat(500) },
      ]),
    ).rejects.toThrow(/quota/);
    expect(storage.map).toEqual(before);
  });

  it('rejects with a non-Error failure wrapped as an Error', async () => {
    const storage = new MapStorage();
    storage.setItem = () => {
      throw 'plain string';
    };
    const h = await localStorageAdapter('chartly', storage).open('app');
    await expect(h.write([{ op: 'set', key: 'k', value: 'v' }])).rejects.toThrow('plain string');
  });

  it('uses globalThis.localStorage, looked up at open()', async () => {
    const adapter = localStorageAdapter();
    await expect(adapter.open('app')).rejects.toThrow(/localStorage is not available/);
    const storage = new MapStorage();
    vi.stubGlobal('localStorage', storage);
    const h = await adapter.open('app');
    await h.write([{ op: 'set', key: 'k', value: 'v' }]);
    expect(storage.map.get('chartly/app/kv/k')).toBe('v');
  });

  it('no storage module touches browser globals at import time', async () => {
    const touched: string[] = [];
    const names = ['window', 'localStorage', 'indexedDB', 'IDBRequest', 'document'];
    for (const name of names) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          touched.push(name);
          return undefined;
        },
      });
    }
    try {
      vi.resetModules();
      await import('../../src/adapters/storage/memory.js');
      await import('../../src/adapters/storage/local-storage.js');
      await import('../../src/adapters/storage/indexeddb.js');
      await import('../../src/adapters/storage/file.js');
    } finally {
      for (const name of names) delete (globalThis as Record<string, unknown>)[name];
    }
    expect(touched).toEqual([]);
  });

  it('rejects clearly when the browser blocks localStorage', async () => {
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    try {
      await expect(localStorageAdapter().open('app')).rejects.toThrow(/not accessible.*insecure/);
    } finally {
      delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});
