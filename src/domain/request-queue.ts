/**
 * The in-memory mirror of the persisted request queue. Every mutation returns the storage
 * operations that persist it, so the effect layer can write them at once; nothing here
 * does I/O.
 *
 * Cost: enqueue and head removal are O(1) (an array with a moving head, compacted when
 * the dead prefix outgrows the live part) and each produces one or two storage ops,
 * independent of the queue length. Only the rare whole-queue operations (rewrite, clear)
 * touch every entry.
 *
 * Memory: a removed request's slot is cleared at once, so the dead prefix holds no
 * request data. With the server down the queue turns over at its limit (spec: Queue Size
 * Limit, l. 343: "remove older queries and insert new ones"); a dead prefix that kept up
 * to 1,024 evicted request strings made the heap sawtooth (34-52 MB). Now memory follows
 * what is queued.
 */
import type { QueueEntry, StorageOp } from '../adapters/types.js';

export interface QueuedRequest {
  readonly seq: number;
  readonly data: string;
  /** ms timestamp the request was created with (its `timestamp` param); NaN if unknown. */
  readonly createdAt: number;
}

const TIMESTAMP = /(?:^|&)timestamp=(\d+)(?:&|$)/;

/** Reads the creation time from a stored query string (the base param `timestamp`). */
export function createdAtOf(data: string): number {
  const m = TIMESTAMP.exec(data);
  return m ? Number(m[1]) : Number.NaN;
}

export class RequestQueue {
  /** Live requests are items[head..]; every slot before head is undefined. */
  private items: Array<QueuedRequest | undefined> = [];
  private head = 0;
  private nextSeq: number;
  /**
   * Every request with a seq up to this one was written by a group the storage acknowledged
   * (stored requests count as written). Writes land in order and seqs grow in push order, so
   * "durable" is a prefix of seqs: one number, no per-entry bookkeeping on the enqueue path.
   */
  private durableSeq: number;
  /** The last request `timestamp` handed out (`stamp`). */
  private lastStamp = 0;

  constructor(
    entries: readonly QueueEntry[] = [],
    private maxSize = 1000,
  ) {
    let max = 0;
    for (const e of entries) {
      this.items.push({ seq: e.seq, data: e.data, createdAt: createdAtOf(e.data) });
      if (e.seq > max) max = e.seq;
      const at = createdAtOf(e.data);
      if (at > this.lastStamp) this.lastStamp = at;
    }
    this.nextSeq = max + 1;
    this.durableSeq = max;
  }

  /**
   * The `timestamp` of the next request: unique and strictly increasing in queue order
   * (max(last + 1, the data's time); spec l. 405 "unique timestamp", l. 321 historical order).
   * Stored requests count, so a restart never stamps a request before one still queued.
   */
  stamp(at: number): number {
    const t = Number.isFinite(at) && at > this.lastStamp ? at : this.lastStamp + 1;
    this.lastStamp = t;
    return t;
  }

  /** The seq of the newest request ever queued (0 when none). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Whether the write that created request `seq` is durable (only such a request may be sent). */
  isDurable(seq: number): boolean {
    return seq <= this.durableSeq;
  }

  /** Every request up to `seq` was written by an acknowledged group. */
  markDurableThrough(seq: number): void {
    if (seq > this.durableSeq) this.durableSeq = seq;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): QueuedRequest | undefined {
    return this.items[this.head];
  }

  /** Every queued request, oldest first (a copy). */
  toArray(): QueuedRequest[] {
    return this.items.slice(this.head) as QueuedRequest[];
  }

  /** Every request this queue still references: exactly the queued ones (what the memory test checks). */
  retained(): QueuedRequest[] {
    return this.items.filter((e): e is QueuedRequest => e !== undefined);
  }

  /**
   * Appends a request. When the queue is over its limit the oldest requests are evicted
   * (spec: Queue Size Limit); the evicted ones are returned so they can be logged.
   */
  enqueue(data: string, createdAt = createdAtOf(data)): { ops: StorageOp[]; evicted: QueuedRequest[] } {
    const entry: QueuedRequest = { seq: this.nextSeq++, data, createdAt };
    this.items.push(entry);
    const ops: StorageOp[] = [{ op: 'append', queue: 'requests', seq: entry.seq, data }];
    const evicted = this.evictOverflow();
    if (evicted.length > 0) ops.push({ op: 'remove', queue: 'requests', seqs: evicted.map((e) => e.seq) });
    return { ops, evicted };
  }

  /** Removes one request (normally the head). Unknown seqs are ignored. */
  remove(seq: number): StorageOp[] {
    const first = this.items[this.head];
    if (first && first.seq === seq) {
      this.items[this.head++] = undefined;
      this.compact();
      return [{ op: 'remove', queue: 'requests', seqs: [seq] }];
    }
    for (let i = this.head + 1; i < this.items.length; i++) {
      if (this.items[i]?.seq === seq) {
        this.items.splice(i, 1);
        return [{ op: 'remove', queue: 'requests', seqs: [seq] }];
      }
    }
    return [];
  }

  /**
   * Applies `fn` to every queued request: a string replaces the data (same seq, same
   * place), `null` removes the request, `undefined` keeps it.
   */
  rewrite(fn: (request: QueuedRequest) => string | null | undefined): StorageOp[] {
    const ops: StorageOp[] = [];
    const removed: number[] = [];
    const kept: QueuedRequest[] = [];
    for (const e of this.toArray()) {
      const next = fn(e);
      if (next === null) {
        removed.push(e.seq);
      } else if (next !== undefined && next !== e.data) {
        kept.push({ seq: e.seq, data: next, createdAt: createdAtOf(next) });
        ops.push({ op: 'update', queue: 'requests', seq: e.seq, data: next });
      } else {
        kept.push(e);
      }
    }
    if (removed.length > 0) ops.push({ op: 'remove', queue: 'requests', seqs: removed });
    this.items = kept;
    this.head = 0;
    return ops;
  }

  clear(): StorageOp[] {
    this.items = [];
    this.head = 0;
    return [{ op: 'clear', queue: 'requests' }];
  }

  /** Changes the limit (server setting `rqs`); evicts the oldest if now over it. */
  setMaxSize(maxSize: number): { ops: StorageOp[]; evicted: QueuedRequest[] } {
    this.maxSize = maxSize;
    const evicted = this.evictOverflow();
    return {
      ops: evicted.length > 0 ? [{ op: 'remove', queue: 'requests', seqs: evicted.map((e) => e.seq) }] : [],
      evicted,
    };
  }

  private evictOverflow(): QueuedRequest[] {
    const over = this.length - this.maxSize;
    if (over <= 0) return [];
    const evicted = this.items.slice(this.head, this.head + over) as QueuedRequest[];
    for (let i = 0; i < over; i++) this.items[this.head++] = undefined;
    this.compact();
    return evicted;
  }

  private compact(): void {
    // The dead prefix holds only empty slots; drop it when the queue empties, or once it is
    // larger than the live part (amortized O(1)), so the array stays O(queued + 1,024).
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
