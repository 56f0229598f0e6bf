/**
 * Section 5 of `npm run bench`: backend mode. The same workload — `n` events from `devices`
 * device IDs over 5 app keys — through chartly's `createBackend` (file storage) and the
 * official `countly-sdk-nodejs` bulk API, each in its own process against the local server in
 * a third process. Measured: recorded events/s, delivered events/s, peak RSS, bytes written ÷
 * payload. Run alone with `npm run bench -- --only=backend` (or `--only=5`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ServerStats } from './backend-server.js';
import type { BackendJob, BackendWorkerResult } from './backend-worker.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface BackendSettings {
  n: number;
  devices: number;
  appKeys: number;
  highWater: number;
  capMs: { chartly: number; official: number };
}

export const backendSettings = (quick: boolean): BackendSettings => ({
  n: quick ? 100_000 : 1_000_000,
  devices: quick ? 10_000 : 100_000,
  appKeys: 5,
  highWater: 2_000,
  capMs: { chartly: quick ? 30_000 : 120_000, official: quick ? 20_000 : 60_000 },
});

export interface BackendRun {
  sdk: 'chartly' | 'official';
  recorded: number;
  recordMs: number;
  loopMs: number;
  /** From go until the server held every event (or the cap). */
  elapsedMs: number;
  delivered: number;
  capped: boolean;
  payloadBytes: number;
  requests: number;
  appKeys: number;
  diskBytes: number;
  maxRssBytes: number;
}

type Outcome = { ok: true; run: BackendRun } | { ok: false; error: string };

/**
 * Both SDK workers run with the same small young generation (`--max-semi-space-size=4`, MiB):
 * with V8's default (16 MiB semi-spaces) peak RSS is mostly uncollected garbage — chartly's
 * live heap after 200,000 events is ~11 MB — and the tsx loader alone takes ~88 MB.
 */
const WORKER_FLAGS = ['--max-semi-space-size=4'];

function child(file: string, args: string[], flags: string[] = []): ChildProcess {
  return fork(join(here, file), args, { cwd: join(here, '..'), execArgv: ['--import', 'tsx', ...flags], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

const once = <T>(proc: ChildProcess, type: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      proc.off('message', on);
      resolve(m as T);
    };
    proc.on('message', on);
    proc.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)));
  });

