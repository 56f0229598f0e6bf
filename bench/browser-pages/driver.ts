/**
 * The page side of the browser benchmark (bench/browser.ts), the same for both SDKs: it starts
 * the SDK the page loaded (`ChartlySdk.createCountly` or the official `Countly`), records in a
 * tight loop and measures what the page can see. Bundled by esbuild (IIFE) and loaded after the
 * SDK; the runner calls `window.bench.*` with `page.evaluate` (only JSON crosses).
 *
 * Main-thread time is measured by the runner (CDP `Performance.getMetrics`); the page reports
 * the loop time, when the main thread first took a new task after the loop, and long tasks.
 */
import type { Countly, CountlyConfig } from '../../src/index.js';

type Kind = 'chartly' | 'official';

interface OfficialCountly {
  init(conf: Record<string, unknown>): unknown;
  add_event(event: { key: string; count?: number; segmentation?: Record<string, unknown> }): void;
  app_key?: string;
}

declare global {
  interface Window {
    ChartlySdk?: { createCountly(config: CountlyConfig): Countly };
    Countly?: OfficialCountly;
    bench: BenchDriver;
  }
}

export interface BusyResult {
  /** Records made: `n`, or fewer when the loop hit its cap. */
  recorded: number;
  loopMs: number;
  /** From the first record until a message posted right after the loop was delivered. */
  firstFreeMs: number;
}

export interface LongTask {
  /** Relative to the first record of the loop. */
  startMs: number;
  durationMs: number;
}

export interface PersistResult {
  recorded: number;
  loopMs: number;
  /** From the last record until all `n` were persisted (see bench/browser.ts); null at the cap. */
  persistedMs: number | null;
  /** Distinct measured events found persisted at the last look (of `recorded`). */
  found: number;
  polls: number;
  /** chartly: events first seen in a request already on its way (persisted before it was sent). */
  seenInFlightOnly: number;
}

export interface BenchDriver {
  start(kind: Kind, url: string, appKey: string): Promise<void>;
  /** Records `n` warm-up events (key `warm`) through the same call. */
  warm(n: number): void;
  /** Records `n` events (fewer if the loop runs past `loopCapMs`), then waits for the next task. */
  busy(n: number, loopCapMs: number): Promise<BusyResult>;
  longTasks(): LongTask[];
  /** Records like `busy`, then looks until every recorded event is persisted, at most `capMs`. */
  persist(n: number, loopCapMs: number, capMs: number): Promise<PersistResult>;
}

let record: (key: string, i: number) => void = () => {
  throw new Error('bench driver: start() was not called');
};
let kind: Kind = 'chartly';
let appKey = '';
let loopStart = 0;
const longTasks: LongTask[] = [];

/** `"segmentation":{"i":N}` in stored JSON, escaped once (the official queue stores JSON in JSON) or not. */
const MEASURED = /segmentation\\?":\{\\?"i\\?":(\d+)\}/g;

function collect(text: string, into: Set<number>): void {
  for (const m of text.matchAll(MEASURED)) into.add(Number(m[1]));
}

/**
 * The measured loop. The official SDK's `add_event` grows slower with its queue (about 4 s for
 * 1,000 calls), so the loop checks the clock every 64 calls and stops at the cap.
 */
function loop(n: number, capMs: number): { recorded: number; t0: number; t1: number } {
  const t0 = performance.now();
  loopStart = t0;
  let i = 0;
  while (i < n) {
    record('k', i);
    i++;
    if ((i & 63) === 0 && performance.now() - t0 > capMs) break;
  }
  return { recorded: i, t0, t1: performance.now() };
}

/** Resolves in a fresh task (a timer), so the loop runs like an app's handler and not inside the runner's CDP call. */
const timerTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const nextTask = (): Promise<void> =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });

// ---- chartly: what IndexedDB holds, plus what its requests carried ------------------------

/** Measured events inside request bodies/URLs chartly handed to fetch (it sends a request only after the write that created it is durable). */
const sentByFetch = new Set<number>();

function wrapFetch(): void {
  const original = window.fetch.bind(window);
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    try {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const body = typeof init?.body === 'string' ? init.body : '';
      collect(decodeURIComponent(`${url} ${body}`), sentByFetch);
    } catch {
      // not a request of ours
    }
    return original(input, init);
  };
}

let chartlyDbs: IDBDatabase[] | null = null;

