import type { StorageHandle, StorageOp } from '../adapters/types.js';
import type { Logger } from '../log.js';

/**
 * Writes storage operations in order, grouping whatever arrives while a write is in flight
 * into the next one. Nothing is held back: a write starts as soon as the previous one is
 * durable (or at the next microtask when idle, so one synchronous burst of calls becomes one
 * write). Operations pushed before the storage is open wait for `attach`.
 */
export class StorageWriter {
  private handle: StorageHandle | null = null;
  private pending: StorageOp[] = [];
  private writing = false;
  private scheduled = false;
  private waiters: Array<() => void> = [];
  /** Bytes of data handed to the adapter (queue data and values), for diagnostics. */
  opsWritten = 0;

  constructor(private readonly log: Logger) {}

  attach(handle: StorageHandle): void {
    this.handle = handle;
    this.schedule();
  }

  detach(): void {
    this.handle = null;
  }

  push(ops: readonly StorageOp[]): void {
    if (ops.length === 0) return;
    for (const op of ops) this.pending.push(op);
    this.schedule();
  }

  /** Resolves once everything pushed so far is durable (or failed and was logged). */
  drain(): Promise<void> {
    if (!this.writing && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.writing || !this.handle || this.pending.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const handle = this.handle;
    if (this.writing || !handle || this.pending.length === 0) return;
    this.writing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.opsWritten += batch.length;
      try {
        await handle.write(batch);
      } catch (error) {
        // The data stays in the in-memory mirrors and is still sent; only its durability is lost.
        this.log.error('Storage', `write, failed to persist ${batch.length} operations: ${String(error)}`);
      }
    }
    this.writing = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
