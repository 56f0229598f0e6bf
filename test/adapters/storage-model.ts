/**
 * The plain model the storage contract compares adapters with, the view both are compared
 * through, and the arbitraries of random keys, data and groups of operations.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { QueueEntry, QueueName, StorageContents, StorageOp } from '../../src/adapters/types.js';

// ---------------------------------------------------------------------------------------
// The model: the op semantics, written as plainly as possible.
// ---------------------------------------------------------------------------------------

export class StorageModel {
  kv = new Map<string, string>();
  queues = new Map<QueueName, Map<number, string>>();

  private queue(name: QueueName): Map<number, string> {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = new Map()));
    return q;
  }

  apply(op: StorageOp): void {
    if (op.op === 'set') this.kv.set(op.key, op.value);
    else if (op.op === 'delete') this.kv.delete(op.key);
    else if (op.op === 'append') this.queue(op.queue).set(op.seq, op.data);
    else if (op.op === 'update') {
      if (this.queue(op.queue).has(op.seq)) this.queue(op.queue).set(op.seq, op.data);
    } else if (op.op === 'remove') for (const s of op.seqs) this.queue(op.queue).delete(s);
    else this.queue(op.queue).clear();
  }

  view(): View {
    const q = (name: QueueName): Entries => [...(this.queues.get(name) ?? [])].sort((a, b) => a[0] - b[0]).map(([seq, data]) => ({ seq, data }));
    const other = [...this.queues.keys()].filter((name) => !CORE.includes(name) && this.queues.get(name)?.size).sort();
    return withOther({ kv: [...this.kv].sort(byKey), requests: q('requests'), events: q('events') }, other.map((name) => [name, q(name)]));
  }
}

type Entries = Array<{ seq: number; data: string }>;

/** `other` holds the queues besides `requests` and `events`, and is there only when one has entries. */
export interface View {
  kv: Array<[string, string]>;
  requests: Entries;
  events: Entries;
  other?: Record<string, Entries>;
}

const CORE: readonly QueueName[] = ['requests', 'events'];

function withOther(v: View, other: Array<[string, Entries]>): View {
  return other.length > 0 ? { ...v, other: Object.fromEntries(other) } : v;
}

export const byKey = (a: [string, string], b: [string, string]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/**
 * The contents without the corrupt count, kv as sorted entries (safe for keys like `__proto__`).
 * Throws if `requests` or `events` is missing, and fails on another queue read back empty.
 */
export function view(c: StorageContents): View {
  const entries = (name: QueueName): Entries => (c.queues[name] as readonly QueueEntry[]).map(({ seq, data }) => ({ seq, data }));
  const other = Object.keys(c.queues).filter((name) => !CORE.includes(name)).sort();
  for (const name of other) expect(c.queues[name], `queue ${name} is listed although empty`).not.toHaveLength(0);
  return withOther({ kv: Object.entries(c.kv).sort(byKey), requests: entries('requests'), events: entries('events') }, other.map((name) => [name, entries(name)]));
}

// ---------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
/** Any string, including control characters, newlines, astral characters and lone surrogates. */
export const anyString = fc.string({ unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), loneSurrogate), maxLength: 40 });
const data = fc.oneof(
  anyString,
  fc.constantFrom('{"key":"click","count":1,"segmentation":{"a":"b"}}', '[1,2,"3"]', '{"2":1,"1":2}', '{"a":1,"a":2}', '{ "spaced": true }', 'app_key=k&device_id=d&events=%5B%5D'),
  fc.jsonValue().map((v) => JSON.stringify(v)),
);
const key = fc.oneof(fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor', 'x/y', 'kv/a', '', 'q/requests/1'), anyString);
const seq = fc.integer({ min: 0, max: 12 });
/**
 * The core's queues, a feature's own, and one-letter names: `r` and `e` are also the file
 * log's codes for `requests` and `events`, so they catch an encoding that mixes them up.
 */
const queue = fc.constantFrom<QueueName>('requests', 'events', 'crashes', 'r', 'e', 'x-y_Z9');

export const storageOp: fc.Arbitrary<StorageOp> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: data }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant('append' as const), queue, seq, data }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('update' as const), queue, seq, data }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('remove' as const), queue, seqs: fc.array(seq, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), queue }) },
);
export const batches = fc.array(fc.array(storageOp, { maxLength: 6 }), { minLength: 1, maxLength: 8 });

export const EMPTY: View = { kv: [], requests: [], events: [] };
