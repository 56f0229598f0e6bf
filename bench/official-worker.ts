/**
 * Runs one benchmark job through the official `countly-sdk-nodejs` (a singleton with
 * module-level state, hence one process per job). Started by bench/run.ts.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  benchEvent,
  diskMeter,
  nextMessage,
  runWorker,
  sleep,
  tellRunner,
  watchSockets,
  type DeliverJob,
  type DeliverResult,
  type EnqueueJob,
  type EnqueueResult,
  type RecordJob,
  type RecordResult,
} from './lib.js';

watchSockets();

// ---- the SDK's file writes ------------------------------------------------------------
// Its file storage calls `fs.writeFile` through the module object for every change (and
// queues the next change until the previous write's callback), so wrapping that property
// before the SDK loads tells us when each write started and finished. Bytes are counted
// by the disk meter, not here.

interface WriteRecord {
  id: number;
  file: string;
  done: boolean;
}

const writes: WriteRecord[] = [];
let inflight = 0;
const waiters = new Set<() => void>();
const originalWriteFile = fs.writeFile;

(fs as { writeFile: unknown }).writeFile = function patchedWriteFile(file: fs.PathOrFileDescriptor, data: unknown, ...rest: unknown[]): void {
  const callback = rest.pop() as (err: NodeJS.ErrnoException | null) => void;
  const record: WriteRecord = { id: writes.length + 1, file: String(file), done: false };
  writes.push(record);
  inflight++;
  (originalWriteFile as (...args: unknown[]) => void).call(fs, file, data, ...rest, (err: NodeJS.ErrnoException | null) => {
    inflight--;
    record.done = true;
    callback(err);
    for (const wake of [...waiters]) wake();
  });
};

/** Resolves after the next write completes. */
const nextCompletion = (): Promise<void> =>
  new Promise((resolve) => {
    const wake = (): void => {
      waiters.delete(wake);
      resolve();
    };
    waiters.add(wake);
  });

/** Resolves when no write is in flight and none was started by a just-finished one. */
async function writesIdle(): Promise<void> {
  for (;;) {
    while (inflight > 0) await nextCompletion();
    const started = writes.length;
    // The SDK starts its next queued write in a setTimeout(0) after the previous callback.
    await sleep(2);
    if (inflight === 0 && writes.length === started) return;
  }
}

/** Waits until every write with an id above `after` (already started) has completed. */
async function writesStartedAfter(after: number): Promise<void> {
  while (writes.slice(after).some((w) => !w.done)) await nextCompletion();
}

const require = createRequire(import.meta.url);
interface OfficialSdk {
  init(conf: Record<string, unknown>): void;
  add_event(event: Record<string, unknown>): void;
  request(request: Record<string, unknown>): void;
  halt(preventRequestProcessing?: boolean): void;
}
const Countly = require('countly-sdk-nodejs') as OfficialSdk;
const officialVersion = (require('countly-sdk-nodejs/package.json') as { version: string }).version;

const APP_KEY = 'bench-app-key';
const DEVICE_ID = 'bench-device';

/** A raw request with the base params the SDK's own `prepareRequest` adds. */
function rawRequest(i: number): Record<string, unknown> {
  const date = new Date();
  return {
    app_key: APP_KEY,
    device_id: DEVICE_ID,
    sdk_name: 'javascript_native_nodejs',
    sdk_version: officialVersion,
    t: 0,
    timestamp: Date.now(),
    hour: date.getHours(),
    dow: date.getDay(),
    tz: -date.getTimezoneOffset(),
    bench: 'enqueue',
    i: String(i),
  };
}

const storagePath = (dir: string): string => `${dir}/`;
const queueFile = (dir: string): string => join(dir, '__cly_queue.json');

// ---- workload 1 -----------------------------------------------------------------------

