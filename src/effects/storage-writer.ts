import type { QueueName, StorageHandle, StorageOp } from '../adapters/types.js';
import type { Logger } from '../log.js';

/**
 * Cancels what a group of operations undoes itself, with the same end state: the data of an
 * entry appended and removed (or cleared) in the same group is never written, and an update of an
 * entry appended in the group is folded into its append. A group is written all or nothing,
 * so the disk never holds a state the squashed group skips. Why: a burst of records appends
 * events and, at the threshold, removes them again with the request that carries them —
 * those events then cost no disk bytes at all.
 */
export function squash(ops: readonly StorageOp[]): StorageOp[] {
  const out: Array<StorageOp | null> = [];
  // Per queue (open set of names: a feature may own a persisted queue).
  const byQueue = new Map<QueueName, Map<number, number>>();
  const appendedIn = (queue: QueueName): Map<number, number> => {
    let m = byQueue.get(queue);
    if (!m) byQueue.set(queue, (m = new Map()));
    return m;
  };
  for (const op of ops) {
    switch (op.op) {
      case 'append': {
        const earlier = appendedIn(op.queue).get(op.seq);
        if (earlier !== undefined) out[earlier] = null; // overwritten within the group
        appendedIn(op.queue).set(op.seq, out.length);
        out.push(op);
        break;
      }
      case 'update': {
        const at = appendedIn(op.queue).get(op.seq);
        if (at === undefined) out.push(op);
        else out[at] = { op: 'append', queue: op.queue, seq: op.seq, data: op.data };
        break;
      }
      case 'remove': {
        // The append is dropped; the remove stays (it is tiny — a run of seqs is written as
        // its two ends) because an entry with that seq may exist from before the group.
        for (const seq of op.seqs) {
          const at = appendedIn(op.queue).get(seq);
          if (at !== undefined) {
            out[at] = null;
            appendedIn(op.queue).delete(seq);
          }
        }
        out.push(op);
        break;
      }
      case 'clear': {
        for (const at of appendedIn(op.queue).values()) out[at] = null;
        appendedIn(op.queue).clear();
        out.push(op);
        break;
      }
      default:
        out.push(op);
    }
  }
  return out.filter((op): op is StorageOp => op !== null);
}

/** A group handed to the storage and not yet settled. */
interface Started {
  readonly batch: StorageOp[];
  /** Every push up to this ticket is in this group or an earlier one. */
  readonly covers: number;
  readonly done: Promise<unknown>;
}

/**
 * Writes storage operations in order, grouping whatever arrives while a write is in flight
 * into the next one. Nothing is held back: a write starts as soon as the previous one is
 * durable (or at the next microtask when idle, so one synchronous burst of calls becomes one
 * write), or at once beside it when the app is going away (`urgent`). Operations pushed
 * before the storage is open wait for `attach`.
 */
export class StorageWriter {
  private handle: StorageHandle | null = null;
  private pending: StorageOp[] = [];
  /** Groups handed to the storage, oldest first; they settle in this order. */
  private started: Started[] = [];
  private writing = false;
  private scheduled = false;
  private waiters: Array<() => void> = [];
  /** Numbers the pushes: push n is durable once `durableTicket >= n`. */
  private ticket = 0;
  private durableTicket = 0;
  private durabilityWaiters: Array<{ ticket: number; resolve: (durable: boolean) => void }> = [];
  /** Operations the adapter acknowledged, for diagnostics. */
  opsWritten = 0;
  /** Writes the adapter refused; their operations are retried with the next write. */
  failures = 0;

  constructor(private readonly log: Logger) {}

  attach(handle: StorageHandle): void {
    this.handle = handle;
    this.schedule();
  }

  detach(): void {
    this.handle = null;
  }

  /** Queues operations for the next write; returns the push's ticket (see `whenDurable`). */
  push(ops: readonly StorageOp[]): number {
    if (ops.length === 0) return this.ticket;
    for (const op of ops) this.pending.push(op);
    this.schedule();
    return ++this.ticket;
  }

