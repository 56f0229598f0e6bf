/**
 * Measurement plumbing shared by the benchmark runner and its workers. Both SDKs run in
 * child processes that import this module before the SDK, so they are measured the same way.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

// ---- the job protocol between runner and workers --------------------------------------

export type Sdk = 'chartly' | 'official';

/** Workload 1: enqueue cost at a queue depth, nothing sent. */
export interface EnqueueJob {
  kind: 'enqueue';
  dir: string;
  /** A closed port: nothing can be delivered. */
  url: string;
  depth: number;
  /** At most this many measured enqueues ... */
  n: number;
  /** ... or as many as fit in this budget, but at least `minN`. */
  budgetMs: number;
  minN: number;
  warmup: number;
}

/** Workload 2: `events.record` / `add_event` calls per second, file storage, server reachable. */
export interface RecordJob {
  kind: 'record';
  dir: string;
  url: string;
  n: number;
  warmup: number;
  /** Give up waiting for persistence after this long. */
  persistCapMs: number;
}

/** Workload 3: record `n` events in a loop with default settings; the runner times delivery. */
export interface DeliverJob {
  kind: 'deliver';
  dir: string;
  url: string;
  n: number;
  /** `burst` (default): one synchronous loop. `trickle`: one record per macrotask (setImmediate). */
  pace?: 'burst' | 'trickle';
}

export type Job = EnqueueJob | RecordJob | DeliverJob;

export interface EnqueueResult {
  kind: 'enqueue';
  depth: number;
  /** Queue length reached before measuring (read back from the SDK). */
  reachedDepth: number;
  /** Measured enqueues. */
  n: number;
  fillMs: number;
  /** Mean time the enqueue call itself took (it returns before the write). */
  callUs: number;
  /** Mean time from the call until its write completed (the next enqueue starts then). */
  writtenUs: number;
  /** Bytes written to disk per enqueue. */
  bytesPerEnqueue: number;
  bytesMethod: BytesMethod;
  /** Set by the runner when it combines rounds: the deepest queue measured, rounds run. */
  maxDepth?: number;
  rounds?: number;
}

export interface RecordResult {
  kind: 'record';
  n: number;
  loopMs: number;
  callsPerSec: number;
  /** From the first call until a write that includes the last call completed; null if capped. */
  persistedMs: number | null;
  /** Set by the runner: calls/s of every round. */
  allCallsPerSec?: number[];
}

export interface DeliverResult {
  kind: 'deliver';
  n: number;
  /** Time of the record loop itself. */
  loopMs: number;
  /** Disk bytes written from the first record until the runner said stop. */
  diskBytes: number;
  /** Bytes the worker wrote to sockets in the same window (subtracted from wchar). */
  socketBytes: number;
  bytesMethod: BytesMethod;
}

export type JobResult = EnqueueResult | RecordResult | DeliverResult;

/** Worker → runner messages (over the IPC channel). */
export type WorkerMessage = { type: 'ready' } | { type: 'result'; result: JobResult } | { type: 'error'; message: string };
/** Runner → worker messages. */
export type RunnerMessage = { type: 'go' } | { type: 'stop' };

// ---- bytes written to disk ------------------------------------------------------------

export type BytesMethod = 'wchar' | 'file-size';

const sockets = new Set<Socket>();
let watchingSockets = false;

/** Starts tracking every client socket this process opens (node:http and fetch alike). */
export function watchSockets(): void {
  if (watchingSockets) return;
  watchingSockets = true;
  subscribe('net.client.socket', (message) => {
    sockets.add((message as { socket: Socket }).socket);
  });
}

/** Bytes handed to client sockets so far. */
export function socketBytes(): number {
  let total = 0;
  for (const s of sockets) total += s.bytesWritten ?? 0;
  return total;
}

/** `wchar` of /proc/self/io: bytes passed to write(2) and friends by every thread; null off Linux. */
export function wchar(): number | null {
  try {
    const m = /wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    try {
      const st = statSync(join(dir, name));
      if (st.isFile()) total += st.size;
    } catch {
      // a file renamed away while we looked
    }
  }
  return total;
}

/**
 * Counts bytes written to disk between `start()` and `stop()`: the wchar delta minus what
 * went to sockets, so it holds the storage writes (rewrites included) and nothing else the
 * worker does in the window. Without /proc it falls back to the growth of the files in the
 * storage directory, which misses rewrites (said in the output).
 */
export function diskMeter(dir: string): { start(): void; stop(): { bytes: number; socketBytes: number; method: BytesMethod } } {
  let w0: number | null = null;
  let s0 = 0;
  let f0 = 0;
  return {
    start() {
      w0 = wchar();
      s0 = socketBytes();
      if (w0 === null) f0 = dirBytes(dir);
    },
    stop() {
      const w1 = wchar();
      const sock = socketBytes() - s0;
      if (w0 !== null && w1 !== null) return { bytes: Math.max(0, w1 - w0 - sock), socketBytes: sock, method: 'wchar' };
      return { bytes: Math.max(0, dirBytes(dir) - f0), socketBytes: sock, method: 'file-size' };
    },
  };
}

// ---- worker side helpers --------------------------------------------------------------

/** Reads the job from argv, runs it, and reports over IPC; the process exits afterwards. */
export function runWorker(run: (job: Job) => Promise<JobResult>): void {
  const raw = process.argv[2];
  const send = (message: WorkerMessage): Promise<void> =>
    new Promise((resolve) => {
      if (!process.send) {
        process.stdout.write(`${JSON.stringify(message)}\n`, () => resolve());
        return;
      }
      process.send(message, undefined, {}, () => resolve());
    });
  (async () => {
    if (!raw) throw new Error('worker: missing job argument');
    const result = await run(JSON.parse(raw) as Job);
    await send({ type: 'result', result });
  })()
    .catch(async (error: unknown) => {
      await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    })
    // Exit at once: the official SDK keeps timers and a write backlog running forever.
    .finally(() => process.exit(0));
}

/** Resolves with the runner's next message of this type. */
export function nextMessage(type: RunnerMessage['type']): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: RunnerMessage): void => {
      if (m.type !== type) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}

export function tellRunner(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The event every workload records, the same in both SDKs. */
export function benchEvent(i: number): { key: string; count: number; sum: number; segmentation: Record<string, string> } {
  return { key: 'purchase', count: 1, sum: 9.99, segmentation: { item: `sku-${i % 50}`, store: 'bench' } };
}
