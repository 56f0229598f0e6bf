/**
 * `npm run bench`: the same workloads through chartly and the official countly-sdk-nodejs,
 * side by side, each job in its own child process. Prints one table with chartly/official
 * ratios and saves everything to bench/results/latest.json (a subset run: only-<list>.json). See docs/benchmark.md.
 *
 *   npm run bench                 full run (about 2–3 minutes)
 *   npm run bench -- --quick      smaller counts and caps, for trying the harness
 *   npm run bench -- --only=1,3   a subset of the workloads (5 or `backend`: backend mode, bench/backend.ts;
 *                                 6 or `browser`: headless Chromium vs countly-sdk-web, bench/browser.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, platform, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { DeliverJob, DeliverResult, EnqueueJob, EnqueueResult, Job, JobResult, RecordJob, RecordResult, RunnerMessage, Sdk, WorkerMessage } from './lib.js';
import { startServer, type CountlyTestServer, type ReceivedRequest } from '../src/server/index.js';
import { backendSection } from './backend.js';
import { browserSection } from './browser.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);

// ---- settings -------------------------------------------------------------------------

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = (args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',') ?? ['1', '2', '3', '4', '5', '6']).map((w) => (w === 'backend' ? 5 : w === 'browser' ? 6 : Number(w)));

const SETTINGS = {
  enqueue: {
    depths: [10, 1_000, 10_000],
    /**
     * Measured enqueues per process: depth/10 (so the queue grows by at most ~10% while
     * measured), at least minN, at most maxN, and fewer when the time budget runs out.
     * Shallow depths repeat in fresh processes (`rounds`) to gather enough samples.
     */
    minN: 20,
    maxN: quick ? 200 : 1_000,
    budgetMs: quick ? 1_000 : 4_000,
    rounds: (depth: number): number => (quick ? 1 : depth <= 10 ? 5 : depth <= 1_000 ? 2 : 1),
    /** Untimed enqueues on a throwaway queue before the measured one is filled. */
    warmup: 200,
  },
  /** Each SDK runs `rounds` times, alternating; the round with the median calls/s is reported. */
  record: { n: 20_000, warmup: 100, persistCapMs: quick ? 10_000 : 30_000, rounds: quick ? 1 : 3 },
  deliver: {
    n: quick ? 5_000 : 20_000,
    /** Delivery is cut off after this long and the rest extrapolated (labelled). */
    capMs: { chartly: quick ? 30_000 : 60_000, official: quick ? 30_000 : 150_000 } satisfies Record<Sdk, number>,
  },
};

// ---- child processes ------------------------------------------------------------------

const WORKER: Record<Sdk, string> = {
  chartly: join(here, 'chartly-worker.ts'),
  official: join(here, 'official-worker.ts'),
};

type Outcome<R> = { ok: true; result: R } | { ok: false; error: string };

interface JobHooks {
  onReady?(child: ChildProcess, send: (m: RunnerMessage) => void): void;
}

/** Temp directories of running jobs, removed even when the run is interrupted. */
const liveDirs = new Set<string>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

