import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { QueueEntry, StorageOp } from '../../src/adapters/types.js';
import { RequestQueue, createdAtOf, type QueuedRequest } from '../../src/domain/request-queue.js';

/** Applies storage ops to a plain model of what storage holds, to check the ops are right. */
function applyOps(store: Map<number, string>, ops: StorageOp[]): void {
  for (const op of ops) {
    if (op.op === 'append' || op.op === 'update') {
      if (op.op === 'update' && !store.has(op.seq)) continue;
      store.set(op.seq, op.data);
    } else if (op.op === 'remove') for (const s of op.seqs) store.delete(s);
    else if (op.op === 'clear') store.clear();
  }
}
const entriesOf = (store: Map<number, string>): QueueEntry[] =>
  [...store.entries()].sort((a, b) => a[0] - b[0]).map(([seq, data]) => ({ seq, data }));

describe('RequestQueue', () => {
  it('reads the creation time from the timestamp param', () => {
    expect(createdAtOf('app_key=a&timestamp=1700000000123&hour=1')).toBe(1700000000123);
    expect(createdAtOf('timestamp=5')).toBe(5);
    expect(createdAtOf('app_key=a')).toBeNaN();
  });

  it('is FIFO and produces one append per enqueue and one remove per delivery', () => {
    const q = new RequestQueue();
    const a = q.enqueue('a=1&timestamp=1');
    const b = q.enqueue('b=1&timestamp=2');
    expect(a.ops).toEqual([{ op: 'append', queue: 'requests', seq: 1, data: 'a=1&timestamp=1' }]);
    expect(b.ops).toHaveLength(1);
    expect(q.peek()?.data).toBe('a=1&timestamp=1');
    expect(q.remove(1)).toEqual([{ op: 'remove', queue: 'requests', seqs: [1] }]);
    expect(q.peek()?.data).toBe('b=1&timestamp=2');
    expect(q.length).toBe(1);
  });

  it('evicts the oldest requests beyond its limit', () => {
    const q = new RequestQueue([], 2);
    q.enqueue('1');
    q.enqueue('2');
    const { ops, evicted } = q.enqueue('3');
    expect(evicted.map((e) => e.data)).toEqual(['1']);
    expect(ops).toContainEqual({ op: 'remove', queue: 'requests', seqs: [1] });
    expect(q.toArray().map((e) => e.data)).toEqual(['2', '3']);
    const lowered = q.setMaxSize(1);
    expect(lowered.evicted.map((e) => e.data)).toEqual(['2']);
    expect(q.setMaxSize(5).ops).toEqual([]);
  });

  it('continues sequence numbers after the stored ones', () => {
    const q = new RequestQueue([{ seq: 7, data: 'x' }, { seq: 9, data: 'y' }]);
    expect(q.enqueue('z').ops[0]).toMatchObject({ seq: 10 });
  });

  it('removes a request that is not the head, and ignores unknown seqs', () => {
    const q = new RequestQueue();
    q.enqueue('1');
    q.enqueue('2');
    q.enqueue('3');
    expect(q.remove(2)).toHaveLength(1);
    expect(q.remove(42)).toEqual([]);
    expect(q.toArray().map((e) => e.data)).toEqual(['1', '3']);
  });

  it('rewrites, removes and keeps entries in place', () => {
    const q = new RequestQueue();
    q.enqueue('device_id=tmp&timestamp=1');
    q.enqueue('device_id=other&timestamp=2');
    q.enqueue('device_id=tmp&timestamp=3');
    const ops = q.rewrite((r) => (r.data.includes('other') ? null : r.data.replace('tmp', 'real')));
    expect(ops.filter((o) => o.op === 'update')).toHaveLength(2);
    expect(ops).toContainEqual({ op: 'remove', queue: 'requests', seqs: [2] });
    expect(q.toArray().map((e) => e.data)).toEqual(['device_id=real&timestamp=1', 'device_id=real&timestamp=3']);
    expect(q.clear()).toEqual([{ op: 'clear', queue: 'requests' }]);
    expect(q.length).toBe(0);
  });

  it('keeps enqueue and head removal O(1) in storage ops at any depth', () => {
    const q = new RequestQueue([], 100_000);
    for (let i = 0; i < 20_000; i++) expect(q.enqueue(`r=${i}`).ops).toHaveLength(1);
    for (let i = 1; i <= 15_000; i++) expect(q.remove(i)).toHaveLength(1);
    expect(q.length).toBe(5_000);
    expect(q.peek()?.data).toBe('r=15000');
  });

  it('property: FIFO, bounded, nothing lost, storage ops mirror memory, across restarts', () => {
    type Step = { kind: 'enqueue' } | { kind: 'deliver' } | { kind: 'fail' } | { kind: 'restart' };
    const step = fc.oneof(
      fc.constant<Step>({ kind: 'enqueue' }),
      fc.constant<Step>({ kind: 'deliver' }),
      fc.constant<Step>({ kind: 'fail' }),
      fc.constant<Step>({ kind: 'restart' }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(step, { maxLength: 80 }), (max, steps) => {
        const store = new Map<number, string>();
        let q = new RequestQueue([], max);
        let counter = 0;
        const model: string[] = [];
        const delivered: string[] = [];
        const evicted: string[] = [];
        for (const s of steps) {
          if (s.kind === 'enqueue') {
            const data = `n=${counter++}`;
            const r = q.enqueue(data);
            applyOps(store, r.ops);
            model.push(data);
            while (model.length > max) evicted.push(model.shift()!);
            expect(r.evicted.map((e) => e.data)).toEqual(evicted.slice(evicted.length - r.evicted.length));
          } else if (s.kind === 'deliver') {
            const head = q.peek();
            if (head) {
              applyOps(store, q.remove(head.seq));
              delivered.push(model.shift()!);
              expect(head.data).toBe(delivered[delivered.length - 1]);
            }
          } else if (s.kind === 'restart') {
            q = new RequestQueue(entriesOf(store), max);
          }
          // 'fail' changes nothing: the head stays.
          expect(q.length).toBeLessThanOrEqual(max);
          expect(q.toArray().map((e) => e.data)).toEqual(model);
          expect(entriesOf(store).map((e) => e.data)).toEqual(model);
        }
        // Every request is delivered, evicted by the size limit, or still queued, in order.
        const all = [...evicted, ...delivered, ...model].map((d) => Number(d.slice(2))).sort((a, b) => a - b);
        expect(all).toEqual([...Array(counter).keys()]);
      }),
    );
  });

  describe('memory: holds only what is queued', () => {
    /** A distinct large request string (about 4 KB), as a server-down run queues them. */
    const big = (n: number): string => `n=${n}&timestamp=${1_700_000_000_000 + n}&events=${'x'.repeat(4_000)}`;
    const numbers = (requests: QueuedRequest[]): number[] => requests.map((e) => Number(/^n=(\d+)/.exec(e.data)?.[1]));
    const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
    const expectHoldsOnlyQueued = (q: RequestQueue): void => {
      const queued = q.toArray();
      const retained = q.retained();
      expect(retained.length).toBe(queued.length);
      // the very same objects: nothing removed is still referenced
      retained.forEach((e, i) => expect(e).toBe(queued[i]));
    };

    it('keeps no evicted request when the queue turns over at its limit (server down)', () => {
      const q = new RequestQueue([], 1_000);
      for (let i = 0; i < 1_500; i++) q.enqueue(big(i));
      expect(q.length).toBe(1_000);
      expect(numbers(q.retained())).toEqual(range(500, 1_000));
      expectHoldsOnlyQueued(q);
    });

    it('keeps no delivered request after head removals', () => {
      const q = new RequestQueue([], 100_000);
      for (let i = 0; i < 3_000; i++) q.enqueue(big(i));
      for (let seq = 1; seq <= 2_000; seq++) q.remove(seq);
      expect(numbers(q.retained())).toEqual(range(2_000, 1_000));
      expectHoldsOnlyQueued(q);
      for (let seq = 2_001; seq <= 3_000; seq++) q.remove(seq);
      expect(q.retained()).toEqual([]);
    });

    it('keeps no request evicted by a lowered limit, removed from the middle, rewritten or cleared', () => {
      const q = new RequestQueue([{ seq: 1, data: big(1) }, { seq: 2, data: big(2) }], 10);
      for (let i = 3; i <= 10; i++) q.enqueue(big(i));
      q.setMaxSize(6);
      expect(numbers(q.retained())).toEqual([5, 6, 7, 8, 9, 10]);
      q.remove(7);
      expect(numbers(q.retained())).toEqual([5, 6, 8, 9, 10]);
      expectHoldsOnlyQueued(q);
      q.rewrite((r) => (r.seq === 8 ? null : r.seq === 9 ? big(90) : undefined));
      expect(numbers(q.retained())).toEqual([5, 6, 90, 10]);
      expectHoldsOnlyQueued(q);
      q.clear();
      expect(q.retained()).toEqual([]);
    });

    it('property: after any operations the queue references exactly the queued requests', () => {
      type Op =
        | { kind: 'enqueue'; times: number }
        | { kind: 'deliver'; times: number }
        | { kind: 'removeAt'; index: number }
        | { kind: 'limit'; max: number }
        | { kind: 'rewrite'; drop: number }
        | { kind: 'clear' };
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('enqueue' as const), times: fc.integer({ min: 1, max: 3_000 }) }) },
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('deliver' as const), times: fc.integer({ min: 1, max: 3_000 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeAt' as const), index: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('limit' as const), max: fc.integer({ min: 1, max: 2_500 }) }) },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('rewrite' as const), drop: fc.integer({ min: 2, max: 5 }) }) },
        { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
      );
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2_500 }), fc.array(op, { maxLength: 15 }), (max, ops) => {
          const q = new RequestQueue([], max);
          let n = 0;
          for (const o of ops) {
            if (o.kind === 'enqueue') for (let i = 0; i < o.times; i++) q.enqueue(`n=${n++}`);
            else if (o.kind === 'deliver') for (let i = 0; i < o.times && q.peek(); i++) q.remove(q.peek()!.seq);
            else if (o.kind === 'removeAt') {
              const all = q.toArray();
              if (all.length > 0) q.remove(all[o.index % all.length]!.seq);
            } else if (o.kind === 'limit') q.setMaxSize(o.max);
            else if (o.kind === 'rewrite') q.rewrite((r) => (r.seq % o.drop === 0 ? null : r.seq % o.drop === 1 ? `${r.data}&r=1` : undefined));
            else q.clear();
            const queued = q.toArray();
            const retained = q.retained();
            if (retained.length !== queued.length || retained.some((e, i) => e !== queued[i])) return false;
          }
          return true;
        }),
        { numRuns: 60 },
      );
    });
  });
});