  /** The ticket of the latest push: everything pushed so far is durable once it is. */
  get lastTicket(): number {
    return this.ticket;
  }

  /**
   * Resolves `true` once the push with `ticket` (default: the latest) and everything before it
   * is durable, or `false` when a write attempt fails first (the operations stay pending and
   * are tried again with the next write; asking again retries). Groups land in order, so this
   * waits for at most the write in flight and the one after it, however busy the writer is.
   */
  whenDurable(ticket = this.ticket): Promise<boolean> {
    if (ticket <= this.durableTicket) return Promise.resolve(true);
    const done = new Promise<boolean>((resolve) => this.durabilityWaiters.push({ ticket, resolve }));
    // Operations kept after a failed write are tried again now.
    this.schedule();
    return done;
  }

  /**
   * Resolves once everything pushed so far is durable, or once an attempt to write it failed
   * (logged; the operations stay pending and are tried again with the next write or drain).
   */
  drain(): Promise<void> {
    if (!this.writing && this.pending.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push(resolve));
    // Operations kept after a failed write are tried again now.
    this.schedule();
    return done;
  }

  /**
   * The app is going away and may run no task again: what is pending goes to the storage now,
   * without waiting for the write in flight (storage runs writes in the order they started,
   * IndexedDB transactions in creation order). Called after the last push of that moment.
   */
  urgent(): void {
    if (!this.handle || this.pending.length === 0) return;
    if (!this.writing) {
      // The loop's first group is handed over before its first await: synchronously.
      this.scheduled = false;
      void this.flush();
      return;
    }
    this.begin(this.handle);
  }

  private schedule(): void {
    if (this.scheduled || this.writing || !this.handle || this.pending.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Hands the pending operations, squashed, to the storage as the newest group. */
  private begin(handle: StorageHandle): void {
    const batch = squash(this.pending);
    const covers = this.ticket;
    this.pending = [];
    let done: Promise<unknown>;
    try {
      done = batch.length === 0 ? Promise.resolve() : handle.write(batch);
    } catch (error) {
      done = Promise.reject(error); // an adapter that throws instead of rejecting
    }
    done.catch(() => undefined); // settled in order by flush()
    this.started.push({ batch, covers, done });
  }

  private async flush(): Promise<void> {
    const handle = this.handle;
    if (this.writing || !handle || this.pending.length === 0) return;
    this.writing = true;
    while (this.started.length > 0 || this.pending.length > 0) {
      if (this.started.length === 0) this.begin(handle);
      const group = this.started[0] as Started;
      try {
        await group.done;
        this.started.shift();
        this.opsWritten += group.batch.length;
        this.landed(group.covers);
      } catch (error) {
        // Never write a later group over one that did not land: the disk must always hold a
        // prefix of what was accepted (else a restart could, e.g., find events whose request
        // is gone and send them twice). The group goes back in front and is tried again with
        // the next write; meanwhile the data lives on in the in-memory mirrors and is sent.
        // A group started beside it (`urgent`) is replayed after it: each operation sets the
        // state of its key, so replaying in order ends in the same state.
        const failed = this.started.splice(0);
        await Promise.allSettled(failed.map((g) => g.done));
        this.pending = [...failed.flatMap((g) => g.batch), ...this.pending];
        this.failures += 1;
        this.log.error('Storage', `write, failed to persist ${group.batch.length} operations (kept, tried again with the next write): ${String(error)}`);
        const waiting = this.durabilityWaiters;
        this.durabilityWaiters = [];
        for (const w of waiting) w.resolve(false);
        break;
      }
    }
    this.writing = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private landed(ticket: number): void {
    if (ticket <= this.durableTicket) return;
    this.durableTicket = ticket;
    if (this.durabilityWaiters.length === 0) return;
    const still: typeof this.durabilityWaiters = [];
    for (const w of this.durabilityWaiters) {
      if (w.ticket <= ticket) w.resolve(true);
      else still.push(w);
    }
    this.durabilityWaiters = still;
  }
}