/** Runs one job in a fresh worker process with its own temp storage directory. */
function runJob<R extends JobResult>(sdk: Sdk, job: Omit<Job, 'dir'>, timeoutMs: number, hooks: JobHooks = {}): Promise<Outcome<R>> {
  const dir = mkdtempSync(join(tmpdir(), `chartly-bench-${sdk}-`));
  liveDirs.add(dir);
  const fullJob = { ...job, dir } as Job;
  return new Promise<Outcome<R>>((resolve) => {
    let settled = false;
    const child = fork(WORKER[sdk], [JSON.stringify(fullJob)], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const finish = (outcome: Outcome<R>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `timed out after ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
    const send = (m: RunnerMessage): void => {
      if (child.connected) child.send(m);
    };
    child.on('message', (raw) => {
      const m = raw as WorkerMessage;
      if (m.type === 'ready') hooks.onReady?.(child, send);
      else if (m.type === 'result') finish({ ok: true, result: m.result as R });
      else if (m.type === 'error') finish({ ok: false, error: m.message });
    });
    child.on('error', (error) => finish({ ok: false, error: String(error) }));
    child.on('exit', (code, signal) => finish({ ok: false, error: `worker exited (${signal ?? `code ${code}`}) without a result` }));
  });
}

/** A URL nothing listens on: a port that was free a moment ago. */
function closedUrl(): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}

const firstLine = (error: string): string => error.split('\n').find((l) => l.trim() !== '')?.trim() ?? error;

// ---- workload 1: enqueue cost vs queue depth ------------------------------------------

interface DepthRow {
  depth: number;
  chartly: Outcome<EnqueueResult>;
  official: Outcome<EnqueueResult>;
}

/** Sums the rounds of one depth into one result (means weighted by the measured counts). */
function combineRounds(outcomes: Outcome<EnqueueResult>[]): Outcome<EnqueueResult> {
  const failed = outcomes.find((o) => !o.ok);
  if (failed) return failed;
  const results = outcomes.map((o) => (o as { result: EnqueueResult }).result);
  const n = results.reduce((sum, r) => sum + r.n, 0);
  const mean = (f: (r: EnqueueResult) => number): number => results.reduce((sum, r) => sum + f(r) * r.n, 0) / n;
  const first = results[0] as EnqueueResult;
  return {
    ok: true,
    result: {
      ...first,
      n,
      fillMs: mean((r) => r.fillMs),
      callUs: mean((r) => r.callUs),
      writtenUs: mean((r) => r.writtenUs),
      bytesPerEnqueue: mean((r) => r.bytesPerEnqueue),
      // The deepest the queue got in any round.
      maxDepth: Math.max(...results.map((r) => r.reachedDepth + r.n)),
      rounds: results.length,
    },
  };
}

async function workloadEnqueue(): Promise<DepthRow[]> {
  const s = SETTINGS.enqueue;
  const rows: DepthRow[] = [];
  for (const depth of s.depths) {
    const n = Math.min(s.maxN, Math.max(s.minN, Math.round(depth / 10)));
    const job: Omit<EnqueueJob, 'dir'> = { kind: 'enqueue', url: await closedUrl(), depth, n, minN: s.minN, budgetMs: s.budgetMs, warmup: s.warmup };
    const rounds = s.rounds(depth);
    const outcomes: Record<Sdk, Outcome<EnqueueResult>[]> = { chartly: [], official: [] };
    for (let round = 1; round <= rounds; round++) {
      for (const sdk of ['chartly', 'official'] as const) {
        progress(`1. enqueue at depth ${depth}: ${sdk}${rounds > 1 ? ` (round ${round}/${rounds})` : ''}`);
        outcomes[sdk].push(await runJob<EnqueueResult>(sdk, job, 120_000));
      }
    }
    rows.push({ depth, chartly: combineRounds(outcomes.chartly), official: combineRounds(outcomes.official) });
  }
  return rows;
}

// ---- workload 2: record calls per second ----------------------------------------------

interface RecordRow {
  chartly: Outcome<RecordResult>;
  official: Outcome<RecordResult>;
  rounds: number;
}

async function workloadRecord(): Promise<RecordRow> {
  const s = SETTINGS.record;
  const run = async (sdk: Sdk): Promise<Outcome<RecordResult>> => {
    const server = await startServer();
    try {
      progress(`2. events.record x ${s.n}: ${sdk}${s.rounds > 1 ? ` (of ${s.rounds} rounds each)` : ''}`);
      const job: Omit<RecordJob, 'dir'> = { kind: 'record', url: server.url, n: s.n, warmup: s.warmup, persistCapMs: s.persistCapMs };
      return await runJob<RecordResult>(sdk, job, s.persistCapMs + 60_000);
    } finally {
      await server.close();
    }
  };
  const outcomes: Record<Sdk, Outcome<RecordResult>[]> = { chartly: [], official: [] };
  for (let round = 0; round < s.rounds; round++) {
    for (const sdk of ['chartly', 'official'] as const) outcomes[sdk].push(await run(sdk));
  }
  return { chartly: median(outcomes.chartly), official: median(outcomes.official), rounds: s.rounds };
}

/** The round with the median calls/s (the first failure if any round failed). */
function median(outcomes: Outcome<RecordResult>[]): Outcome<RecordResult> {
  const failed = outcomes.find((o) => !o.ok);
  if (failed) return failed;
  const sorted = [...outcomes].sort((a, b) => (a.ok && b.ok ? a.result.callsPerSec - b.result.callsPerSec : 0));
  const mid = sorted[Math.floor(sorted.length / 2)] as Outcome<RecordResult>;
  return mid.ok ? { ok: true, result: { ...mid.result, allCallsPerSec: outcomes.map((o) => (o.ok ? o.result.callsPerSec : 0)) } } : mid;
}

// ---- workload 3: deliver N events to the local server ---------------------------------

interface DeliverOutcome {
  worker: DeliverResult;
  /** Events the server accepted when the run ended. */
  delivered: number;
  /** From the runner's go until the server held all events (or the cap). */
  elapsedMs: number;
  capped: boolean;
  /** Bytes of the `events` JSON the server accepted. */
  payloadBytes: number;
  requests: number;
}

interface DeliverRow {
  n: number;
  chartly: Outcome<DeliverOutcome>;
  official: Outcome<DeliverOutcome>;
}

/** Counts accepted events and their JSON bytes as requests finish, without rescanning. */
function eventCounter(server: CountlyTestServer): { events: number; payloadBytes: number; requests: number; update(list: readonly ReceivedRequest[]): void } {
  const counted = new WeakSet<ReceivedRequest>();
  let cursor = 0;
  const state = {
    events: 0,
    payloadBytes: 0,
    requests: 0,
    update(list: readonly ReceivedRequest[]) {
      // Both SDKs send one request at a time, so requests finish in arrival order.
      while (cursor < list.length) {
        const r = list[cursor] as ReceivedRequest;
        if (r.status === 0) break;
        cursor++;
        if (counted.has(r)) continue;
        counted.add(r);
        state.requests++;
        const events = r.accepted && r.path === '/i' ? r.params.events : undefined;
        if (events === undefined) continue;
        state.payloadBytes += Buffer.byteLength(events);
        state.events += (JSON.parse(events) as unknown[]).length;
      }
    },
  };
  void server;
  return state;
}

async function workloadDeliver(): Promise<DeliverRow> {
  const s = SETTINGS.deliver;
  return { n: s.n, chartly: await runDeliver('chartly'), official: await runDeliver('official') };
}

/**
 * Workload 4: chartly alone, the same delivery with every record in its own run (a trickle),
 * so each event is written to the event store before its batch request is. The official
 * SDK is not run again: its writes per call are the same whatever the pace.
 */
async function workloadTrickle(): Promise<Outcome<DeliverOutcome>> {
  return runDeliver('chartly', 'trickle');
}

async function runDeliver(sdk: Sdk, pace: 'burst' | 'trickle' = 'burst'): Promise<Outcome<DeliverOutcome>> {
  const s = SETTINGS.deliver;
  {
    const server = await startServer();
    const counter = eventCounter(server);
    let t0 = 0;
    let elapsedMs = 0;
    let capped = false;
    try {
      progress(`${pace === 'burst' ? 3 : 4}. deliver ${s.n} events (${pace}): ${sdk} (cap ${s.capMs[sdk] / 1000} s)`);
      const job: Omit<DeliverJob, 'dir'> = { kind: 'deliver', url: server.url, n: s.n, pace };
      const outcome = await runJob<DeliverResult>(sdk, job, s.capMs[sdk] + 60_000, {
        onReady: (_child, send) => {
          t0 = performance.now();
          send({ type: 'go' });
          server
            .waitFor((list) => {
              counter.update(list);
              return counter.events >= s.n;
            }, s.capMs[sdk])
            .catch(() => {
              capped = true;
            })
            .finally(() => {
              elapsedMs = performance.now() - t0;
              send({ type: 'stop' });
            });
        },
      });
      if (!outcome.ok) return outcome;
      counter.update(server.received);
      return {
        ok: true,
        result: { worker: outcome.result, delivered: counter.events, elapsedMs, capped, payloadBytes: counter.payloadBytes, requests: counter.requests },
      };
    } finally {
      await server.close();
    }
  }
}

// ---- formatting -----------------------------------------------------------------------

const nf = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function fmtBytes(b: number): string {
  if (b < 1024) return `${nf(b, 0)} B`;
  if (b < 1024 ** 2) return `${nf(b / 1024, 1)} KiB`;
  if (b < 1024 ** 3) return `${nf(b / 1024 ** 2, 2)} MiB`;
  return `${nf(b / 1024 ** 3, 2)} GiB`;
}

function fmtUs(us: number): string {
  if (us < 1000) return `${nf(us, 1)} µs`;
  return `${nf(us / 1000, 2)} ms`;
}

const fmtRatio = (a: number, b: number): string => (b === 0 || !Number.isFinite(a / b) ? 'n/a' : `${nf(a / b, a / b < 10 ? 2 : 1)}×`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

interface Goal {
  goal: string;
  measured: string;
  pass: boolean | null;
}

function reportEnqueue(rows: DepthRow[], goals: Goal[]): string {
  const val = (o: Outcome<EnqueueResult>, f: (r: EnqueueResult) => string): string => (o.ok ? f(o.result) : 'failed');
  const ratio = (row: DepthRow, f: (r: EnqueueResult) => number): string =>
    row.chartly.ok && row.official.ok ? fmtRatio(f(row.chartly.result), f(row.official.result)) : 'n/a';
  const body = rows.map((row) => [
    nf(row.depth),
    val(row.chartly, (r) => fmtUs(r.writtenUs)),
    val(row.official, (r) => fmtUs(r.writtenUs)),
    ratio(row, (r) => r.writtenUs),
    val(row.chartly, (r) => fmtBytes(r.bytesPerEnqueue)),
    val(row.official, (r) => fmtBytes(r.bytesPerEnqueue)),
    ratio(row, (r) => r.bytesPerEnqueue),
    val(row.chartly, (r) => fmtUs(r.callUs)),
    val(row.official, (r) => fmtUs(r.callUs)),
    `${val(row.chartly, (r) => nf(r.n))} / ${val(row.official, (r) => nf(r.n))}`,
    `${val(row.chartly, (r) => nf(r.maxDepth ?? r.reachedDepth + r.n))} / ${val(row.official, (r) => nf(r.maxDepth ?? r.reachedDepth + r.n))}`,
  ]);
  const out = [
    '1. Enqueue one request with file storage, nothing sent: time until written, disk bytes written, time of the call itself',
    table(
      ['depth', 'time chartly', 'time official', 'ratio', 'bytes chartly', 'bytes official', 'ratio', 'call chartly', 'call official', 'samples c / o', 'max depth c / o'],
      body,
    ),
  ];
  const errors = rows.flatMap((r) => [
    ...(r.chartly.ok ? [] : [`   chartly at depth ${r.depth}: ${firstLine(r.chartly.error)}`]),
    ...(r.official.ok ? [] : [`   official at depth ${r.depth}: ${firstLine(r.official.error)}`]),
  ]);
  out.push(...errors);
  const low = rows[0]?.chartly;
  const high = rows[rows.length - 1]?.chartly;
  if (low?.ok && high?.ok) {
    const t = high.result.writtenUs / low.result.writtenUs;
    const b = high.result.bytesPerEnqueue / low.result.bytesPerEnqueue;
    goals.push({ goal: `chartly enqueue time, depth ${nf(rows[rows.length - 1]?.depth ?? 0)} ÷ depth ${nf(rows[0]?.depth ?? 0)} ≤ 1.5×`, measured: `${nf(t, 2)}×`, pass: t <= 1.5 });
    goals.push({ goal: `chartly bytes per enqueue, depth ${nf(rows[rows.length - 1]?.depth ?? 0)} ÷ depth ${nf(rows[0]?.depth ?? 0)} ≤ 1.5×`, measured: `${nf(b, 2)}×`, pass: b <= 1.5 });
  } else {
    goals.push({ goal: 'chartly enqueue stays flat (≤ 1.5× from depth 10 to 10,000)', measured: 'not measured', pass: null });
  }
  return out.join('\n');
}

function reportRecord(row: RecordRow, goals: Goal[]): string {
  const n = SETTINGS.record.n;
  const val = (o: Outcome<RecordResult>, f: (r: RecordResult) => string): string => (o.ok ? f(o.result) : 'failed');
  const ratio = (f: (r: RecordResult) => number | null): string => {
    if (!row.chartly.ok || !row.official.ok) return 'n/a';
    const a = f(row.chartly.result);
    const b = f(row.official.result);
    return a === null || b === null ? 'n/a' : fmtRatio(a, b);
  };
  const persisted = (r: RecordResult): string => (r.persistedMs === null ? `> ${nf(SETTINGS.record.persistCapMs / 1000)} s (cap)` : `${nf(r.persistedMs, 1)} ms`);
  const out = [
    `2. events.record x ${nf(n)} with file storage, server reachable${row.rounds > 1 ? ` (median of ${row.rounds} runs each)` : ''}`,
    table(
      ['metric', 'chartly', 'official', 'ratio'],
      [
        ['calls per second', val(row.chartly, (r) => nf(r.callsPerSec)), val(row.official, (r) => nf(r.callsPerSec)), ratio((r) => r.callsPerSec)],
        ['record loop', val(row.chartly, (r) => `${nf(r.loopMs, 1)} ms`), val(row.official, (r) => `${nf(r.loopMs, 1)} ms`), ratio((r) => r.loopMs)],
        ['until all persisted', val(row.chartly, persisted), val(row.official, persisted), ratio((r) => r.persistedMs)],
      ],
    ),
  ];
  if (!row.chartly.ok) out.push(`   chartly: ${firstLine(row.chartly.error)}`);
  if (!row.official.ok) out.push(`   official: ${firstLine(row.official.error)}`);
  if (row.rounds > 1) {
    const all = (o: Outcome<RecordResult>): string => (o.ok ? (o.result.allCallsPerSec ?? []).map((x) => nf(x)).join(', ') : 'failed');
    out.push(`   calls/s of every run — chartly: ${all(row.chartly)}; official: ${all(row.official)}`);
  }
  goals.push(
    row.chartly.ok && row.official.ok
      ? {
          goal: 'chartly events.record calls/s ≥ official',
          measured: `${nf(row.chartly.result.callsPerSec)} vs ${nf(row.official.result.callsPerSec)}`,
          pass: row.chartly.result.callsPerSec >= row.official.result.callsPerSec,
        }
      : { goal: 'chartly events.record calls/s ≥ official', measured: 'not measured', pass: null },
  );
  return out.join('\n');
}

interface DeliverFigures {
  seconds: number;
  eventsPerSec: number;
  diskBytes: number;
  payloadBytes: number;
  extrapolated: boolean;
  delivered: number;
}

/** Measured figures, or (when cut off by the cap) linear extrapolations to all N events. */
function deliverFigures(o: DeliverOutcome, n: number): DeliverFigures {
  const rate = o.delivered / (o.elapsedMs / 1000);
  if (!o.capped || o.delivered >= n || o.delivered === 0) {
    return { seconds: o.elapsedMs / 1000, eventsPerSec: rate, diskBytes: o.worker.diskBytes, payloadBytes: o.payloadBytes, extrapolated: false, delivered: o.delivered };
  }
  const scale = n / o.delivered;
  return { seconds: n / rate, eventsPerSec: rate, diskBytes: o.worker.diskBytes * scale, payloadBytes: o.payloadBytes * scale, extrapolated: true, delivered: o.delivered };
}

function reportDeliver(row: DeliverRow, goals: Goal[]): string {
  const fig = (o: Outcome<DeliverOutcome>): DeliverFigures | null => (o.ok ? deliverFigures(o.result, row.n) : null);
  const c = fig(row.chartly);
  const o = fig(row.official);
  const mark = (f: DeliverFigures | null, s: string): string => (f === null ? 'failed' : f.extrapolated ? `~${s}*` : s);
  const ratio = (f: (x: DeliverFigures) => number): string => (c && o ? fmtRatio(f(c), f(o)) : 'n/a');
  const cell = (f: DeliverFigures | null, g: (x: DeliverFigures) => string): string => (f ? mark(f, g(f)) : 'failed');
  const out = [
    `3. Deliver ${nf(row.n)} events to the local server, default settings, file storage`,
    table(
      ['metric', 'chartly', 'official', 'ratio'],
      [
        ['time to deliver all', cell(c, (f) => `${nf(f.seconds, 2)} s`), cell(o, (f) => `${nf(f.seconds, 2)} s`), ratio((f) => f.seconds)],
        ['events per second', cell(c, (f) => nf(f.eventsPerSec)), cell(o, (f) => nf(f.eventsPerSec)), ratio((f) => f.eventsPerSec)],
        ['bytes written to disk', cell(c, (f) => fmtBytes(f.diskBytes)), cell(o, (f) => fmtBytes(f.diskBytes)), ratio((f) => f.diskBytes)],
        ['payload (events JSON)', cell(c, (f) => fmtBytes(f.payloadBytes)), cell(o, (f) => fmtBytes(f.payloadBytes)), ratio((f) => f.payloadBytes)],
        ['written ÷ payload', cell(c, (f) => `${nf(f.diskBytes / f.payloadBytes, 2)}×`), cell(o, (f) => `${nf(f.diskBytes / f.payloadBytes, 1)}×`), ratio((f) => f.diskBytes / f.payloadBytes)],
        [
          'requests received',
          row.chartly.ok ? nf(row.chartly.result.requests) : 'failed',
          row.official.ok ? nf(row.official.result.requests) : 'failed',
          '',
        ],
      ],
    ),
  ];
  for (const [name, f, outcome] of [['chartly', c, row.chartly], ['official', o, row.official]] as const) {
    if (!outcome.ok) out.push(`   ${name}: ${firstLine(outcome.error)}`);
    else if (f?.extrapolated) {
      out.push(
        `   * ${name}: cut off at ${nf(outcome.result.elapsedMs / 1000, 1)} s with ${nf(f.delivered)} of ${nf(row.n)} events delivered; time, bytes and payload extrapolated linearly to ${nf(row.n)}`,
      );
    } else if (outcome.result.capped) out.push(`   ${name}: cut off at the cap with ${nf(f?.delivered ?? 0)} events delivered`);
  }
  if (c) {
    goals.push({ goal: 'chartly delivers ≥ 10,000 events/s', measured: nf(c.eventsPerSec), pass: !c.extrapolated && c.eventsPerSec >= 10_000 });
    const x = c.diskBytes / c.payloadBytes;
    goals.push({ goal: 'chartly bytes written ≤ 3× payload', measured: `${nf(x, 2)}×`, pass: !c.extrapolated && x <= 3 });
  } else {
    goals.push({ goal: 'chartly delivers ≥ 10,000 events/s, bytes ≤ 3× payload', measured: 'not measured', pass: null });
  }
  return out.join('\n');
}

function reportTrickle(outcome: Outcome<DeliverOutcome>, n: number): string {
  const head = `4. chartly only: deliver ${nf(n)} events recorded one per macrotask (a trickle), default settings, file storage`;
  if (!outcome.ok) return `${head}\n   chartly: ${firstLine(outcome.error)}`;
  const f = deliverFigures(outcome.result, n);
  const mark = (v: string): string => (f.extrapolated ? `~${v}*` : v);
  return [
    head,
    table(
      ['metric', 'chartly'],
      [
        ['time to deliver all', mark(`${nf(f.seconds, 2)} s`)],
        ['events per second', mark(nf(f.eventsPerSec))],
        ['bytes written to disk', mark(fmtBytes(f.diskBytes))],
        ['payload (events JSON)', mark(fmtBytes(f.payloadBytes))],
        ['written ÷ payload', mark(`${nf(f.diskBytes / f.payloadBytes, 2)}×`)],
        ['requests received', nf(outcome.result.requests)],
      ],
    ),
  ].join('\n');
}

function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}

// ---- main -----------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const officialVersion = (require('countly-sdk-nodejs/package.json') as { version: string }).version;
  const chartlyVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const cpuList = cpus();
  const date = new Date().toISOString();
  const header = [
    `chartly ${chartlyVersion} vs countly-sdk-nodejs ${officialVersion} — ${date}${quick ? ' — QUICK RUN (smaller counts, shorter caps)' : ''}`,
    `Node ${process.version} · ${platform()} ${arch()} · ${cpuList.length} CPU(s) · ${cpuList[0]?.model ?? 'unknown CPU'}`,
    `Each job runs in its own process; disk bytes = /proc/self/io wchar delta − socket bytes. Ratios are chartly/official.`,
  ].join('\n');
  process.stderr.write(`running the benchmark${quick ? ' (quick)' : ''}; the table follows on stdout\n`);

  const goals: Goal[] = [];
  const sections: string[] = [];
  const raw: Record<string, unknown> = {};
  if (only.includes(1)) {
    const rows = await workloadEnqueue();
    raw.enqueue = rows;
    sections.push(reportEnqueue(rows, goals));
  }
  if (only.includes(2)) {
    const row = await workloadRecord();
    raw.record = row;
    sections.push(reportRecord(row, goals));
  }
  if (only.includes(3)) {
    const row = await workloadDeliver();
    raw.deliver = row;
    sections.push(reportDeliver(row, goals));
  }
  if (only.includes(4)) {
    const outcome = await workloadTrickle();
    raw.trickle = outcome;
    sections.push(reportTrickle(outcome, SETTINGS.deliver.n));
  }
  if (only.includes(5)) {
    const section = await backendSection(quick, progress);
    raw.backend = section.raw;
    sections.push(section.text);
    goals.push(...section.goals);
  }
  if (only.includes(6)) {
    // Skipped with the reason printed when there is no Chromium (bench/browser.ts).
    const section = await browserSection(quick, progress);
    raw.browser = section.raw;
    sections.push(section.text);
    goals.push(...section.goals);
  }
  const goalTable = table(
    ['goal', 'measured', 'verdict'],
    goals.map((g) => [g.goal, g.measured, g.pass === null ? 'n/a' : verdict(g.pass)]),
  );
  const totalS = (performance.now() - started) / 1000;
  const text = [header, '', ...sections.flatMap((s) => [s, '']), goalTable, '', `total ${nf(totalS, 1)} s`].join('\n');
  process.stdout.write(`\n${text}\n`);

  const resultsDir = join(here, 'results');
  mkdirSync(resultsDir, { recursive: true });
  // A subset run (`--only`) keeps the last full run's file: it saves beside it.
  const full = [1, 2, 3, 4, 5, 6].every((w) => only.includes(w));
  const file = full ? 'latest.json' : `only-${[...new Set(only)].sort().join('-')}.json`;
  writeFileSync(
    join(resultsDir, file),
    `${JSON.stringify(
      {
        date,
        quick,
        node: process.version,
        platform: `${platform()} ${arch()}`,
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model ?? null,
        versions: { chartly: chartlyVersion, official: officialVersion },
        settings: SETTINGS,
        results: raw,
        goals,
        totalSeconds: totalS,
        table: text,
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`saved bench/results/${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
