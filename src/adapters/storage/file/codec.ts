/**
 * The record codec of the file log: how a group of storage ops becomes the JSON payload of one
 * line, and back. Short op codes and queue codes keep the framing small:
 *
 *   ['s', key, value]  ['d', key]  ['a'|'u', q, seq, data]  ['r', q, ...seqs]  ['c', q]
 *
 * A removed run of 3+ consecutive seqs is written as [first, last]. Queue data that is canonical
 * JSON (object or array, e.g. a stored event) is embedded as JSON rather than as an escaped
 * string, which saves a backslash per quote; it is read back with JSON.stringify, exact because
 * embedding happens only when that round trip is exact.
 *
 * Every payload this module writes is read by every earlier version, as long as it names only
 * the `requests` and `events` queues (an older version skips a line naming another queue).
 */
import type { QueueName, StorageOp } from '../../types.js';
import { isQueueName } from '../memory.js';

/**
 * The code a queue is written under. `requests` and `events` keep the one-letter codes of the
 * first format version; any other name is written in full, and a one-letter name gets a
 * leading `:` (a character no queue name contains), so no one-letter code is ever ambiguous and
 * a new core queue can still be given one later.
 */
export function queueCode(queue: QueueName): string {
  if (queue === 'requests') return 'r';
  if (queue === 'events') return 'e';
  return queue.length === 1 ? `:${queue}` : queue;
}

/** The queue a code names; undefined for a code `queueCode` never produces. */
export function queueOf(code: unknown): QueueName | undefined {
  if (typeof code !== 'string') return undefined;
  const name = code === 'r' ? 'requests' : code === 'e' ? 'events' : code.startsWith(':') ? code.slice(1) : code;
  // Exactly one spelling per queue: a code is valid only if encoding its name gives it back.
  return isQueueName(name) && queueCode(name) === code ? name : undefined;
}

/** Whether text may be a JSON object or array: the only data the log embeds as JSON. */
const isObjectText = (data: string): boolean => {
  const c = data.charCodeAt(0);
  return c === 0x7b /* { */ || c === 0x5b /* [ */;
};

function embed(data: string): unknown {
  if (isObjectText(data)) {
    try {
      const value: unknown = JSON.parse(data);
      if (JSON.stringify(value) === data) return value;
    } catch {
      // not JSON: stored as a string
    }
  }
  return data;
}

export function seqRuns(seqs: readonly number[]): Array<number | [number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: Array<number | [number, number]> = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    if (j - i >= 2) out.push([first, sorted[j] as number]);
    else for (let k = i; k <= j; k++) out.push(sorted[k] as number);
    i = j + 1;
  }
  return out;
}

function encodeOp(op: StorageOp): unknown[] {
  switch (op.op) {
    case 'set':
      return ['s', op.key, op.value];
    case 'delete':
      return ['d', op.key];
    case 'append':
      return ['a', queueCode(op.queue), op.seq, embed(op.data)];
    case 'update':
      return ['u', queueCode(op.queue), op.seq, embed(op.data)];
    case 'remove':
      return ['r', queueCode(op.queue), ...seqRuns(op.seqs)];
    case 'clear':
      return ['c', queueCode(op.queue)];
  }
}

/**
 * One op as JSON text. Data the core marks as `JSON.stringify` output is spliced in as is —
 * the same text `embed` would produce, without parsing and re-serializing it. Only an object
 * or an array: a spliced string, number or null would read back as something else (or not at
 * all), since only embedded objects and arrays are turned back into text. The queue code
 * needs no escaping: queue names are validated identifiers.
 */
export function opText(op: StorageOp): string {
  if (op.op === 'append' && op.json === true && isObjectText(op.data)) return `["a","${queueCode(op.queue)}",${op.seq},${op.data}]`;
  return JSON.stringify(encodeOp(op));
}


/** The payload of a group: a JSON array of its ops. `[]` is a valid, empty group. */
export const groupText = (parts: readonly string[]): string => `[${parts.join(',')}]`;

const isSeq = (n: unknown): n is number => Number.isSafeInteger(n);
const MAX_RUN = 1_000_000;

/** Decodes one stored op; undefined when it is not one this version wrote. */
export function decodeOp(raw: unknown): StorageOp | undefined {
  if (!Array.isArray(raw)) return undefined;
  const [code, a, b, c] = raw as unknown[];
  switch (code) {
    case 's':
      return raw.length === 3 && typeof a === 'string' && typeof b === 'string' ? { op: 'set', key: a, value: b } : undefined;
    case 'd':
      return raw.length === 2 && typeof a === 'string' ? { op: 'delete', key: a } : undefined;
    case 'a':
    case 'u': {
      const queue = queueOf(a);
      const data = typeof c === 'string' ? c : typeof c === 'object' && c !== null ? JSON.stringify(c) : undefined;
      if (raw.length !== 4 || !queue || !isSeq(b) || data === undefined) return undefined;
      return { op: code === 'a' ? 'append' : 'update', queue, seq: b, data };
    }
    case 'r': {
      const queue = queueOf(a);
      if (!queue) return undefined;
      const seqs: number[] = [];
      for (const item of raw.slice(2) as unknown[]) {
        if (isSeq(item)) seqs.push(item);
        // The span cap keeps a hand-edited line from stalling boot; real groups are far smaller.
        else if (Array.isArray(item) && item.length === 2 && isSeq(item[0]) && isSeq(item[1]) && item[0] < item[1] && item[1] - item[0] <= MAX_RUN) {
          for (let s = item[0]; s <= item[1]; s++) seqs.push(s);
        } else return undefined;
      }
      return { op: 'remove', queue, seqs };
    }
    case 'c': {
      const queue = queueOf(a);
      return raw.length === 2 && queue ? { op: 'clear', queue } : undefined;
    }
    default:
      return undefined;
  }
}

/** Bytes an op's entry would take in a compacted log; 0 for ops that leave nothing behind. */
export function liveSizeOf(op: StorageOp, encoded: () => string): number {
  return op.op === 'set' || op.op === 'append' || op.op === 'update' ? Buffer.byteLength(encoded()) + 1 : 0;
}

export interface DecodedOp {
  readonly op: StorageOp;
  /** What the op adds to the live bytes (see `liveSizeOf`). */
  readonly size: number;
}

/** Decodes the payload of one line; undefined when it is not a group this version wrote. */
export function decodeGroup(payload: string): DecodedOp[] | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw)) return undefined;
  const out: DecodedOp[] = [];
  for (const item of raw as unknown[]) {
    const op = decodeOp(item);
    if (!op) return undefined;
    out.push({ op, size: liveSizeOf(op, () => JSON.stringify(item)) });
  }
  return out;
}
