/**
 * Runs one benchmark job through chartly with `fileStorage`, in its own process like the
 * official SDK's jobs, so both are measured the same way. Started by bench/run.ts.
 */
import { mkdtempSync } from 'node:fs';
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

type NodeEntry = typeof import('../src/node.js');
type Countly = ReturnType<NodeEntry['createCountly']>;

// Loaded inside the job, so an SDK that fails to load is reported to the runner as an error.
let createCountly: NodeEntry['createCountly'];
let fileStorage: NodeEntry['fileStorage'];
let instanceInternals: typeof import('../src/sdk.js')['instanceInternals'];

async function loadChartly(): Promise<void> {
  ({ createCountly, fileStorage } = await import('../src/node.js'));
  ({ instanceInternals } = await import('../src/sdk.js'));
}

const APP_KEY = 'bench-app-key';
const DEVICE_ID = 'bench-device';

type Config = Parameters<NodeEntry['createCountly']>[0];

/**
 * Creates the instance and waits for `ready`. A failed boot only logs (ready never rejects),
 * so when the instance is not ready the boot is repeated on a scratch directory with an
 * error listener, to say why. Measured instances get no listener: it would add work per call.
 */
async function startChartly(config: Config, dir: string): Promise<Countly> {
  const countly = createCountly({ ...config, storage: fileStorage(dir) });
  await countly.ready;
  const status = countly.getState().status;
  if (status === 'ready') return countly;
  const errors: string[] = [];
  const probeDir = mkdtempSync(join(dir, 'probe-'));
  const probe = createCountly({ ...config, storage: fileStorage(probeDir), logListener: (message, level) => void (level === 'error' && errors.push(message)) });
  await probe.ready;
  throw new Error(`chartly did not become ready (status ${status}): ${errors.join(' | ') || 'no error was logged'}`);
}

function internalsOf(countly: Countly): NonNullable<ReturnType<typeof instanceInternals>> {
  const internals = instanceInternals(countly);
  if (!internals) throw new Error('instanceInternals returned nothing');
  return internals;
}

// ---- workload 1 -----------------------------------------------------------------------

async function enqueue(job: EnqueueJob): Promise<EnqueueResult> {
  const config = {
    url: job.url,
    appKey: APP_KEY,
    deviceId: DEVICE_ID,
    maxRequestQueueSize: 1_000_000,
    // Networking held (spec: SDK Behavior Settings `networking`), and the URL is a closed port.
    behaviorSettings: { networking: false },
    retryCooldownSeconds: 86_400,
  };
  const add = (countly: Countly, i: number): void => countly.queue.addDirectRequest({ bench: 'enqueue', i: String(i) });

  // Warm-up on a throwaway instance and directory, the same for every depth.
  const warm = await startChartly(config, mkdtempSync(join(job.dir, 'warmup-')));
  for (let i = 0; i < job.warmup; i++) {
    add(warm, -job.warmup + i);
    await internalsOf(warm).writer.drain();
  }
  await warm.shutdown();

  const countly = await startChartly(config, job.dir);
  const { queue, writer } = internalsOf(countly);
  await writer.drain();
  const base = queue.length;
  const t0 = performance.now();
  // One burst: the writer groups it into one append, so filling is linear.
  for (let i = 0; i < job.depth; i++) add(countly, -job.depth + i);
  await writer.drain();
  const fillMs = performance.now() - t0;
  const reachedDepth = queue.length;
  if (reachedDepth !== base + job.depth) throw new Error(`queue holds ${reachedDepth} requests after filling to ${job.depth} (had ${base})`);

  const meter = diskMeter(job.dir);
  meter.start();
  let callMs = 0;
  let count = 0;
  const start = performance.now();
  while (count < job.n && (count < job.minN || performance.now() - start < job.budgetMs)) {
    const a = performance.now();
    add(countly, count);
    callMs += performance.now() - a;
    await writer.drain();
    count++;
  }
  const elapsed = performance.now() - start;
  const disk = meter.stop();
  if (queue.length !== reachedDepth + count) throw new Error(`queue holds ${queue.length} requests, expected ${reachedDepth + count}`);
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
  const countly = await startChartly({ url: job.url, appKey: APP_KEY, deviceId: DEVICE_ID }, job.dir);
  const { writer } = internalsOf(countly);
  for (let i = 0; i < job.warmup; i++) countly.events.record(benchEvent(i).key, benchEvent(i));
  // The same pause as the official worker's (its heartbeat sends the warm-up batch).
  await sleep(1200);
  await writer.drain();

  const start = performance.now();
  for (let i = 0; i < job.n; i++) {
    const e = benchEvent(i);
    countly.events.record(e.key, e);
  }
  const loopMs = performance.now() - start;
  // Everything recorded is durable (appended and fsynced) once the writer drains.
  const persisted = await Promise.race([writer.drain().then(() => true), sleep(job.persistCapMs).then(() => false)]);
  const persistedMs = persisted ? performance.now() - start : null;
  return { kind: 'record', n: job.n, loopMs, callsPerSec: job.n / (loopMs / 1000), persistedMs };
}

// ---- workload 3 -----------------------------------------------------------------------

async function deliver(job: DeliverJob): Promise<DeliverResult> {
  const countly = await startChartly({ url: job.url, appKey: APP_KEY, deviceId: DEVICE_ID }, job.dir);
  await internalsOf(countly).writer.drain();
  const go = nextMessage('go');
  await tellRunner({ type: 'ready' });
  await go;
  const stop = nextMessage('stop');
  const meter = diskMeter(job.dir);
  meter.start();
  const start = performance.now();
  for (let i = 0; i < job.n; i++) {
    const e = benchEvent(i);
    countly.events.record(e.key, e);
    // A trickle: every record in its own run, as an app recording on user actions does.
    if (job.pace === 'trickle') await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const loopMs = performance.now() - start;
  await stop;
  const disk = meter.stop();
  return { kind: 'deliver', n: job.n, loopMs, diskBytes: disk.bytes, socketBytes: disk.socketBytes, bytesMethod: disk.method };
}

runWorker(async (job) => {
  await loadChartly();
  switch (job.kind) {
    case 'enqueue':
      return enqueue(job);
    case 'record':
      return record(job);
    case 'deliver':
      return deliver(job);
  }
});
