import type { QueueEntry, QueueName, StorageAdapter, StorageContents, StorageHandle, StorageOp } from '../types.js';

/**
 * The form of a queue name (see `QueueName`). Kept this narrow so that every adapter can use a
 * name as is inside a storage key or a log line: no `/`, no escaping, no `__proto__`.
 */
const QUEUE_NAME = /^[a-z][a-zA-Z0-9_-]{0,63}$/;

export const isQueueName = (q: unknown): q is QueueName => typeof q === 'string' && QUEUE_NAME.test(q);
const isSeq = (n: unknown): n is number => Number.isSafeInteger(n);

/**
 * Checks a group of operations before anything is applied, so a bad group changes nothing.
 * Shared by the shipped adapters; the core only sends valid groups, this guards user code.
 */
export function validateOps(ops: readonly StorageOp[]): Error | undefined {
  if (!Array.isArray(ops)) return new TypeError('storage write: ops must be an array');
  for (const o of ops as readonly unknown[]) {
    const op = o as Partial<Record<string, unknown>> | null;
    const ok =
      typeof op === 'object' &&
      op !== null &&
      (op.op === 'set'
        ? typeof op.key === 'string' && typeof op.value === 'string'
        : op.op === 'delete'
          ? typeof op.key === 'string'
          : op.op === 'append' || op.op === 'update'
            ? isQueueName(op.queue) && isSeq(op.seq) && typeof op.data === 'string'
            : op.op === 'remove'
              ? isQueueName(op.queue) && Array.isArray(op.seqs) && op.seqs.every(isSeq)
              : op.op === 'clear' && isQueueName(op.queue));
    if (!ok) return new TypeError(`storage write: invalid operation ${safeJson(o)}`);
  }
  return undefined;
}

function safeJson(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 200);
  } catch {
    return String(value);
  }
}

/**
 * A namespace's contents as plain Maps, with the op semantics every adapter shares:
 * `update` of a missing seq and `remove` of missing seqs do nothing; appending an existing
 * seq overwrites it. Each op costs O(1) per touched entry (`clear` drops the whole Map).
 * The file adapter keeps one of these as its in-memory mirror of the log.
 */
export class NamespaceState {
  readonly kv = new Map<string, string>();
  /** Only queues that were appended to since their last clear; a missing one is empty. */
  readonly queues = new Map<QueueName, Map<number, string>>();

  apply(op: StorageOp): void {
    switch (op.op) {
      case 'set':
        this.kv.set(op.key, op.value);
        break;
      case 'delete':
        this.kv.delete(op.key);
        break;
      case 'append': {
        let queue = this.queues.get(op.queue);
        if (!queue) this.queues.set(op.queue, (queue = new Map()));
        queue.set(op.seq, op.data);
        break;
      }
      case 'update': {
        const queue = this.queues.get(op.queue);
        if (queue?.has(op.seq)) queue.set(op.seq, op.data);
        break;
      }
      case 'remove': {
        const queue = this.queues.get(op.queue);
        if (queue) for (const seq of op.seqs) queue.delete(seq);
        break;
      }
      case 'clear':
        this.queues.delete(op.queue);
        break;
    }
  }

  /** A copy that later writes do not change; queues sorted by seq. */
  snapshot(corrupt = 0, problems: readonly string[] = []): StorageContents {
    return contentsOf(this.kv, this.queues, corrupt, problems);
  }
}

/**
 * Builds `StorageContents` from Maps: `requests` and `events` always present, other queues
 * only when they hold entries, each sorted by seq. Shared by the adapters that read into Maps.
 */
export function contentsOf(
  kv: ReadonlyMap<string, string>,
  queues: ReadonlyMap<QueueName, ReadonlyMap<number, string>>,
  corrupt: number,
  problems: readonly string[] = [],
): StorageContents {
  const others: Array<[QueueName, QueueEntry[]]> = [];
  for (const [name, queue] of queues) if (queue.size > 0 && name !== 'requests' && name !== 'events') others.push([name, sorted(queue)]);
  const empty = new Map<number, string>();
  // Object.fromEntries and spread define own properties, so a key like `__proto__` stays data.
  const queuesOut = { requests: sorted(queues.get('requests') ?? empty), events: sorted(queues.get('events') ?? empty), ...Object.fromEntries(others) };
  const contents = { kv: Object.fromEntries(kv), queues: queuesOut, corrupt };
  return problems.length > 0 ? { ...contents, problems: [...problems] } : contents;
}

function sorted(queue: ReadonlyMap<number, string>): QueueEntry[] {
  const out: QueueEntry[] = [];
  for (const [seq, data] of queue) out.push({ seq, data });
  // Seqs normally arrive in ascending order already, and sorting sorted input is linear.
  return out.sort((a, b) => a.seq - b.seq);
}

const closedError = (kind: string, ns: string): Error => new Error(`${kind} storage: namespace "${ns}" is closed`);

/**
 * Storage that lives as long as the adapter object: nothing survives the process, but a
 * namespace survives `close()` and a later `open()` on the same adapter, so tests can
 * simulate a restart.
 */
export function memoryStorage(): StorageAdapter {
  const namespaces = new Map<string, NamespaceState>();
  return {
    kind: 'memory',
    open(namespace) {
      let state = namespaces.get(namespace);
      if (!state) namespaces.set(namespace, (state = new NamespaceState()));
      const ns = state;
      let closed = false;
      const handle: StorageHandle = {
        read: () => (closed ? Promise.reject(closedError('memory', namespace)) : Promise.resolve(ns.snapshot())),
        write(ops) {
          if (closed) return Promise.reject(closedError('memory', namespace));
          const invalid = validateOps(ops);
          if (invalid) return Promise.reject(invalid);
          for (const op of ops) ns.apply(op);
          return Promise.resolve();
        },
        claim(key, value) {
          if (closed) return Promise.reject(closedError('memory', namespace));
          const held = ns.kv.get(key);
          if (held !== undefined) return Promise.resolve(held);
          ns.kv.set(key, value);
          return Promise.resolve(value);
        },
        close() {
          closed = true;
          return Promise.resolve();
        },
      };
      return Promise.resolve(handle);
    },
  };
}

/** The error every shipped adapter rejects with once a handle is closed. */
export { closedError as storageClosedError };
