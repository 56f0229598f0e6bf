/**
 * The live-state bookkeeping of the file log: the namespace's contents as they stand after the
 * log (the in-memory mirror `read()` answers from and compaction rewrites), and how many bytes
 * those contents would take in a compacted log. The difference between the log's size and the
 * live bytes is its dead weight, which decides when to compact.
 */
import type { QueueName, StorageContents, StorageOp } from '../../types.js';
import { NamespaceState } from '../memory.js';

interface QueueBytes {
  total: number;
  readonly bySeq: Map<number, number>;
}

/** Live bytes per kv key and queue entry, with the same op semantics as NamespaceState. */
class LiveBytes {
  total = 0;
  private readonly kv = new Map<string, number>();
  private readonly queues = new Map<QueueName, QueueBytes>();

  track(op: StorageOp, size: number): void {
    switch (op.op) {
      case 'set':
        this.total += size - (this.kv.get(op.key) ?? 0);
        this.kv.set(op.key, size);
        break;
      case 'delete':
        this.total -= this.kv.get(op.key) ?? 0;
        this.kv.delete(op.key);
        break;
      case 'append':
      case 'update': {
        let q = this.queues.get(op.queue);
        const old = q?.bySeq.get(op.seq);
        if (old === undefined && op.op === 'update') break;
        if (!q) this.queues.set(op.queue, (q = { total: 0, bySeq: new Map() }));
        this.add(q, size - (old ?? 0));
        q.bySeq.set(op.seq, size);
        break;
      }
      case 'remove': {
        const q = this.queues.get(op.queue);
        if (!q) break;
        for (const seq of op.seqs) {
          const old = q.bySeq.get(seq);
          if (old !== undefined) {
            this.add(q, -old);
            q.bySeq.delete(seq);
          }
        }
        break;
      }
      case 'clear':
        this.total -= this.queues.get(op.queue)?.total ?? 0;
        this.queues.delete(op.queue);
        break;
    }
  }

  private add(q: QueueBytes, delta: number): void {
    this.total += delta;
    q.total += delta;
  }
}

export class LiveState {
  private readonly state = new NamespaceState();
  private readonly bytes = new LiveBytes();

  /** Applies an op; `size` is its `liveSizeOf`. */
  apply(op: StorageOp, size: number): void {
    this.bytes.track(op, size);
    this.state.apply(op);
  }

  /** The bytes the live state would take in a compacted log, framing of lines aside. */
  get liveBytes(): number {
    return this.bytes.total;
  }

  snapshot(corrupt: number, problems: readonly string[]): StorageContents {
    return this.state.snapshot(corrupt, problems);
  }

  /** The ops that rebuild the live state from nothing: every key set, every entry appended. */
  *ops(): Generator<StorageOp> {
    for (const [key, value] of this.state.kv) yield { op: 'set', key, value };
    for (const [queue, entries] of this.state.queues) {
      // Ascending seq, so a compacted log reads back in the order a fresh one would.
      for (const seq of [...entries.keys()].sort((a, b) => a - b)) yield { op: 'append', queue, seq, data: entries.get(seq) as string };
    }
  }
}
