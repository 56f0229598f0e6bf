/**
 * Section 6 of `npm run bench`: the browser. chartly (`createCountly` bundled by esbuild,
 * minified) and the official `countly-sdk-web` (its `lib/countly.min.js`) side by side in
 * headless Chromium (Debian's /usr/bin/chromium via playwright-core), each run in a fresh
 * browser context (its own IndexedDB and localStorage) with a person's user agent, against
 * the local Countly-compatible server on 127.0.0.1. Measured: main-thread busy time after
 * 1,000 and 10,000 record calls, time until the 10,000 are persisted, bundle size
 * (min+gzip), and delivery. Run alone with `npm run bench -- --only=browser` (or `--only=6`).
 * The page side is bench/browser-pages/driver.ts; docs/benchmark.md defines each figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { startServer, type CountlyTestServer, type ReceivedRequest } from '../src/server/index.js';
import type { BackendGoal } from './backend.js';
import type { BusyResult, LongTask, PersistResult } from './browser-pages/driver.js';

const here = dirname(fileURLToPath(import.meta.url));
const pagesDir = join(here, 'browser-pages');
const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHARTLY_CHROMIUM ?? '/usr/bin/chromium';
/** The same flags as the browser tests (test/browser/harness.ts). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

type Sdk = 'chartly' | 'official';
const SDKS: readonly Sdk[] = ['chartly', 'official'];

export interface BrowserSettings {
  counts: number[];
  rounds: number;
  /** Untimed records (key `warm`) after start, then `settleMs` of quiet before measuring. */
  warmup: number;
  settleMs: number;
  /** Idle main-thread time is measured for this long before the loop and subtracted. */
  baselineMs: number;
  /** Main-thread time is summed from the loop's start until this long after it. */
  windowMs: number;
  /** A record loop stops after this long (the official SDK needs ~4 s for 1,000 calls); a capped count runs once. */
  loopCapMs: number;
  persistN: number;
  persistCapMs: number;
  deliverCapMs: number;
}

export const browserSettings = (quick: boolean): BrowserSettings => ({
  counts: [1_000, 10_000],
  rounds: quick ? 1 : 3,
  warmup: 100,
  settleMs: 1_000,
  baselineMs: 1_000,
  windowMs: 2_000,
  loopCapMs: quick ? 5_000 : 10_000,
  persistN: 10_000,
  persistCapMs: 10_000,
  deliverCapMs: quick ? 20_000 : 60_000,
});

export interface BusyRun extends BusyResult {
  n: number;
  /** Main-thread task time from the loop's start until `windowMs` after it, idle baseline subtracted. */
  busyMs: number;
  baselineMsPerS: number;
  longTasks: LongTask[];
}

export interface DeliveryRun {
  persist: PersistResult;
  /** Measured events the server accepted (every copy) and distinct ones, at the end. */
  received: number;
  distinct: number;
  /** From the loop's end until the server held every measured event (99 % of them); null at the cap. */
  deliveredMs: number | null;
  delivered99Ms: number | null;
  requests: number;
  /** Requests the server did not accept (path, status, error), and the first missing events. */
  refused: string[];
  missing: number[];
}

type Outcome<R> = { ok: true; result: R } | { ok: false; error: string };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const nf = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x: number): string => `${nf(x, x < 100 ? 1 : 0)} ms`;

// ---- what the pages load ------------------------------------------------------------------

interface Assets {
  html: string;
  driver: string;
  sdk: Record<Sdk, string>;
  versions: Record<Sdk, string>;
}

async function bundle(entry: string, options: { minify: boolean; globalName?: string }): Promise<string> {
  const out = (await build({ entryPoints: [join(pagesDir, entry)], bundle: true, format: 'iife', platform: 'browser', write: false, logLevel: 'silent', ...options })).outputFiles[0];
  if (!out) throw new Error(`esbuild produced no bundle for ${entry}`);
  return out.text;
}

