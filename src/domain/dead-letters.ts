/**
 * Requests the server will never accept, moved aside so the queue moves on (a policy beyond
 * the spec, whose rule — retry "until it is completed", SDK guide l. 327 — lets one such
 * request block the queue until it overflows). See docs/request-processor.md "Dead letters".
 *
 * The policy is data; `afterRejection` is the pure decision; `DeadLetterStore` mirrors the
 * persisted queue `deadLetters` the way `RequestQueue` mirrors `requests`: every change returns
 * its storage operations, nothing here does I/O.
 */
import type { QueueEntry, StorageOp } from '../adapters/types.js';
import type { RejectionCause } from './response.js';

export interface DeadLetterPolicy {
  /** Attempts (the first send included) before a rejected request is moved aside, per cause. */
  readonly attempts: Readonly<Record<RejectionCause, number>>;
  /** The delay before attempt n+1 is the cool-down × growth^(n-1): 1×, 2×, 4×, ... */
  readonly growth: number;
  /** At most this many dead letters are kept; the oldest go first. */
  readonly capacity: number;
}

export const DEAD_LETTER_POLICY: DeadLetterPolicy = /* @__PURE__ */ Object.freeze({
  // A 4xx may be a server-side configuration being fixed (an app created, un-paused): a few
  // tries, further apart. A checksum answer already means "the server dropped it": retrying
  // the same bytes gives the same answer, so it is moved aside at once.
  attempts: Object.freeze({ 'client-error': 3, checksum: 1 }),
  growth: 2,
  capacity: 100,
});

/** The persisted queue that holds dead letters (its own named queue, in the app key's namespace). */
export const DEAD_LETTER_QUEUE = 'deadLetters';

export type AfterRejection = { action: 'retry'; delayMs: number } | { action: 'deadLetter' };

/**
 * After the `attempts`-th rejection of one request: retry after a growing delay, or move it
 * aside. `cooldownMs` is the ordinary cool-down (spec l. 327) the delay grows from.
 */
export function afterRejection(cause: RejectionCause, attempts: number, cooldownMs: number, policy: DeadLetterPolicy = DEAD_LETTER_POLICY): AfterRejection {
  if (attempts >= policy.attempts[cause]) return { action: 'deadLetter' };
  const factor = policy.growth ** Math.max(0, attempts - 1);
  return { action: 'retry', delayMs: Math.min(cooldownMs * factor, 2 ** 31 - 1) };
}

/** One dead letter as stored: the request as it was queued, and why it was refused. */
export interface DeadLetter {
  readonly request: string;
  readonly reason: string;
  readonly at: number;
}

/** The mirror of the persisted dead-letter queue: capped, oldest dropped first. */
export class DeadLetterStore {
  private seqs: number[] = [];
  private nextSeq: number;

  constructor(
    entries: readonly QueueEntry[] = [],
    private readonly capacity = DEAD_LETTER_POLICY.capacity,
  ) {
    let max = 0;
    for (const e of entries) {
      this.seqs.push(e.seq);
      if (e.seq > max) max = e.seq;
    }
    this.nextSeq = max + 1;
  }

  get size(): number {
    return this.seqs.length;
  }

  /** Stores one dead letter; over the cap the oldest are removed in the same operations. */
  add(letter: DeadLetter): StorageOp[] {
    const seq = this.nextSeq++;
    this.seqs.push(seq);
    const ops: StorageOp[] = [{ op: 'append', queue: DEAD_LETTER_QUEUE, seq, data: JSON.stringify(letter), json: true }];
    const over = this.seqs.length - this.capacity;
    if (over > 0) ops.push({ op: 'remove', queue: DEAD_LETTER_QUEUE, seqs: this.seqs.splice(0, over) });
    return ops;
  }
}
