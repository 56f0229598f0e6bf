/**
 * The contract every StorageAdapter keeps, run against each shipped adapter (and usable for
 * a user's own): key-value semantics, queue semantics and order, namespace isolation,
 * durability across reopen, call-order writes, named queues (`storage.contract.queues.ts`),
 * and a model-based property test that compares the adapter with a plain in-test model
 * (`storage-model.ts`) after random groups of operations.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { StorageAdapter, StorageHandle, StorageOp } from '../../src/adapters/types.js';
import { queueContract } from './storage.contract.queues.js';
import { anyString, batches, byKey, EMPTY, StorageModel, view } from './storage-model.js';

export interface StorageFixture {
  adapter: StorageAdapter;
  /** A new adapter on the same backing store (same dir, db, prefix), as after a restart. */
  reopen?: () => StorageAdapter;
  cleanup?: () => Promise<void>;
}

export interface StorageContractOptions {
  /** Runs of each property test (default 60). */
  numRuns?: number;
  /**
   * Whether to check that a malformed group is rejected whole (default true). The shipped
   * adapters validate; the core never sends a malformed group, so your own need not.
   */
  validatesOps?: boolean;
}


/** What the parts of the suite share: a fixture per test, and handles closed after it. */
export interface ContractContext {
  setup(): Promise<StorageFixture>;
  open(adapter: StorageAdapter, ns: string): Promise<StorageHandle>;
  /** Closes `h` and opens `ns` again on a fresh adapter over the same backing store. */
  reopen(f: StorageFixture, h: StorageHandle, ns: string): Promise<StorageHandle>;
}