async function loadAssets(): Promise<Assets> {
  const version = (file: string): string => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  return {
    html: readFileSync(join(pagesDir, 'page.html'), 'utf8'),
    driver: await bundle('driver.ts', { minify: false }),
    // The official SDK's own minified build, the file its docs load with a <script> tag.
    sdk: { chartly: await bundle('chartly-sdk.ts', { minify: true, globalName: 'ChartlySdk' }), official: readFileSync(require.resolve('countly-sdk-web/lib/countly.min.js'), 'utf8') },
    versions: { chartly: version(join(here, '..', 'package.json')), official: version(require.resolve('countly-sdk-web/package.json')) },
  };
}

const sizeOf = (text: string): { minBytes: number; gzipBytes: number } => ({ minBytes: Buffer.byteLength(text), gzipBytes: gzipSync(text, { level: 9 }).length });

/** One static origin per SDK: the page, its SDK file and the driver. */
function servePages(assets: Assets, sdk: Sdk): Promise<{ origin: string; close(): Promise<void> }> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', assets.html],
    '/sdk.js': ['text/javascript; charset=utf-8', assets.sdk[sdk]],
    '/driver.js': ['text/javascript; charset=utf-8', assets.driver],
  };
  const server: Server = createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0] ?? '/'];
    res.writeHead(file ? 200 : 404, { 'Content-Type': file?.[0] ?? 'text/plain', 'Cache-Control': 'no-store' });
    res.end(file?.[1] ?? 'not found');
  });
  const close = (): Promise<void> => new Promise<void>((done) => server.close(() => done()));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close })));
}

// ---- one page -----------------------------------------------------------------------------

interface Session {
  page: Page;
  cdp: CDPSession;
  server: CountlyTestServer;
  close(): Promise<void>;
}

async function openSession(browser: Browser, userAgent: string, origin: string, sdk: Sdk, s: BrowserSettings): Promise<Session> {
  const server = await startServer();
  const context = await browser.newContext({ userAgent });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`${origin}/`);
    await page.evaluate(({ sdk, url }) => window.bench.start(sdk, url, 'bench'), { sdk, url: server.url });
    await page.evaluate((n) => window.bench.warm(n), s.warmup);
    await sleep(s.settleMs);
    return { page, cdp, server, close: async () => (await context.close(), await server.close()) };
  } catch (error) {
    await context.close();
    await server.close();
    throw error;
  }
}

/** CDP `Performance.getMetrics`: `Timestamp` and `TaskDuration` (seconds) among others. */
async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(list.map((m) => [m.name, m.value]));
}

async function runBusy(browser: Browser, userAgent: string, origin: string, sdk: Sdk, n: number, s: BrowserSettings): Promise<BusyRun> {
  const session = await openSession(browser, userAgent, origin, sdk, s);
  try {
    const { page, cdp } = session;
    const b0 = await metrics(cdp);
    await sleep(s.baselineMs);
    const b1 = await metrics(cdp);
    const rate = (key: string): number => ((b1[key] ?? 0) - (b0[key] ?? 0)) / ((b1.Timestamp ?? 0) - (b0.Timestamp ?? 1));
    const m0 = await metrics(cdp);
    const started = performance.now();
    const r: BusyResult = await page.evaluate(({ count, cap }) => window.bench.busy(count, cap), { count: n, cap: s.loopCapMs });
    await sleep(s.windowMs + r.loopMs - (performance.now() - started));
    const m1 = await metrics(cdp);
    const span = (m1.Timestamp ?? 0) - (m0.Timestamp ?? 0);
    const delta = (key: string): number => 1000 * ((m1[key] ?? 0) - (m0[key] ?? 0) - rate(key) * span);
    const longTasks: LongTask[] = await page.evaluate(() => window.bench.longTasks());
    return { n, ...r, busyMs: delta('TaskDuration'), baselineMsPerS: rate('TaskDuration') * 1000, longTasks };
  } finally {
    await session.close();
  }
}

