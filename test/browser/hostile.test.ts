/**
 * Hostile pages (issue 11, "Bad input"), in headless Chromium: a page that takes away or breaks
 * what the SDK relies on before the SDK loads (`page.addInitScript`). Each scenario runs in a
 * fresh profile with the SDK's default storage and asserts that the page degrades — to memory
 * storage or to single-tab mode — and never to lost data or a thrown error:
 *   - no uncaught page error (`pageerror`: exceptions and unhandled rejections),
 *   - the SDK reaches `ready` (within a bounded wait),
 *   - N recorded events arrive at the local server exactly once after `flush()`,
 *   - the log names the degradation (warning or error).
 *
 * 1. `indexedDB` missing (private mode);
 * 2. `indexedDB.open` throws, or its request fails (the upgrade aborted);
 * 3. Web Locks: `navigator.locks` missing, `request` rejecting, `request` never settling;
 * 4. a `BroadcastChannel` that never delivers (chartly does not use one: unaffected);
 * 5. a page's `history.pushState` patch that throws, with `views.automatic` (the unpatchable
 *    `pushState` case is in pageviews.test.ts).
 *
 * Four of these found defects, fixed with them: no warning when a page without IndexedDB fell
 * back to memory, none for single-tab mode without Web Locks, and a boot that never finished
 * when `navigator.locks.request` never settled (the writer-lock wait had no bound).
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ChartlyDriver, LogLine, StartOptions } from './fixtures/page.js';
import type { PageViewsDriver } from './fixtures/pageviews-page.js';
import { HAS_CHROMIUM, useAppSuite } from './harness.js';

const N = 20;
const KEY = 'hostile-event';
const OPTIONS: StartOptions = { appKey: 'hostile-app', deviceId: 'hostile-user', manualSessions: true };
/** Longer than the writer-lock wait (3 s) and the adopt wait (5 s) of src/adapters/storage/indexeddb.ts. */
const BOOT_WAIT_MS = 7000;

interface Outcome {
  errors: string[];
  /** The status `start()` resolved with, or `timeout` when it did not within the wait. */
  status: string;
  /** The queue after `flush()`, or `timeout`. */
  queue: { requests: number; events: number } | 'timeout';
  logs: LogLine[];
}