export function runStorageContract(
  name: string,
  makeAdapter: () => Promise<StorageFixture>,
  options: StorageContractOptions = {},
): void {
  const numRuns = options.numRuns ?? 60;

  describe(`${name}: storage contract`, () => {
    let fixture: StorageFixture | undefined;
    let handles: StorageHandle[] = [];
    let nsCounter = 0;

    const setup = async (): Promise<StorageFixture> => (fixture = await makeAdapter());
    const open = async (adapter: StorageAdapter, ns: string): Promise<StorageHandle> => {
      const h = await adapter.open(ns);
      handles.push(h);
      return h;
    };
    /** Closes `h` and opens `ns` again on a fresh adapter over the same backing store. */
    const reopen = async (f: StorageFixture, h: StorageHandle, ns: string): Promise<StorageHandle> => {
      await h.close();
      return open(f.reopen ? f.reopen() : f.adapter, ns);
    };

    afterEach(async () => {
      for (const h of handles) await h.close().catch(() => undefined);
      handles = [];
      await fixture?.cleanup?.();
      fixture = undefined;
    });

    it('has a kind and opens an empty namespace', async () => {
      const { adapter } = await setup();
      expect(adapter.kind).toMatch(/\S/);
      const c = await (await open(adapter, 'empty')).read();
      // `warnings` is free text about a degraded store (IndexedDB without Web Locks in Node).
      const { warnings, ...rest } = c;
      expect(rest).toEqual({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 });
      for (const w of warnings ?? []) expect(typeof w).toBe('string');
    });

    it('sets, overwrites and deletes keys, any key and value', async () => {
      const f = await setup();
      const h = await open(f.adapter, 'kv');
      const odd = ['', '__proto__', 'constructor', 'a/b', 'kv/x', 'q/requests/1', 'ключ', '🔑', 'line\nbreak'];
      await h.write(odd.map((k, i) => ({ op: 'set', key: k, value: `v${i}\n"quoted"\\` })));
      await h.write([
        { op: 'set', key: 'a/b', value: 'second' },
        { op: 'set', key: 'plain', value: '' },
        { op: 'delete', key: 'constructor' },
        { op: 'delete', key: 'never-set' },
      ]);
      const expected = new Map(odd.map((k, i) => [k, `v${i}\n"quoted"\\`]));
      expected.set('a/b', 'second').set('plain', '');
      expected.delete('constructor');
      const c = await h.read();
      expect(view(c).kv).toEqual([...expected].sort(byKey));
      expect(Object.getPrototypeOf(c.kv)).toBe(Object.prototype);
      expect(Object.hasOwn(c.kv, '__proto__')).toBe(true);
      expect(view(await (await reopen(f, h, 'kv')).read()).kv).toEqual([...expected].sort(byKey));
    });

    it('reads queue entries in ascending seq order; appending an existing seq overwrites it', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'order');
      await h.write([
        { op: 'append', queue: 'events', seq: 30, data: 'c' },
        { op: 'append', queue: 'events', seq: 4, data: 'a' },
        { op: 'append', queue: 'requests', seq: 1, data: 'r1' },
        { op: 'append', queue: 'events', seq: 12, data: 'b' },
        { op: 'append', queue: 'requests', seq: 2, data: 'r2' },
      ]);
      await h.write([{ op: 'append', queue: 'events', seq: 4, data: 'A' }]);
      const c = await h.read();
      expect(c.queues.events).toEqual([
        { seq: 4, data: 'A' },
        { seq: 12, data: 'b' },
        { seq: 30, data: 'c' },
      ]);
      expect(c.queues.requests).toEqual([
        { seq: 1, data: 'r1' },
        { seq: 2, data: 'r2' },
      ]);
    });

    it('removes from the head one at a time', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'head');
      const n = 40;
      await h.write(Array.from({ length: n }, (_, i) => ({ op: 'append', queue: 'requests', seq: i + 1, data: `req ${i + 1}` }) as const));
      for (let s = 1; s <= n; s++) {
        await h.write([{ op: 'remove', queue: 'requests', seqs: [s] }]);
        const left = (await h.read()).queues.requests;
        expect(left.map((e) => e.seq)).toEqual(Array.from({ length: n - s }, (_, i) => s + i + 1));
        expect(left[0]?.data).toBe(s < n ? `req ${s + 1}` : undefined);
      }
    });

    it('update replaces an existing entry in place and ignores a missing seq', async () => {
      const f = await setup();
      const h = await open(f.adapter, 'update');
      await h.write([
        { op: 'append', queue: 'requests', seq: 1, data: 'one' },
        { op: 'append', queue: 'requests', seq: 2, data: 'two' },
      ]);
      await h.write([
        { op: 'update', queue: 'requests', seq: 1, data: 'ONE' },
        { op: 'update', queue: 'requests', seq: 7, data: 'missing' },
        { op: 'update', queue: 'events', seq: 2, data: 'other queue' },
      ]);
      const expected = { kv: [], requests: [{ seq: 1, data: 'ONE' }, { seq: 2, data: 'two' }], events: [] };
      expect(view(await h.read())).toEqual(expected);
      expect(view(await (await reopen(f, h, 'update')).read())).toEqual(expected);
    });

    it('remove takes any set of seqs, ignoring missing and repeated ones', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'remove');
      await h.write(Array.from({ length: 10 }, (_, i) => ({ op: 'append', queue: 'events', seq: i + 1, data: `e${i + 1}` }) as const));
      await h.write([
        { op: 'remove', queue: 'events', seqs: [9, 2, 3, 4, 2, 100, 5] },
        { op: 'remove', queue: 'requests', seqs: [1] },
        { op: 'remove', queue: 'events', seqs: [] },
      ]);
      expect((await h.read()).queues.events.map((e) => e.seq)).toEqual([1, 6, 7, 8, 10]);
    });

    it('clear empties one queue and leaves the other queue and the keys', async () => {
      const f = await setup();
      const h = await open(f.adapter, 'clear');
      await h.write([
        { op: 'set', key: 'k', value: 'v' },
        { op: 'append', queue: 'events', seq: 1, data: 'e' },
        { op: 'append', queue: 'requests', seq: 1, data: 'r1' },
        { op: 'append', queue: 'requests', seq: 2, data: 'r2' },
      ]);
      await h.write([{ op: 'clear', queue: 'requests' }]);
      await h.write([{ op: 'append', queue: 'requests', seq: 3, data: 'r3' }]);
      const expected = { kv: [['k', 'v']], requests: [{ seq: 3, data: 'r3' }], events: [{ seq: 1, data: 'e' }] };
      expect(view(await h.read())).toEqual(expected);
      expect(view(await (await reopen(f, h, 'clear')).read())).toEqual(expected);
    });

    queueContract({ setup, open, reopen });

    it('applies the ops of one write in order', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'in-order');
      await h.write([
        { op: 'append', queue: 'requests', seq: 1, data: 'x' },
        { op: 'update', queue: 'requests', seq: 1, data: 'y' },
        { op: 'remove', queue: 'requests', seqs: [1] },
        { op: 'update', queue: 'requests', seq: 1, data: 'not resurrected' },
        { op: 'append', queue: 'requests', seq: 2, data: 'z' },
        { op: 'clear', queue: 'requests' },
        { op: 'append', queue: 'requests', seq: 3, data: 'after clear' },
        { op: 'set', key: 'k', value: '1' },
        { op: 'delete', key: 'k' },
        { op: 'set', key: 'k', value: '2' },
      ]);
      expect(view(await h.read())).toEqual({ kv: [['k', '2']], requests: [{ seq: 3, data: 'after clear' }], events: [] });
    });

    it('keeps namespaces apart, also names that a naive encoding would mix up', async () => {
      const f = await setup();
      const names = ['app', 'APP', 'a/b', 'a_b', 'a%2Fb', 'a b', '', 'kv', 'q', 'app/kv', 'app/q/requests', '..', 'ключ', 'x'.repeat(200)];
      const hs = await Promise.all(names.map((n) => open(f.adapter, n)));
      await Promise.all(
        hs.map((h, i) =>
          h.write([
            { op: 'set', key: 'name', value: names[i] as string },
            { op: 'append', queue: 'requests', seq: i, data: `r${i}` },
            { op: 'append', queue: 'events', seq: 1, data: `e${i}` },
          ]),
        ),
      );
      await hs[0]?.write([{ op: 'clear', queue: 'events' }]);
      const check = async (h: StorageHandle, i: number): Promise<void> => {
        expect(view(await h.read())).toEqual({
          kv: [['name', names[i]]],
          requests: [{ seq: i, data: `r${i}` }],
          events: i === 0 ? [] : [{ seq: 1, data: `e${i}` }],
        });
      };
      for (const [i, h] of hs.entries()) await check(h, i);
      for (const [i, h] of hs.entries()) await check(await reopen(f, h, names[i] as string), i);
    });

    it('sees what was written after close and reopen', async () => {
      const f = await setup();
      const h = await open(f.adapter, 'durable');
      await h.write([
        { op: 'set', key: 'device_id', value: 'abc' },
        { op: 'append', queue: 'requests', seq: 1, data: 'begin_session=1' },
        { op: 'append', queue: 'events', seq: 1, data: '{"key":"a"}' },
      ]);
      await h.write([{ op: 'append', queue: 'requests', seq: 2, data: 'end_session=1' }]);
      const h2 = await reopen(f, h, 'durable');
      const c = await h2.read();
      expect(c.corrupt).toBe(0);
      expect(view(c)).toEqual({
        kv: [['device_id', 'abc']],
        requests: [
          { seq: 1, data: 'begin_session=1' },
          { seq: 2, data: 'end_session=1' },
        ],
        events: [{ seq: 1, data: '{"key":"a"}' }],
      });
      await h2.write([{ op: 'remove', queue: 'requests', seqs: [1] }]);
      expect((await (await reopen(f, h2, 'durable')).read()).queues.requests).toEqual([{ seq: 2, data: 'end_session=1' }]);
    });

    it('applies writes issued without awaiting in call order', async () => {
      const f = await setup();
      const h = await open(f.adapter, 'unawaited');
      const model = new StorageModel();
      const writes: Array<Promise<void>> = [];
      const order: number[] = [];
      for (let i = 1; i <= 120; i++) {
        const ops: StorageOp[] = [{ op: 'append', queue: 'events', seq: i, data: `e${i}` }];
        if (i % 3 === 0) ops.push({ op: 'remove', queue: 'events', seqs: [i - 2] });
        if (i % 5 === 0) ops.push({ op: 'set', key: 'last', value: String(i) });
        if (i % 7 === 0) ops.push({ op: 'update', queue: 'events', seq: i - 1, data: `u${i}` });
        if (i % 11 === 0) writes.push(h.write([]).then(() => void order.push(-i)));
        ops.forEach((op) => model.apply(op));
        writes.push(h.write(ops).then(() => void order.push(i)));
      }
      await Promise.all(writes);
      // Acknowledgements come back in call order too.
      expect(order.map(Math.abs)).toEqual([...order.map(Math.abs)].sort((a, b) => a - b));
      expect(view(await h.read())).toEqual(model.view());
      expect(view(await (await reopen(f, h, 'unawaited')).read())).toEqual(model.view());
    });

    it('read() sees the writes issued before it, awaited or not', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'read-your-writes');
      const first = h.write([{ op: 'append', queue: 'requests', seq: 1, data: 'one' }]);
      const second = h.write([{ op: 'set', key: 'k', value: 'v' }]);
      const c = await h.read();
      await Promise.all([first, second]);
      expect(view(c)).toEqual({ kv: [['k', 'v']], requests: [{ seq: 1, data: 'one' }], events: [] });
    });

    it('two handles on one namespace see each other', async () => {
      const { adapter } = await setup();
      const a = await open(adapter, 'shared');
      const b = await open(adapter, 'shared');
      await a.write([{ op: 'append', queue: 'requests', seq: 1, data: 'from a' }]);
      await b.write([{ op: 'set', key: 'k', value: 'from b' }]);
      await a.close();
      expect(view(await b.read())).toEqual({ kv: [['k', 'from b']], requests: [{ seq: 1, data: 'from a' }], events: [] });
      await b.write([{ op: 'remove', queue: 'requests', seqs: [1] }]);
      expect((await b.read()).queues.requests).toEqual([]);
    });

    it('claim (where offered): the first value wins for every handle, durably; an existing value is never replaced', async () => {
      const f = await setup();
      const a = await open(f.adapter, 'claimed');
      const b = await open(f.adapter, 'claimed');
      if (typeof a.claim !== 'function' || typeof b.claim !== 'function') return;
      // Claimed at the same moment by two handles ("tabs"): both end with one value.
      const [first, second] = await Promise.all([a.claim('deviceId', '"A"'), b.claim('deviceId', '"B"')]);
      expect(first).toBe(second);
      expect(['"A"', '"B"']).toContain(first);
      await b.write([{ op: 'set', key: 'other', value: 'x' }]);
      expect(await b.claim('other', 'y')).toBe('x');
      const again = await reopen(f, a, 'claimed');
      expect((await again.read()).kv.deviceId).toBe(first);
    });

    it.runIf(options.validatesOps ?? true)('rejects an invalid group and applies none of it', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'invalid');
      await h.write([{ op: 'append', queue: 'requests', seq: 1, data: 'kept' }]);
      const bad: unknown[] = [
        [{ op: 'set', key: 'k', value: 'v' }, { op: 'explode' }],
        [{ op: 'append', queue: 'Other', seq: 2, data: 'x' }],
        [{ op: 'append', queue: 'a/b', seq: 2, data: 'x' }],
        [{ op: 'remove', queue: '', seqs: [1] }],
        [{ op: 'clear', queue: '__proto__' }],
        [{ op: 'update', queue: 'x'.repeat(65), seq: 1, data: 'x' }],
        [{ op: 'append', queue: 7, seq: 2, data: 'x' }],
        [{ op: 'append', queue: 'requests', seq: 1.5, data: 'x' }],
        [{ op: 'append', queue: 'requests', seq: Number.NaN, data: 'x' }],
        [{ op: 'set', key: 'k', value: 42 }],
        [{ op: 'remove', queue: 'requests', seqs: [1, '2'] }],
        [null],
        'not an array',
      ];
      for (const ops of bad) await expect(h.write(ops as StorageOp[])).rejects.toThrow(/invalid operation|must be an array/);
      expect(view(await h.read())).toEqual({ kv: [], requests: [{ seq: 1, data: 'kept' }], events: [] });
    });

    it('a closed handle rejects reads and writes, and closing twice is fine', async () => {
      const { adapter } = await setup();
      const h = await open(adapter, 'closed');
      await h.write([{ op: 'set', key: 'k', value: 'v' }]);
      await h.close();
      await h.close();
      await expect(h.read()).rejects.toThrow(/closed/);
      await expect(h.write([{ op: 'set', key: 'k', value: 'w' }])).rejects.toThrow(/closed/);
      const again = await open(adapter, 'closed');
      expect((await again.read()).kv).toEqual({ k: 'v' });
    });

    it('property: any string survives as key, value and queue data', async () => {
      const f = await setup();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(anyString, anyString), { maxLength: 8 }), async (pairs) => {
          const ns = `strings-${nsCounter++}`;
          const h = await open(f.adapter, ns);
          const ops: StorageOp[] = pairs.flatMap(([k, v], i) => [
            { op: 'set', key: k, value: v },
            { op: 'append', queue: 'events', seq: i, data: v },
          ]);
          const model = new StorageModel();
          ops.forEach((op) => model.apply(op));
          await h.write(ops);
          expect(view(await h.read())).toEqual(model.view());
          expect(view(await (await reopen(f, h, ns)).read())).toEqual(model.view());
        }),
        { numRuns },
      );
    });

    it('property: read() equals the model after every group of random ops, and after reopen', async () => {
      const f = await setup();
      await fc.assert(
        fc.asyncProperty(batches, async (groups) => {
          const ns = `model-${nsCounter++}`;
          let h = await open(f.adapter, ns);
          const model = new StorageModel();
          expect(view(await h.read())).toEqual(EMPTY);
          for (const [i, ops] of groups.entries()) {
            await h.write(ops);
            ops.forEach((op) => model.apply(op));
            expect(view(await h.read())).toEqual(model.view());
            if (i % 3 === 2) h = await reopen(f, h, ns);
          }
          const after = await (await reopen(f, h, ns)).read();
          expect(view(after)).toEqual(model.view());
          expect(after.corrupt).toBe(0);
        }),
        { numRuns },
      );
    });

    it('property: unawaited random groups end in the model state', async () => {
      const f = await setup();
      await fc.assert(
        fc.asyncProperty(batches, async (groups) => {
          const ns = `burst-${nsCounter++}`;
          const h = await open(f.adapter, ns);
          const model = new StorageModel();
          await Promise.all(groups.map((ops) => h.write(ops)));
          groups.forEach((ops) => ops.forEach((op) => model.apply(op)));
          expect(view(await h.read())).toEqual(model.view());
          expect(view(await (await reopen(f, h, ns)).read())).toEqual(model.view());
        }),
        { numRuns },
      );
    });
  });
}
