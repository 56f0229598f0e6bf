import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StorageHandle, StorageOp } from '../../src/adapters/types.js';
import { NamespaceState } from '../../src/adapters/storage/memory.js';
import { squash, StorageWriter } from '../../src/effects/storage-writer.js';
import { createLogger } from '../../src/log.js';

function recordingHandle(options: { fail?: boolean } = {}) {
  const writes: StorageOp[][] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const handle: StorageHandle = {
    read: async () => ({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 }),
    write: async (ops) => {
      writes.push([...ops]);
      if (gate) await gate;
      if (options.fail) throw new Error('disk full');
    },
    close: async () => undefined,
  };
  return {
    handle,
    writes,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = null;
      release?.();
    },
  };
}

const set = (key: string): StorageOp => ({ op: 'set', key, value: '1' });

/** A writer whose first group (`set a`) is in flight and held until `h.release()`. */
async function writerWithWriteInFlight() {
  const h = recordingHandle();
  const w = new StorageWriter(createLogger({ console: false }));
  w.attach(h.handle);
  h.hold();
  w.push([set('a')]);
  await Promise.resolve();
  return { h, w };
}

describe('StorageWriter', () => {
  it('groups one synchronous burst into one write', async () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.attach(h.handle);
    w.push([set('a')]);
    w.push([set('b')]);
    w.push([]);
    await w.drain();
    expect(h.writes).toEqual([[set('a'), set('b')]]);
    expect(w.opsWritten).toBe(2);
  });

  it('groups what arrives during a write into the next write, in order', async () => {
    const { h, w } = await writerWithWriteInFlight();
    await Promise.resolve();
    w.push([set('b')]);
    w.push([set('c')]);
    h.release();
    await w.drain();
    expect(h.writes).toEqual([[set('a')], [set('b'), set('c')]]);
  });

  it('keeps operations pushed before the storage is attached', async () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.push([set('early')]);
    w.attach(h.handle);
    await w.drain();
    expect(h.writes).toEqual([[set('early')]]);
  });

  it('logs a failed write, keeps its group in front and never writes a later group over it', async () => {
    const h = recordingHandle({ fail: true });
    const lines: string[] = [];
    const w = new StorageWriter(createLogger({ console: false, listener: (m) => lines.push(m) }));
    w.attach(h.handle);
    w.push([set('a')]);
    await w.drain();
    w.push([set('b')]);
    await w.drain();
    // Every attempt carries the failed group first: the disk only ever gets a prefix.
    expect(h.writes).toEqual([[set('a')], [set('a'), set('b')]]);
    expect(lines.filter((l) => l.includes('[Storage] write, failed to persist'))).toHaveLength(2);
    expect(w.failures).toBe(2);
  });

  it('a group that failed is written once the storage works again, before anything later', async () => {
    let failing = true;
    const writes: StorageOp[][] = [];
    const handle: StorageHandle = {
      read: async () => ({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 }),
      write: async (ops) => {
        if (failing) throw new Error('disk full');
        writes.push([...ops]);
      },
      close: async () => undefined,
    };
    const w = new StorageWriter(createLogger({ console: false }));
    w.attach(handle);
    w.push([{ op: 'append', queue: 'requests', seq: 1, data: 'r1' }, { op: 'remove', queue: 'events', seqs: [1, 2] }]);
    await w.drain();
    failing = false;
    // drain() alone tries again.
    await w.drain();
    w.push([{ op: 'remove', queue: 'requests', seqs: [1] }]);
    await w.drain();
    expect(writes).toEqual([
      [{ op: 'append', queue: 'requests', seq: 1, data: 'r1' }, { op: 'remove', queue: 'events', seqs: [1, 2] }],
      [{ op: 'remove', queue: 'requests', seqs: [1] }],
    ]);
  });

  it('urgent: what is pending goes to the storage now, beside the write in flight, and is durable once both land', async () => {
    const { h, w } = await writerWithWriteInFlight();
    const ticket = w.push([set('b')]);
    w.urgent();
    // Handed over synchronously, without waiting for the first write.
    expect(h.writes).toEqual([[set('a')], [set('b')]]);
    const durable = w.whenDurable(ticket);
    h.release();
    await expect(durable).resolves.toBe(true);
    await w.drain();
    expect(h.writes).toHaveLength(2);
  });

  it('urgent when idle writes synchronously; with nothing pending it does nothing', () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.urgent();
    w.attach(h.handle);
    w.push([set('a')]);
    w.urgent();
    expect(h.writes).toEqual([[set('a')]]);
  });

  it('urgent: when the write in flight fails, the group started beside it is replayed after it, in order', async () => {
    let fail = true;
    const writes: StorageOp[][] = [];
    const state = new NamespaceState();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const handle: StorageHandle = {
      read: async () => ({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 }),
      write: async (ops) => {
        writes.push([...ops]);
        const failing = fail;
        fail = false;
        if (failing) {
          await gate;
          throw new Error('disk full');
        }
        for (const op of ops) state.apply(op);
      },
      close: async () => undefined,
    };
    const w = new StorageWriter(createLogger({ console: false }));
    w.attach(handle);
    const append = { op: 'append', queue: 'requests', seq: 1, data: 'r1' } as const;
    const remove = { op: 'remove', queue: 'requests', seqs: [1] } as const;
    w.push([append]);
    await Promise.resolve();
    w.push([remove]);
    w.urgent();
    release();
    await w.drain();
    await w.drain();
    // The replay ends where the accepted order ends: appended, then removed.
    // The failed group and the one beside it, replayed together (squashed: the append is
    // removed in the same group, so only the removal is written).
    expect(writes).toEqual([[append], [remove], [remove]]);
    expect(state.queues.get('requests')?.size ?? 0).toBe(0);
    expect(w.failures).toBe(1);
  });

  it('drain resolves at once when idle', async () => {
    const w = new StorageWriter(createLogger({ console: false }));
    await expect(w.drain()).resolves.toBeUndefined();
  });
});

