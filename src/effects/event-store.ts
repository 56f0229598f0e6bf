import type { QueueEntry, StorageOp } from '../adapters/types.js';
import type { WireEvent } from '../domain/types.js';

/**
 * The persisted event queue's bookkeeping: which storage seq holds which event ID. The
 * events machine holds the events themselves; this only turns its persist/unpersist
 * commands into storage operations.
 */
export class EventStore {
  /**
   * Seqs per event ID, oldest first. IDs are not unique: a view's start and end events both
   * carry the view ID, so one ID may name several stored events; they leave in record order.
   */
  private seqsById = new Map<string, number[]>();
  private count = 0;
  private nextSeq: number;

  constructor(entries: readonly QueueEntry[] = []) {
    let max = 0;
    for (const e of entries) {
      const id = EventStore.idOf(e.data);
      if (id !== null) this.add(id, e.seq);
      if (e.seq > max) max = e.seq;
    }
    this.nextSeq = max + 1;
  }

  /** Decodes stored events; corrupt entries are skipped and counted. */
  static decode(entries: readonly QueueEntry[]): { events: WireEvent[]; corrupt: number } {
    const events: WireEvent[] = [];
    let corrupt = 0;
    for (const e of entries) {
      try {
        const value = JSON.parse(e.data) as unknown;
        if (typeof value === 'object' && value !== null && typeof (value as WireEvent).key === 'string' && typeof (value as WireEvent).id === 'string') {
          events.push(value as WireEvent);
        } else corrupt++;
      } catch {
        corrupt++;
      }
    }
    return { events, corrupt };
  }

  private static idOf(data: string): string | null {
    try {
      const v = JSON.parse(data) as { id?: unknown };
      return typeof v.id === 'string' ? v.id : null;
    } catch {
      return null;
    }
  }

  private add(id: string, seq: number): void {
    const seqs = this.seqsById.get(id);
    if (seqs) seqs.push(seq);
    else this.seqsById.set(id, [seq]);
    this.count++;
  }

  /** Stored events. */
  get size(): number {
    return this.count;
  }

  persist(events: readonly WireEvent[]): StorageOp[] {
    return events.map((event) => {
      const seq = this.nextSeq++;
      this.add(event.id, seq);
      return { op: 'append', queue: 'events', seq, data: JSON.stringify(event), json: true } as const;
    });
  }

  unpersist(ids: readonly string[]): StorageOp[] {
    const seqs: number[] = [];
    for (const id of ids) {
      const stored = this.seqsById.get(id);
      const seq = stored?.shift();
      if (seq === undefined) continue;
      seqs.push(seq);
      this.count--;
      if (stored!.length === 0) this.seqsById.delete(id);
    }
    return seqs.length > 0 ? [{ op: 'remove', queue: 'events', seqs }] : [];
  }

  clear(): StorageOp[] {
    this.seqsById.clear();
    this.count = 0;
    return [{ op: 'clear', queue: 'events' }];
  }
}