/** Counts the measured events (key `k`) of accepted requests as they finish, without rescanning. */
function deliveryCounter(): { received: number; distinct: Set<number>; requests: number; reached: number[]; update(list: readonly ReceivedRequest[]): void } {
  const counted = new WeakSet<ReceivedRequest>();
  const state = {
    received: 0,
    distinct: new Set<number>(),
    requests: 0,
    /** reached[k] = when the distinct count first reached k (performance.now()). */
    reached: [] as number[],
    update(list: readonly ReceivedRequest[]) {
      const now = performance.now();
      for (const r of list) {
        if (r.status === 0 || counted.has(r)) continue;
        counted.add(r);
        state.requests++;
        if (!r.accepted || r.params.events === undefined) continue;
        for (const e of JSON.parse(r.params.events) as Array<{ key?: string; segmentation?: { i?: number } }>) {
          if (e.key !== 'k') continue;
          state.received++;
          if (typeof e.segmentation?.i === 'number') state.distinct.add(e.segmentation.i);
        }
        for (let k = state.reached.length; k <= state.distinct.size; k++) state.reached[k] = now;
      }
    },
  };
  return state;
}

async function runDelivery(browser: Browser, userAgent: string, origin: string, sdk: Sdk, s: BrowserSettings): Promise<DeliveryRun> {
  const session = await openSession(browser, userAgent, origin, sdk, s);
  try {
    const { page, server } = session;
    const counter = deliveryCounter();
    // Counting from before the loop, so a request finished while the page still polls is timed.
    let target = s.persistN;
    const counting = server.waitFor((list) => (counter.update(list), counter.distinct.size >= target), 600_000).catch(() => undefined);
    const t0 = performance.now();
    const persist: PersistResult = await page.evaluate(({ n, loopCap, cap }) => window.bench.persist(n, loopCap, cap), { n: s.persistN, loopCap: s.loopCapMs, cap: s.persistCapMs });
    const loopEnd = t0 + persist.loopMs;
    target = persist.recorded;
    counter.update(server.received);
    // The cap counts from the loop's end.
    const deadline = loopEnd + s.deliverCapMs;
    while (counter.distinct.size < target && performance.now() < deadline) await sleep(50);
    counter.update(server.received);
    void counting;
    const at = counter.reached[target];
    const at99 = counter.reached[Math.ceil(target * 0.99)];
    const missing: number[] = [];
    for (let i = 0; i < target && missing.length < 10; i++) if (!counter.distinct.has(i)) missing.push(i);
    return {
      refused: server.received.filter((r) => r.status !== 0 && !r.accepted).map((r) => `${r.path} ${r.status} ${r.error ?? ''}`.trim()),
      missing,
      persist,
      received: counter.received,
      distinct: counter.distinct.size,
      deliveredMs: at === undefined ? null : at - loopEnd,
      delivered99Ms: at99 === undefined ? null : at99 - loopEnd,
      requests: counter.requests,
    };
  } finally {
    await session.close();
  }
}

// ---- the section --------------------------------------------------------------------------

export type BrowserGoal = BackendGoal;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function attempt<R>(f: () => Promise<R>): Promise<Outcome<R>> {
  try {
    return { ok: true, result: await f() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message.split('\n')[0] ?? error.message : String(error) };
  }
}