async function enqueue(job: EnqueueJob): Promise<EnqueueResult> {
  // Warm-up on a throwaway queue, then `halt()` (the SDK's reset) and start over, so every
  // depth is measured with the same warm-up and exactly `depth` queued requests.
  const warmDir = join(job.dir, 'warmup');
  fs.mkdirSync(warmDir);
  const init = (dir: string): void =>
    // test_mode stops request processing (the only thing it does), like a held network.
    Countly.init({ app_key: APP_KEY, url: job.url, device_id: DEVICE_ID, storage_path: storagePath(dir), test_mode: true, queue_size: 1_000_000 });
  init(warmDir);
  await writesIdle();
  for (let i = 0; i < job.warmup; i++) {
    Countly.request(rawRequest(-job.warmup + i));
    await writesIdle();
  }
  Countly.halt(true);

  // Filling by `request()` would rewrite the whole queue `depth` times (quadratic); a queue
  // file left by an earlier run is what the SDK reads at init, so the fill is written once.
  const t0 = performance.now();
  const seeded = Array.from({ length: job.depth }, (_, i) => rawRequest(-job.depth + i));
  fs.writeFileSync(queueFile(job.dir), JSON.stringify({ cly_queue: seeded }));
  init(job.dir);
  await writesIdle();
  const fillMs = performance.now() - t0;
  const reachedDepth = (JSON.parse(fs.readFileSync(queueFile(job.dir), 'utf8')) as { cly_queue: unknown[] }).cly_queue.length;

  const meter = diskMeter(job.dir);
  meter.start();
  let callMs = 0;
  let count = 0;
  const start = performance.now();
  while (count < job.n && (count < job.minN || performance.now() - start < job.budgetMs)) {
    const before = writes.length;
    const a = performance.now();
    Countly.request(rawRequest(count));
    callMs += performance.now() - a;
    if (writes.length > before) await writesStartedAfter(before);
    else await writesIdle();
    count++;
  }
  const elapsed = performance.now() - start;
  const disk = meter.stop();
  return {
    kind: 'enqueue',
    depth: job.depth,
    reachedDepth,
    n: count,
    fillMs,
    callUs: (callMs / count) * 1000,
    writtenUs: (elapsed / count) * 1000,
    bytesPerEnqueue: disk.bytes / count,
    bytesMethod: disk.method,
  };
}

// ---- workload 2 -----------------------------------------------------------------------

async function record(job: RecordJob): Promise<RecordResult> {
  Countly.init({ app_key: APP_KEY, url: job.url, device_id: DEVICE_ID, storage_path: storagePath(job.dir) });
  await writesIdle();
  for (let i = 0; i < job.warmup; i++) Countly.add_event(benchEvent(i));
  // Long enough for the heartbeat (500 ms) to send the warm-up batch.
  await sleep(1200);
  await writesIdle();

  const start = performance.now();
  for (let i = 0; i < job.n; i++) Countly.add_event(benchEvent(i));
  const loopMs = performance.now() - start;
  // The SDK serializes its live event array when a write starts, so the first event-file
  // write started after the loop holds every recorded event.
  const mark = writes.length;
  const deadline = start + job.persistCapMs;
  let persistedMs: number | null = null;
  for (;;) {
    const target = writes.slice(mark).find((w) => w.file.endsWith('__cly_event.json'));
    if (target?.done) {
      persistedMs = performance.now() - start;
      break;
    }
    if (performance.now() > deadline) break;
    await Promise.race([nextCompletion(), sleep(50)]);
  }
  return { kind: 'record', n: job.n, loopMs, callsPerSec: job.n / (loopMs / 1000), persistedMs };
}

// ---- workload 3 -----------------------------------------------------------------------

async function deliver(job: DeliverJob): Promise<DeliverResult> {
  Countly.init({ app_key: APP_KEY, url: job.url, device_id: DEVICE_ID, storage_path: storagePath(job.dir) });
  await writesIdle();
  const go = nextMessage('go');
  await tellRunner({ type: 'ready' });
  await go;
  const stop = nextMessage('stop');
  const meter = diskMeter(job.dir);
  meter.start();
  const start = performance.now();
  for (let i = 0; i < job.n; i++) Countly.add_event(benchEvent(i));
  const loopMs = performance.now() - start;
  await stop;
  const disk = meter.stop();
  return { kind: 'deliver', n: job.n, loopMs, diskBytes: disk.bytes, socketBytes: disk.socketBytes, bytesMethod: disk.method };
}

runWorker(async (job) => {
  switch (job.kind) {
    case 'enqueue':
      return enqueue(job);
    case 'record':
      return record(job);
    case 'deliver':
      return deliver(job);
  }
});