describe('squash', () => {
  const queueArb = fc.constantFrom('requests' as const, 'events' as const);
  const seqArb = fc.integer({ min: 1, max: 6 });
  const opArb: fc.Arbitrary<StorageOp> = fc.oneof(
    fc.record({ op: fc.constant('append' as const), queue: queueArb, seq: seqArb, data: fc.string({ maxLength: 3 }) }),
    fc.record({ op: fc.constant('update' as const), queue: queueArb, seq: seqArb, data: fc.string({ maxLength: 3 }) }),
    fc.record({ op: fc.constant('remove' as const), queue: queueArb, seqs: fc.array(seqArb, { maxLength: 4 }) }),
    fc.record({ op: fc.constant('clear' as const), queue: queueArb }),
    fc.record({ op: fc.constant('set' as const), key: fc.constantFrom('a', 'b'), value: fc.string({ maxLength: 2 }) }),
    fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom('a', 'b') }),
  );
  const applied = (before: readonly StorageOp[], group: readonly StorageOp[]) => {
    const state = new NamespaceState();
    for (const op of [...before, ...group]) state.apply(op);
    return state.snapshot();
  };

  it('leaves the same end state as the group it squashes, from any earlier state, with no more ops', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 10 }), fc.array(opArb, { maxLength: 25 }), (before, group) => {
        const squashed = squash(group);
        expect(applied(before, squashed)).toEqual(applied(before, group));
        expect(squashed.length).toBeLessThanOrEqual(group.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes nothing for events appended and removed in the same group', () => {
    const ev = (seq: number): StorageOp => ({ op: 'append', queue: 'events', seq, data: `e${seq}` });
    const request: StorageOp = { op: 'append', queue: 'requests', seq: 1, data: 'events=...' };
    const removeAll: StorageOp = { op: 'remove', queue: 'events', seqs: [1, 2, 3] };
    expect(squash([ev(1), ev(2), ev(3), request, removeAll, ev(4)])).toEqual([request, removeAll, ev(4)]);
    const removeTwo: StorageOp = { op: 'remove', queue: 'events', seqs: [1, 9] };
    expect(squash([{ op: 'remove', queue: 'events', seqs: [0, 1] }, ev(1), removeTwo])).toEqual([{ op: 'remove', queue: 'events', seqs: [0, 1] }, removeTwo]);
  });
});
