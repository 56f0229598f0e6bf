/**
 * End to end in a real browser: the platform-neutral entry, bundled by esbuild, runs in
 * headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) with its default
 * storage (IndexedDB) and platform (the browser's), and talks to the local Countly server.
 *
 * The page is served from one 127.0.0.1 port and the Countly server listens on another, so
 * every SDK request is cross-origin and CORS is exercised for real: the SDK removes a request
 * from its queue only after reading the response, which the browser hides unless the server
 * allows the page's origin. Every assertion is on what the server received.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../../src/server/index.js';
import type { CountlyState } from '../../src/state.js';
import type { ChartlyDriver, LogLine, StartOptions } from './fixtures/page.js';
import { CHROMIUM, HAS_CHROMIUM, useAppSuite } from './harness.js';

if (!HAS_CHROMIUM) {
  console.warn(`[browser test] skipped: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` or point CHARTLY_CHROMIUM at one.`);
}

/**
 * A URL nothing listens on: a port that was free a moment ago, so every send fails at once
 * with a refused connection. (Port 9 would not do: Chromium blocks it as unsafe before
 * connecting.)
 */
async function deadUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

// ---- the page and its driver ---------------------------------------------------------

interface Tab {
  page: Page;
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** `console.error` lines and failed loads the browser reported, with their URL. */
  consoleErrors: string[];
  driver: Driver;
  /** Navigates (or reloads) and waits for the driver; throws with the page's errors if it never appears. */
  load(query?: string): Promise<void>;
  reload(): Promise<void>;
}

interface Driver {
  start(url: string, options: StartOptions): Promise<CountlyState>;
  record(key: string, options?: Parameters<ChartlyDriver['record']>[1]): Promise<void>;
  flush(): Promise<CountlyState>;
  state(): Promise<CountlyState>;
  logs(): Promise<LogLine[]>;
  emulateVisibility(state: 'hidden' | 'visible'): Promise<void>;
  shutdown(): Promise<void>;
}

type AnyDriver = Record<string, (...args: unknown[]) => unknown>;

function driverOf(page: Page): Driver {
  // The function runs in the page, so it can only use what it is passed.
  const call = <T>(name: keyof ChartlyDriver, ...args: unknown[]): Promise<T> =>
    page.evaluate(
      ({ name: fn, args: list }) => (window as unknown as { chartly: AnyDriver }).chartly[fn]!(...list),
      { name, args },
    ) as Promise<T>;
  return {
    start: (url, options) => call('start', url, options),
    record: (key, options) => call('record', key, options),
    flush: () => call('flush'),
    state: () => call('state'),
    logs: () => call('logs'),
    emulateVisibility: (state) => call('emulateVisibility', state),
    shutdown: () => call('shutdown'),
  };
}

// ---- the suite -----------------------------------------------------------------------