async function openChartlyDbs(): Promise<IDBDatabase[]> {
  if (chartlyDbs) return chartlyDbs;
  const names = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('chartly/'));
  chartlyDbs = await Promise.all(
    names.map(
      (name) =>
        new Promise<IDBDatabase>((resolve, reject) => {
          // No version: the current schema, never an upgrade.
          const req = indexedDB.open(name);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        }),
    ),
  );
  return chartlyDbs;
}

/** Every measured event in chartly's `queues` store (events queue and queued requests alike), one read-only transaction per database. */
async function readChartly(into: Set<number>): Promise<void> {
  for (const db of await openChartlyDbs()) {
    const values = await new Promise<unknown[]>((resolve, reject) => {
      const req = db.transaction('queues', 'readonly').objectStore('queues').getAll();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    for (const v of values) if (typeof v === 'string') collect(v, into);
  }
}

// ---- official: what localStorage holds ----------------------------------------------------

function readOfficial(into: Set<number>): void {
  for (const key of ['cly_event', 'cly_queue']) collect(localStorage.getItem(`${appKey}/${key}`) ?? '', into);
}

// ---- the driver ---------------------------------------------------------------------------

const driver: BenchDriver = {
  async start(k, url, key) {
    kind = k;
    appKey = key;
    if (k === 'chartly') {
      const sdk = window.ChartlySdk;
      if (!sdk) throw new Error('bench driver: ChartlySdk is not loaded');
      const countly = sdk.createCountly({ url, appKey: key });
      await countly.ready;
      record = (eventKey, i) => countly.events.record(eventKey, { segmentation: { i } });
    } else {
      const official = window.Countly;
      if (!official) throw new Error('bench driver: Countly is not loaded');
      // The documented synchronous init: load countly.min.js, then Countly.init({...}).
      official.init({ app_key: key, url });
      record = (eventKey, i) => official.add_event({ key: eventKey, segmentation: { i } });
    }
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longTasks.push({ startMs: e.startTime - loopStart, durationMs: e.duration });
    }).observe({ type: 'longtask', buffered: false });
  },

  warm(n) {
    for (let i = 0; i < n; i++) record('warm', i);
  },

  async busy(n, loopCapMs) {
    longTasks.length = 0;
    await timerTask();
    const { recorded, t0, t1 } = loop(n, loopCapMs);
    // Posted inside the loop's task: delivered once the task, its microtasks and whatever
    // was queued ahead of it have run.
    await nextTask();
    return { recorded, loopMs: t1 - t0, firstFreeMs: performance.now() - t0 };
  },

  longTasks() {
    // The loop's own task started before the loop: keep every task that ended after its start.
    return longTasks.filter((t) => t.startMs + t.durationMs > 0);
  },

  async persist(n, loopCapMs, capMs) {
    if (kind === 'chartly') {
      wrapFetch();
      // Connected before the loop, so the first look starts as soon as the page is free.
      await openChartlyDbs();
    }
    await timerTask();
    const { recorded, t0, t1 } = loop(n, loopCapMs);
    const base = { recorded, loopMs: t1 - t0 };
    let polls = 0;
    const seen = new Set<number>();
    if (kind === 'official') {
      // Read inside the loop's task: what add_event itself wrote.
      for (;;) {
        polls++;
        seen.clear();
        readOfficial(seen);
        if (seen.size >= recorded) return { ...base, persistedMs: performance.now() - t1, found: seen.size, polls, seenInFlightOnly: 0 };
        if (performance.now() - t1 > capMs) return { ...base, persistedMs: null, found: seen.size, polls, seenInFlightOnly: 0 };
        await nextTask();
      }
    }
    // chartly: a union over time, since delivered requests leave the store; an event counts
    // once it was in the store at a look, or rode a request (sent only after its write).
    for (;;) {
      polls++;
      const now = new Set<number>();
      await readChartly(now);
      for (const i of now) seen.add(i);
      const found = new Set([...seen, ...sentByFetch]);
      if (found.size >= recorded) {
        return { ...base, persistedMs: performance.now() - t1, found: found.size, polls, seenInFlightOnly: [...sentByFetch].filter((i) => !seen.has(i)).length };
      }
      if (performance.now() - t1 > capMs) return { ...base, persistedMs: null, found: found.size, polls, seenInFlightOnly: 0 };
    }
  },
};

window.bench = driver;
