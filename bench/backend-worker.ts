/**
 * One side of the backend benchmark: chartly's `createBackend` (file storage) or the
 * official `countly-sdk-nodejs` bulk API (`CountlyBulk`, one per app key, its default
 * memory queue), recording the same workload. Started by bench/backend.ts; reports over IPC.
 *
 * Workload: `n` events from `devices` device IDs over `appKeys` app keys, in blocks of 10
 * devices recording round-robin (10 users active at a time), each device `n / devices`
 * events; device d belongs to app key `app<d % appKeys>`.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createBackend } from '../src/backend/index.js';
import { fileStorage } from '../src/adapters/storage/file.js';
import { benchEvent, diskMeter, sleep, watchSockets } from './lib.js';

watchSockets();

export interface BackendJob {
  sdk: 'chartly' | 'official';
  url: string;
  dir: string;
  n: number;
  devices: number;
  appKeys: number;
  /** chartly: pause recording while more requests than this are queued (backpressure). */
  highWater: number;
}

export interface BackendWorkerResult {
  type: 'result';
  /** Events recorded (all `n` unless the runner's cap stopped the loop). */
  recorded: number;
  /** Time spent inside record calls (pauses for backpressure excluded). */
  recordMs: number;
  /** From the first record until the last record call returned (pauses included). */
  loopMs: number;
  diskBytes: number;
  maxRssBytes: number;
  error?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as BackendJob;
const perDevice = job.n / job.devices;
const BLOCK = 10;

/** The i-th event of the workload: its device and app key. */
function slot(i: number): { device: number; app: number } {
  const block = Math.floor(i / (BLOCK * perDevice));
  const device = block * BLOCK + (i % BLOCK);
  return { device, app: device % job.appKeys };
}

const message = (type: string): Promise<void> =>
  new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      process.off('message', on);
      resolve();
    };
    process.on('message', on);
  });

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** The runner's stop may come while recording (the cap): listened for from the start. */
let stopped = false;
const stop = message('stop').then(() => {
  stopped = true;
});
const CHUNK = 1_000;

/**
 * Records the job's n events through `record` in chunks of CHUNK, yielding between chunks (so
 * timers and I/O run) until done or stopped; `beforeChunk` may wait (back pressure). The
 * record time counts the calls only; the loop time everything.
 */
async function recordInChunks(
  record: (device: number, app: number, event: ReturnType<typeof benchEvent>) => void,
  beforeChunk?: () => Promise<void>,
): Promise<{ recordMs: number; loopMs: number; recorded: () => number }> {
  let recordMs = 0;
  let done = 0;
  const t0 = performance.now();
  for (let start = 0; start < job.n && !stopped; start += CHUNK) {
    await beforeChunk?.();
    const c0 = performance.now();
    const end = Math.min(job.n, start + CHUNK);
    for (let i = start; i < end; i++) {
      const { device, app } = slot(i);
      record(device, app, benchEvent(i));
    }
    recordMs += performance.now() - c0;
    done = end;
    await yieldNow();
  }
  return { recordMs, loopMs: performance.now() - t0, recorded: () => done };
}

async function chartly(): Promise<Omit<BackendWorkerResult, 'type' | 'diskBytes' | 'maxRssBytes' | 'recorded'> & { recorded: () => number } & { finish(): Promise<void> }> {
  const backend = createBackend({ url: job.url, appKey: 'app0', storage: fileStorage(job.dir), maxRequestQueueSize: job.highWater * 2 });
  await backend.ready;
  process.send?.({ type: 'ready' });
  await message('go');
  const loop = await recordInChunks(
    (device, app, e) => backend.recordEvent(`device-${device}`, e.key, { appKey: `app${app}`, count: e.count, sum: e.sum, segmentation: e.segmentation }),
    async () => {
      // Back pressure: the queue stays below its high-water mark.
      while (backend.pending().requests > job.highWater && !stopped) await sleep(2);
    },
  );
  // The rest of the pool goes now instead of at the next timer tick.
  void backend.flush();
  return { ...loop, finish: () => backend.shutdown() };
}

interface OfficialBulk {
  add_event(deviceId: string, event: Record<string, unknown>): unknown;
  start(): unknown;
  stop(): unknown;
}

async function official(): Promise<Omit<BackendWorkerResult, 'type' | 'diskBytes' | 'maxRssBytes' | 'recorded'> & { recorded: () => number } & { finish(): Promise<void> }> {
  const require = createRequire(import.meta.url);
  const Countly = require('countly-sdk-nodejs') as { Bulk: new (conf: Record<string, unknown>) => OfficialBulk };
  // Its bulk API takes one app key per instance: one instance per app key.
  const bulks = Array.from({ length: job.appKeys }, (_, a) => new Countly.Bulk({ app_key: `app${a}`, url: job.url }));
  for (const b of bulks) b.start();
  process.send?.({ type: 'ready' });
  await message('go');
  const loop = await recordInChunks((device, app, e) => (bulks[app] as OfficialBulk).add_event(`device-${device}`, { key: e.key, count: e.count, sum: e.sum, segmentation: e.segmentation }));
  return { ...loop, finish: async () => void bulks.forEach((b) => b.stop()) };
}

(async () => {
  const meter = diskMeter(job.dir);
  meter.start();
  const run = job.sdk === 'chartly' ? await chartly() : await official();
  process.send?.({ type: 'recorded', recordMs: run.recordMs, loopMs: run.loopMs });
  await stop;
  await run.finish();
  const disk = meter.stop();
  const result: BackendWorkerResult = { type: 'result', recorded: run.recorded(), recordMs: run.recordMs, loopMs: run.loopMs, diskBytes: disk.bytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
  process.send?.(result, undefined, {}, () => process.exit(0));
})().catch((error: unknown) => {
  process.send?.({ type: 'result', recorded: 0, recordMs: 0, loopMs: 0, diskBytes: 0, maxRssBytes: 0, error: String(error) }, undefined, {}, () => process.exit(1));
});