describe.skipIf(!HAS_CHROMIUM)(`chartly in headless Chromium${HAS_CHROMIUM ? '' : ` (skipped: no Chromium at ${CHROMIUM})`}`, () => {
  const suite = useAppSuite('page.ts');
  let deadServerUrl: string;

  beforeAll(async () => {
    deadServerUrl = await deadUrl();
  });

  /** A fresh browser profile: its own IndexedDB and localStorage. */
  async function openTab(options: BrowserContextOptions = {}): Promise<Tab> {
    // These tests are about a person's browser: "HeadlessChrome" would read as a bot.
    const context = await suite.newContext(options);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (${message.location().url})`);
    });
    const waitForDriver = async (): Promise<void> => {
      try {
        await page.waitForFunction(() => 'chartly' in window, undefined, { timeout: 5000 });
      } catch {
        throw new Error(`the page never exposed window.chartly; page errors: ${JSON.stringify(pageErrors)}, console errors: ${JSON.stringify(consoleErrors)}`);
      }
    };
    return {
      page,
      pageErrors,
      consoleErrors,
      driver: driverOf(page),
      async load(query = '') {
        await page.goto(`${suite.pages.origin}/${query}`);
        await waitForDriver();
      },
      async reload() {
        await page.reload();
        await waitForDriver();
      },
    };
  }

  /** Starts the SDK in the page and expects it ready; a failed boot shows the SDK's own log. */
  async function startReady(tab: Tab, url: string, options: StartOptions): Promise<CountlyState> {
    const state = await tab.driver.start(url, options);
    if (state.status !== 'ready') {
      const logs = (await tab.driver.logs()).map((l) => `${l.level}: ${l.message}`);
      expect.fail(`the SDK is ${state.status}, not ready; its log:\n${logs.join('\n')}\npage errors: ${JSON.stringify(tab.pageErrors)}`);
    }
    return state;
  }

  const writes = (): ReceivedRequest[] => suite.server.received.filter((r) => r.path === '/i' && r.method !== 'OPTIONS');
  const sessionKind = (r: ReceivedRequest): string | undefined =>
    r.params.begin_session === '1' ? 'begin' : r.params.end_session === '1' ? 'end' : r.params.session_duration !== undefined ? 'update' : undefined;
  const sessionRequests = (): ReceivedRequest[] => writes().filter((r) => sessionKind(r) !== undefined);
  const expectedOs = ({ linux: 'Linux', darwin: 'macOS', win32: 'Windows' } as Record<string, string>)[process.platform];
  /** Console errors other than the refused connections to the dead URL. */
  const unexpected = (tab: Tab): string[] => tab.consoleErrors.filter((line) => !line.includes(deadServerUrl));

  it('loads the platform-neutral entry, starts on IndexedDB and the browser platform, and delivers cross-origin', async () => {
    const tab = await openTab({ locale: 'de-DE', screen: { width: 1366, height: 768 }, viewport: { width: 1200, height: 700 } });
    await tab.load();
    const appKey = 'browser-app';
    const started = await startReady(tab, suite.server.url, { appKey, storage: 'default' });
    expect(started.status).toBe('ready');
    expect(started.deviceIdType).toBe('SDK_GENERATED');
    expect(started.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    const deviceId = started.deviceId!;

    // The default storage is IndexedDB: the SDK opened its database, and left localStorage alone.
    const { databases, localKeys } = await tab.page.evaluate(async () => ({
      databases: (await indexedDB.databases()).map((d) => d.name),
      localKeys: Object.keys(localStorage),
    }));
    expect(databases).toContain(`chartly/${encodeURIComponent(appKey)}`);
    expect(localKeys).toEqual([]);

    // Automatic sessions with the page visible: begin_session with the browser's metrics.
    await suite.server.waitFor(() => sessionRequests().some((r) => sessionKind(r) === 'begin'));
    const begin = sessionRequests()[0]!;
    expect(sessionKind(begin)).toBe('begin');
    const metrics = JSON.parse(begin.params.metrics ?? '{}') as Record<string, string>;
    expect(metrics._os).toBe(expectedOs ?? metrics._os);
    expect(metrics._os).not.toBe('Unknown');
    expect(metrics._resolution).toBe('1366x768');
    expect(metrics._locale).toBe('de-DE');
    expect(metrics._ua).toBe(suite.userAgent);

    await tab.driver.record('purchase', { count: 2, sum: 9.5, segmentation: { item: 'book', pages: 320 } });
    await tab.driver.record('share');
    const flushed = await tab.driver.flush();
    // Removed from the queue only after the response was read, which CORS allows.
    expect(flushed.queue).toEqual({ requests: 0, events: 0 });

    const events = suite.server.events().filter((e) => !e.key.startsWith('[CLY]_'));
    expect(events.map((e) => e.key)).toEqual(['purchase', 'share']);
    expect(events[0]).toMatchObject({ count: 2, sum: 9.5, segmentation: { item: 'book', pages: 320 }, device_id: deviceId });
    expect(events[1]).toMatchObject({ count: 1, device_id: deviceId });

    expect(writes().length).toBeGreaterThanOrEqual(2);
    for (const r of writes()) {
      expect(r.params.device_id).toBe(deviceId);
      expect(r.params.app_key).toBe(appKey);
      expect(r.headers.origin).toBe(suite.pages.origin);
      expect(r.status).toBe(200);
      expect(r.accepted).toBe(true);
    }

    await tab.driver.shutdown();
    expect(tab.pageErrors).toEqual([]);
    expect(tab.consoleErrors).toEqual([]);
    expect((await tab.driver.logs()).filter((l) => l.level === 'error')).toEqual([]);
  });

  for (const storage of ['indexeddb', 'localStorage'] as const) {
    it(`keeps the queue and the device ID across a page reload on ${storage}`, async () => {
      const tab = await openTab();
      await tab.load();
      const appKey = `reload-${storage}`;
      const options: StartOptions = { appKey, storage, manualSessions: true };

      const first = await startReady(tab, deadServerUrl, options);
      expect(first.status).toBe('ready');
      const deviceId = first.deviceId!;
      for (let n = 1; n <= 3; n++) await tab.driver.record(`before-${n}`, { segmentation: { n } });
      const afterFirstFlush = await tab.driver.flush();
      for (let n = 4; n <= 6; n++) await tab.driver.record(`before-${n}`, { segmentation: { n } });
      const afterSecondFlush = await tab.driver.flush();
      // Nothing could be delivered: everything is still queued, as requests.
      expect(afterFirstFlush.queue.requests).toBeGreaterThanOrEqual(1);
      expect(afterSecondFlush.queue.requests).toBeGreaterThanOrEqual(afterFirstFlush.queue.requests);
      expect(afterSecondFlush.queue.events).toBe(0);
      expect(suite.server.received).toEqual([]);

      // No shutdown: the page just goes away, as a real reload does.
      await tab.reload();
      const second = await startReady(tab, suite.server.url, options);
      expect(second.deviceId).toBe(deviceId);
      expect(second.deviceIdType).toBe('SDK_GENERATED');
      expect(second.queue.requests).toBe(afterSecondFlush.queue.requests);

      await tab.driver.record('after-1', { segmentation: { n: 7 } });
      const done = await tab.driver.flush();
      expect(done.queue).toEqual({ requests: 0, events: 0 });

      const events = suite.server.events();
      expect(events.map((e) => e.key)).toEqual(['before-1', 'before-2', 'before-3', 'before-4', 'before-5', 'before-6', 'after-1']);
      expect(events.map((e) => (e.segmentation as { n?: number } | undefined)?.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(new Set(events.map((e) => e.device_id))).toEqual(new Set([deviceId]));
      for (const r of writes()) {
        expect(r.params.device_id).toBe(deviceId);
        expect(r.params.app_key).toBe(appKey);
        expect(r.headers.origin).toBe(suite.pages.origin);
      }
      // Each queued request was delivered once.
      expect(writes().filter((r) => r.status !== 200)).toEqual([]);

      await tab.driver.shutdown();
      expect(tab.pageErrors).toEqual([]);
      expect(unexpected(tab)).toEqual([]);
    });
  }

  it('ends the session when the page is hidden and begins a new one when it is visible again', async () => {
    const tab = await openTab();
    await tab.load();
    const started = await startReady(tab, suite.server.url, { appKey: 'visibility-app' });
    expect(started.session.running).toBe(true);
    const deviceId = started.deviceId!;
    await suite.server.waitFor(() => sessionRequests().length >= 1);

    await tab.driver.emulateVisibility('hidden');
    await suite.server.waitFor(() => sessionRequests().some((r) => sessionKind(r) === 'end'));
    const hidden = await tab.driver.state();
    expect(hidden.session).toMatchObject({ running: false, foreground: false });

    await tab.driver.emulateVisibility('visible');
    await suite.server.waitFor(() => sessionRequests().filter((r) => sessionKind(r) === 'begin').length >= 2);
    const visible = await tab.driver.state();
    expect(visible.session).toMatchObject({ running: true, foreground: true });

    const kinds = sessionRequests().map(sessionKind);
    expect(kinds).toEqual(['begin', 'end', 'begin']);
    const [, end, again] = sessionRequests();
    expect(Number(end!.params.session_duration)).toBeGreaterThanOrEqual(0);
    expect(again!.params.metrics).toBeDefined();
    for (const r of sessionRequests()) expect(r.params.device_id).toBe(deviceId);

    await tab.driver.shutdown();
    expect(tab.pageErrors).toEqual([]);
    expect(tab.consoleErrors).toEqual([]);
  });

  describe('cly_id in the page URL (device-ID truth table)', () => {
    it('no stored ID: the URL ID becomes the device ID, DEVELOPER_SUPPLIED', async () => {
      const tab = await openTab();
      await tab.load('?cly_id=from-url-42');
      const state = await startReady(tab, suite.server.url, { appKey: 'url-app', manualSessions: true });
      expect(state.deviceId).toBe('from-url-42');
      expect(state.deviceIdType).toBe('DEVELOPER_SUPPLIED');
      await tab.driver.record('landed');
      await tab.driver.flush();
      expect(suite.server.events().map((e) => [e.key, e.device_id])).toEqual([['landed', 'from-url-42']]);
      for (const r of writes()) expect(r.params.device_id).toBe('from-url-42');
      await tab.driver.shutdown();
      expect(tab.pageErrors).toEqual([]);
      expect(tab.consoleErrors).toEqual([]);
    });

    it('no stored ID, a custom ID in the config: the URL ID wins', async () => {
      const tab = await openTab();
      await tab.load('?cly_id=from-url-43');
      const state = await startReady(tab, suite.server.url, { appKey: 'url-app', deviceId: 'from-config', manualSessions: true });
      expect(state.deviceId).toBe('from-url-43');
      expect(state.deviceIdType).toBe('DEVELOPER_SUPPLIED');
      await tab.driver.shutdown();
    });

    it('a stored ID beats a later URL ID', async () => {
      const tab = await openTab();
      await tab.load('?cly_id=first-visit');
      expect((await startReady(tab, suite.server.url, { appKey: 'url-app', manualSessions: true })).deviceId).toBe('first-visit');
      await tab.driver.shutdown();
      await tab.load('?cly_id=second-visit');
      const state = await startReady(tab, suite.server.url, { appKey: 'url-app', manualSessions: true });
      expect(state.deviceId).toBe('first-visit');
      expect(state.deviceIdType).toBe('DEVELOPER_SUPPLIED');
      await tab.driver.shutdown();
    });
  });
});