export async function browserSection(quick: boolean, progress: (m: string) => void): Promise<{ text: string; goals: BrowserGoal[]; raw: unknown }> {
  const s = browserSettings(quick);
  const head = '6. Browser: headless Chromium, chartly (createCountly, IndexedDB) vs countly-sdk-web (localStorage), a fresh page each run';
  if (!existsSync(CHROMIUM)) {
    const reason = `skipped: no Chromium at ${CHROMIUM} (set CHARTLY_CHROMIUM to another binary)`;
    return { text: `${head}\n   ${reason}`, goals: [{ goal: 'browser goals', measured: 'not measured (no Chromium)', pass: null }], raw: { skipped: reason } };
  }
  const assets = await loadAssets();
  const sizes = { chartly: sizeOf(assets.sdk.chartly), official: sizeOf(assets.sdk.official) };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const origins = { chartly: await servePages(assets, 'chartly'), official: await servePages(assets, 'official') };
  const busy: Record<Sdk, Record<number, Outcome<BusyRun>[]>> = { chartly: {}, official: {} };
  const delivery: Partial<Record<Sdk, Outcome<DeliveryRun>>> = {};
  try {
    const probe = await browser.newPage();
    // A person's Chrome: both SDKs ignore "HeadlessChrome" as a bot.
    const userAgent = (await probe.evaluate(() => navigator.userAgent)).replace('HeadlessChrome', 'Chrome');
    await probe.close();
    for (let round = 1; round <= s.rounds; round++) {
      for (const n of s.counts) {
        for (const sdk of SDKS) {
          const runs = (busy[sdk][n] ??= []);
          // A loop that hit its cap would hit it again: run once.
          if (runs.some((o) => o.ok && o.result.recorded < n)) continue;
          progress(`6. browser: ${nf(n)} records, ${sdk} (round ${round}/${s.rounds})`);
          runs.push(await attempt(() => runBusy(browser, userAgent, origins[sdk].origin, sdk, n, s)));
        }
      }
    }
    for (const sdk of SDKS) {
      progress(`6. browser: persist and deliver ${nf(s.persistN)} records, ${sdk} (cap ${s.deliverCapMs / 1000} s)`);
      delivery[sdk] = await attempt(() => runDelivery(browser, userAgent, origins[sdk].origin, sdk, s));
    }
  } finally {
    await browser.close();
    await origins.chartly.close();
    await origins.official.close();
  }
  return report(s, assets.versions, sizes, busy, delivery);
}