describe.skipIf(!HAS_CHROMIUM)('hostile pages degrade, never lose data or throw (headless Chromium)', () => {
  const suite = useAppSuite('hostile-page.ts');

  /** A fresh profile and page, made hostile by `hostile` before the bundle loads. */
  async function open(hostile?: () => void): Promise<{ page: Page; errors: string[] }> {
    const context = await suite.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (hostile) await page.addInitScript(hostile);
    await page.goto(`${suite.pages.origin}/`);
    await page.waitForFunction(() => 'chartly' in window && 'pageviews' in window, undefined, { timeout: 5000 });
    return { page, errors };
  }

  /** Starts the SDK (bounded), records N events, flushes (bounded). */
  async function run(hostile?: () => void, { options = OPTIONS, bootWaitMs = BOOT_WAIT_MS }: { options?: StartOptions; bootWaitMs?: number } = {}): Promise<Outcome> {
    const { page, errors } = await open(hostile);
    const out = await page.evaluate(
      async ([url, options, n, key, wait]) => {
        const driver = (window as unknown as { chartly: ChartlyDriver }).chartly;
        const bounded = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> => Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
        const started = await bounded(driver.start(url, options), wait);
        // Recorded whatever the boot did: calls before `ready` are kept and replayed.
        for (let i = 0; i < n; i++) driver.record(key, { segmentation: { id: `e${i}` } });
        const flushed = started === 'timeout' ? 'timeout' : await bounded(driver.flush(), 5000);
        return {
          status: started === 'timeout' ? 'timeout' : started.status,
          queue: flushed === 'timeout' ? ('timeout' as const) : flushed.queue,
          logs: driver.logs(),
        };
      },
      [suite.server.url, options, N, KEY, bootWaitMs] as const,
    );
    return { ...out, errors };
  }

  const received = (): string[] => suite.server.events().filter((e) => e.key === KEY).map((e) => String((e.segmentation as { id?: unknown } | undefined)?.id));
  const all = Array.from({ length: N }, (_, i) => `e${i}`);

  /** No page error, ready, every event once, nothing left queued. */
  function expectDelivered(o: Outcome): void {
    expect(o.errors).toEqual([]);
    expect(o.status).toBe('ready');
    expect(o.queue).toEqual({ requests: 0, events: 0 });
    expect(received()).toEqual(all);
  }

  const problems = (o: Outcome): LogLine[] => o.logs.filter((l) => l.level === 'warning' || l.level === 'error');
  const named = (o: Outcome, pattern: RegExp): boolean => problems(o).some((l) => pattern.test(l.message));

  // Init scripts run in the page before the bundle; they are serialized, so they close over nothing.
  const noIndexedDb = (): void => void Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  const openThrows = (): void => {
    window.indexedDB.open = () => {
      throw new DOMException('blocked', 'SecurityError');
    };
  };
  /** The open request fails asynchronously: the version upgrade is aborted (after the SDK's own upgrade handler ran). */
  const openFails = (): void => {
    const factory = window.indexedDB;
    const open = factory.open.bind(factory);
    factory.open = (name: string, version?: number) => {
      const request = open(name, version);
      // Registered after the caller's `onupgradeneeded` (set right after open() returns), so it runs second.
      queueMicrotask(() => request.addEventListener('upgradeneeded', () => request.transaction?.abort()));
      return request;
    };
  };
  const noLocks = (): void => void Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  const locksRefuse = (): void => {
    navigator.locks.request = (() => Promise.reject(new DOMException('denied', 'SecurityError'))) as LockManager['request'];
  };
  const locksHang = (): void => {
    navigator.locks.request = (() => new Promise<never>(() => undefined)) as LockManager['request'];
  };
  const deafBroadcastChannel = (): void => {
    (window as unknown as { BroadcastChannel: unknown }).BroadcastChannel = class {
      onmessage = null;
      postMessage(): void {}
      close(): void {}
      addEventListener(): void {}
      removeEventListener(): void {}
    };
  };

  describe('1. indexedDB missing (private mode)', () => {
    it('default storage: every event delivered once, no page error', async () => {
      expectDelivered(await run(noIndexedDb));
    });

    // Was silent (only the info line "storage [memory]"): src/runtime/defaults.ts defaultStorageWarning.
    it('default storage: the log warns that nothing is persisted (memory storage)', async () => {
      const o = await run(noIndexedDb);
      expect(o.errors).toEqual([]);
      expect(named(o, /IndexedDB is not available .*kept in memory only/)).toBe(true);
    });

    it('storage indexeddb asked for explicitly: falls back to memory with an error, delivers', async () => {
      const o = await run(noIndexedDb, { options: { ...OPTIONS, storage: 'indexeddb' } });
      expectDelivered(o);
      expect(named(o, /indexeddb storage failed .*indexedDB is not available.*falling back to memory storage/)).toBe(true);
    });
  });

  describe('2. IndexedDB cannot be opened', () => {
    it('indexedDB.open throws SecurityError: memory storage with an error, every event once', async () => {
      const o = await run(openThrows);
      expectDelivered(o);
      expect(named(o, /indexeddb storage failed \(SecurityError: blocked\); falling back to memory storage/)).toBe(true);
    });

    it('the open request fails (upgrade aborted): memory storage with an error, every event once', async () => {
      const o = await run(openFails);
      expectDelivered(o);
      expect(named(o, /indexeddb storage failed \(AbortError: .*\); falling back to memory storage/)).toBe(true);
    });
  });

  describe('3. Web Locks blocked: single-tab mode', () => {
    for (const [name, hostile] of [
      ['navigator.locks missing', noLocks],
      ['navigator.locks.request rejects', locksRefuse],
    ] as const) {
      it(`${name}: IndexedDB still used, every event once, no page error`, async () => {
        const o = await run(hostile);
        expectDelivered(o);
        expect(o.logs.some((l) => l.message.includes('storage [indexeddb]'))).toBe(true);
      });

      // Was silent: the adapter now reports it in StorageContents.warnings, logged at boot.
      it(`${name}: the log warns of single-tab mode`, async () => {
        const o = await run(hostile);
        expect(o.errors).toEqual([]);
        expect(named(o, /\[Storage\] read, .*Web Locks.*single-tab mode/)).toBe(true);
      });
    }

    // Hung forever before: the writer-lock wait had no bound (now WRITER_LOCK_WAIT_MS, 3 s,
    // after which the adapter runs single-tab and does not ask the lock manager again).
    it('navigator.locks.request never settles: the boot still finishes within the wait, warns, delivers', async () => {
      const o = await run(locksHang);
      expect(o.errors).toEqual([]);
      expect(o.status).toBe('ready');
      expect(o.queue).toEqual({ requests: 0, events: 0 });
      expect(received()).toEqual(all);
      expect(named(o, /did not grant it within 3 s: .*single-tab mode/)).toBe(true);
    }, 30_000);
  });

  describe('4. a BroadcastChannel that never delivers', () => {
    // chartly uses no BroadcastChannel (tabs coordinate through IndexedDB and Web Locks): unaffected.
    it('changes nothing: IndexedDB, every event once, no warning, no page error', async () => {
      const o = await run(deafBroadcastChannel);
      expectDelivered(o);
      expect(o.logs.some((l) => l.message.includes('storage [indexeddb]'))).toBe(true);
      expect(problems(o)).toEqual([]);
    });
  });

  describe('5. a history.pushState patch that throws (views.automatic)', () => {
    it('the page keeps its exception, the view is recorded once, the log warns, no page error', async () => {
      const { page, errors } = await open(() => {
        const original = history.pushState;
        // A router patch gone wrong: navigates, then throws.
        history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
          original.apply(this, args);
          throw new Error('router patch failed');
        };
      });
      const call = <T>(fn: keyof PageViewsDriver & string, ...args: unknown[]): Promise<T> =>
        page.evaluate(({ name, list }) => (window as unknown as { pageviews: Record<string, (...a: unknown[]) => unknown> }).pageviews[name]!(...list), { name: fn, list: args }) as Promise<T>;
      const state = await call<{ status: string }>('start', suite.server.url, 'hostile-views', {});
      expect(state.status).toBe('ready');
      const thrown = await page.evaluate(() => {
        try {
          history.pushState({}, '', '/next');
          return 'nothing';
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(thrown).toBe('router patch failed');
      await call('flush');
      const o = suite.pages.origin;
      const story = suite.server
        .events()
        .filter((e) => e.key === '[CLY]_view')
        .map((e) => `${e.dur === undefined ? 'start' : 'end'} ${String((e.segmentation as { name?: unknown }).name).replace(o, '')}`);
      expect(story).toEqual(['start /', 'end /', 'start /next']);
      const logs = await call<LogLine[]>('logs');
      expect(logs.some((l) => l.level === 'warning' && l.message.includes('history.pushState threw (router patch failed)'))).toBe(true);
      expect(errors).toEqual([]);
    });
  });
});