async function runOne(sdk: 'chartly' | 'official', s: BackendSettings, progress: (m: string) => void): Promise<Outcome> {
  const server = child('backend-server.ts', []);
  const dir = mkdtempSync(join(tmpdir(), `chartly-bench-backend-${sdk}-`));
  let worker: ChildProcess | null = null;
  try {
    const { url } = await once<{ url: string }>(server, 'listening');
    let stats: ServerStats = { type: 'stats', events: 0, payloadBytes: 0, requests: 0, appKeys: 0 };
    server.on('message', (m: ServerStats) => {
      if (m.type === 'stats') stats = m;
    });
    const job: BackendJob = { sdk, url, dir, n: s.n, devices: s.devices, appKeys: s.appKeys, highWater: s.highWater };
    worker = child('backend-worker.ts', [JSON.stringify(job)], WORKER_FLAGS);
    await once(worker, 'ready');
    progress(`5. backend: ${sdk}, ${s.n.toLocaleString('en-US')} events (cap ${s.capMs[sdk] / 1000} s)`);
    const t0 = performance.now();
    const result = once<BackendWorkerResult>(worker, 'result');
    worker.send({ type: 'go' });
    const deadline = t0 + s.capMs[sdk];
    while (stats.events < s.n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const elapsedMs = performance.now() - t0;
    const capped = stats.events < s.n;
    worker.send({ type: 'stop' });
    const r = await result;
    if (r.error) return { ok: false, error: r.error };
    server.send({ type: 'close' });
    const final = await once<ServerStats>(server, 'stats');
    const delivered = capped ? stats.events : final.events;
    return {
      ok: true,
      run: {
        sdk,
        recorded: r.recorded,
        recordMs: r.recordMs,
        loopMs: r.loopMs,
        elapsedMs,
        delivered: Math.min(delivered, capped ? delivered : s.n),
        capped,
        payloadBytes: capped ? stats.payloadBytes : final.payloadBytes,
        requests: final.requests,
        appKeys: final.appKeys,
        diskBytes: r.diskBytes,
        maxRssBytes: r.maxRssBytes,
      },
    };
  } catch (error) {
    return { ok: false, error: String(error) };
  } finally {
    worker?.kill('SIGKILL');
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BackendGoal {
  goal: string;
  measured: string;
  pass: boolean | null;
}

const nf = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (b: number): string => `${nf(b / 1024 ** 2, 1)} MiB`;

export async function backendSection(quick: boolean, progress: (m: string) => void): Promise<{ text: string; goals: BackendGoal[]; raw: unknown }> {
  const s = backendSettings(quick);
  const chartly = await runOne('chartly', s, progress);
  const official = await runOne('official', s, progress);
  const delivered = (r: BackendRun): number => r.delivered / (r.elapsedMs / 1000);
  const cell = (o: Outcome, f: (r: BackendRun) => string): string => (o.ok ? f(o.run) : 'failed');
  const ratio = (f: (r: BackendRun) => number): string => {
    if (!chartly.ok || !official.ok) return 'n/a';
    const x = f(chartly.run) / f(official.run);
    return Number.isFinite(x) ? `${nf(x, x < 10 ? 2 : 1)}×` : 'n/a';
  };
  const rows: Array<[string, (r: BackendRun) => string, ((r: BackendRun) => number) | null]> = [
    ['recorded events/s (record calls)', (r) => nf(r.recorded / (r.recordMs / 1000)), (r) => r.recorded / r.recordMs],
    ['events recorded', (r) => nf(r.recorded), null],
    ['record loop, pauses included', (r) => `${nf(r.loopMs / 1000, 2)} s`, null],
    ['delivered events/s', (r) => nf(delivered(r)), delivered],
    ['events delivered', (r) => `${nf(r.delivered)}${r.capped ? ` (cut off at ${nf(r.elapsedMs / 1000)} s)` : ''}`, null],
    ['time to deliver', (r) => `${nf(r.elapsedMs / 1000, 2)} s`, null],
    ['requests received', (r) => nf(r.requests), null],
    ['peak RSS', (r) => mib(r.maxRssBytes), (r) => r.maxRssBytes],
    ['bytes written to disk', (r) => mib(r.diskBytes), null],
    ['payload (events JSON delivered)', (r) => mib(r.payloadBytes), null],
    ['written ÷ payload', (r) => `${nf(r.diskBytes / Math.max(1, r.payloadBytes), 2)}×`, null],
  ];
  const widths = [34, 28, 28, 8];
  const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(widths[i] ?? 0) : x.padStart(widths[i] ?? 0))).join('  ');
  const out = [
    `5. Backend mode: ${nf(s.n)} events from ${nf(s.devices)} device IDs over ${s.appKeys} app keys into the local server (chartly: createBackend, file storage; official: CountlyBulk per app key, its default memory queue)`,
    line(['metric', 'chartly', 'official', 'ratio']),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(([name, f, r]) => line([name, cell(chartly, f), cell(official, f), r ? ratio(r) : ''])),
  ];
  if (!chartly.ok) out.push(`   chartly: ${chartly.error.split('\n')[0]}`);
  if (!official.ok) out.push(`   official: ${official.error.split('\n')[0]}`);
  const goals: BackendGoal[] = [];
  if (chartly.ok) {
    const c = chartly.run;
    const x = official.ok ? delivered(c) / delivered(official.run) : null;
    // Both runs may be cut off at their cap: the rates are what each reached until then.
    goals.push({ goal: 'backend: delivered events/s ≥ 10× official bulk', measured: x === null ? 'official failed' : `${nf(x, 1)}×`, pass: x === null ? null : x >= 10 });
    goals.push({ goal: 'backend: peak RSS < 200 MB', measured: mib(c.maxRssBytes), pass: c.maxRssBytes < 200 * 1024 * 1024 });
    const w = c.diskBytes / Math.max(1, c.payloadBytes);
    // Cut off, the disk also holds the requests still queued (at most `highWater`): the ratio errs high.
    goals.push({ goal: 'backend: bytes written ≤ 2× payload', measured: `${nf(w, 2)}×`, pass: w <= 2 });
  } else goals.push({ goal: 'backend goals', measured: 'not measured', pass: null });
  return { text: out.join('\n'), goals, raw: { settings: s, chartly, official } };
}