function report(
  s: BrowserSettings,
  versions: Record<Sdk, string>,
  sizes: Record<Sdk, { minBytes: number; gzipBytes: number }>,
  busy: Record<Sdk, Record<number, Outcome<BusyRun>[]>>,
  delivery: Partial<Record<Sdk, Outcome<DeliveryRun>>>,
): { text: string; goals: BrowserGoal[]; raw: unknown } {
  /** The median of a figure over the rounds, or why there is none. */
  const med = (sdk: Sdk, n: number, f: (r: BusyRun) => number): number | string => {
    const runs = busy[sdk][n] ?? [];
    const failed = runs.find((o) => !o.ok);
    if (failed && !failed.ok) return `failed: ${failed.error}`;
    const capped = runs.find((o) => o.ok && o.result.recorded < n);
    if (capped?.ok) return `capped: ${nf(capped.result.recorded)} of ${nf(n)} recorded in ${nf(capped.result.loopMs / 1000, 1)} s`;
    return median(runs.map((o) => (o.ok ? f(o.result) : Number.NaN)));
  };
  const cell = (v: number | string): string => (typeof v === 'number' ? ms(v) : v.startsWith('capped') ? `> ${nf(s.loopCapMs / 1000)} s*` : 'failed');
  const ratio = (a: number | string, b: number | string): string => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${nf(a / b, a / b < 10 ? 2 : 1)}×` : 'n/a');
  const rows: string[][] = [];
  for (const n of s.counts) {
    const line = (label: string, f: (r: BusyRun) => number): void => {
      const c = med('chartly', n, f);
      const o = med('official', n, f);
      rows.push([`${label}, ${nf(n)} records`, cell(c), cell(o), ratio(c, o)]);
    };
    line('busy (main thread)', (r) => r.busyMs);
    line('  record loop', (r) => r.loopMs);
    line('  until first free', (r) => r.firstFreeMs);
    line('  longest task (≥ 50 ms)', (r) => Math.max(0, ...r.longTasks.map((t) => t.durationMs)));
  }
  const d = (sdk: Sdk): DeliveryRun | null => {
    const o = delivery[sdk];
    return o?.ok ? o.result : null;
  };
  const of = (r: DeliveryRun): string => (r.persist.recorded < s.persistN ? ` of ${nf(r.persist.recorded)}*` : '');
  const persisted = (r: DeliveryRun | null): string =>
    r === null ? 'failed' : r.persist.persistedMs === null ? `> ${nf(s.persistCapMs / 1000)} s (${nf(r.persist.found)}${of(r)})` : `${ms(r.persist.persistedMs)}${of(r)}`;
  const deliveredCell = (r: DeliveryRun | null): string =>
    r === null ? 'failed' : r.deliveredMs === null ? `${nf(r.distinct)}${of(r)}, cut off at ${nf(s.deliverCapMs / 1000)} s` : `${nf(r.distinct)}${of(r)} in ${nf(r.deliveredMs / 1000, 2)} s`;
  const kib = (b: number): string => `${nf(b / 1024, 1)} KiB`;
  rows.push(
    [`persisted, ${nf(s.persistN)} records (after the loop)`, persisted(d('chartly')), persisted(d('official')), ''],
    [`delivered of ${nf(s.persistN)} (from the loop's end)`, deliveredCell(d('chartly')), deliveredCell(d('official')), ''],
    ['  99 % of them delivered', ...SDKS.map((k) => { const r = d(k); return r?.delivered99Ms == null ? 'n/a' : `${nf(r.delivered99Ms / 1000, 2)} s`; }), ''],
    ['copies received (duplicates show here)', d('chartly') ? nf(d('chartly')?.received ?? 0) : 'failed', d('official') ? nf(d('official')?.received ?? 0) : 'failed', ''],
    ['bundle, min+gzip (gzip -9)', kib(sizes.chartly.gzipBytes), kib(sizes.official.gzipBytes), ratio(sizes.chartly.gzipBytes, sizes.official.gzipBytes)],
    ['bundle, minified', kib(sizes.chartly.minBytes), kib(sizes.official.minBytes), ratio(sizes.chartly.minBytes, sizes.official.minBytes)],
  );
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['metric', 'chartly', 'official', 'ratio'], ...rows].map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [
    `6. Browser: headless Chromium, chartly ${versions.chartly} (createCountly, IndexedDB) vs countly-sdk-web ${versions.official} (localStorage); median of ${s.rounds} fresh pages per figure`,
    `   busy = main-thread task time (CDP TaskDuration) from the loop's start until ${nf(s.windowMs / 1000)} s after it, idle baseline subtracted`,
    fmt(['metric', 'chartly', 'official', 'ratio']),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(fmt),
  ];
  for (const sdk of SDKS) {
    for (const n of s.counts) for (const o of busy[sdk][n] ?? []) if (!o.ok) out.push(`   ${sdk}, ${nf(n)}: ${o.error}`);
    const o = delivery[sdk];
    if (o && !o.ok) out.push(`   ${sdk}, persist/deliver: ${o.error}`);
  }
  for (const sdk of SDKS) {
    for (const n of s.counts) {
      const v = med(sdk, n, (r) => r.busyMs);
      if (typeof v === 'string' && v.startsWith('capped')) out.push(`   * ${sdk}, ${nf(n)} records: the loop was stopped at its cap (${v.slice('capped: '.length)}); run once`);
    }
    const r = d(sdk);
    if (r && r.persist.recorded < s.persistN) out.push(`   * ${sdk}, persist/deliver: the loop was stopped at its cap with ${nf(r.persist.recorded)} of ${nf(s.persistN)} recorded; figures are for those`);
  }
  const all = (sdk: Sdk, n: number): string => (busy[sdk][n] ?? []).map((o) => (o.ok ? nf(o.result.busyMs, 1) : 'failed')).join(', ');
  for (const n of s.counts) out.push(`   busy of every run, ${nf(n)} — chartly: ${all('chartly', n)}; official: ${all('official', n)} (ms)`);

  const goals: BrowserGoal[] = [];
  const target = (label: string, v: number | string, limit: number): void => {
    goals.push(typeof v === 'number' ? { goal: label, measured: ms(v), pass: v <= limit } : { goal: label, measured: 'not measured', pass: null });
  };
  target('browser: chartly busy ≤ 16 ms after 1,000 records', med('chartly', 1_000, (r) => r.busyMs), 16);
  target('browser: chartly busy ≤ 100 ms after 10,000 records', med('chartly', 10_000, (r) => r.busyMs), 100);
  const p = d('chartly')?.persist.persistedMs;
  target(`browser: chartly persists ${nf(s.persistN)} within 300 ms`, p ?? 'n/a', 300);
  return { text: out.join('\n'), goals, raw: { settings: s, versions, sizes, busy, delivery } };
}
