/**
 * Many tabs of one origin on IndexedDB (issue 11, "Many tabs, one SDK", table rows 1–2), in
 * headless Chromium with real Web Locks: pages of one browser context share the origin's
 * storage like tabs. Each page runs the `page.ts` driver with the default storage.
 *
 * A: two tabs queue 100 events each offline and close; a later tab delivers all 200, once.
 * B: while tab A lives with its queue, tab B (online) sends none of A's events; once A is
 *    gone, the next tab delivers A's events, once.
 * C: two tabs opened at the same moment on a fresh origin agree on one generated device ID.
 * D: two tabs sending at once: the server never has two of their requests in flight (Web Lock per send).
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChartlyDriver, StartOptions } from './fixtures/page.js';
import { HAS_CHROMIUM, listen, useAppSuite, type Listener } from './harness.js';

const OPTIONS: StartOptions = { appKey: 'tabs-app', deviceId: 'tabs-user', manualSessions: true };

describe.skipIf(!HAS_CHROMIUM)('many tabs on IndexedDB (headless Chromium)', () => {
  const suite = useAppSuite('page.ts');
  let dead: Listener;
  let context: BrowserContext;

  beforeAll(async () => {
    // Answers without CORS headers: every send fails, the requests stay queued.
    dead = await listen((_req, res) => {
      res.writeHead(503);
      res.end();
    });
  });

  afterAll(async () => {
    await dead?.close();
  });

  beforeEach(async () => {
    // One profile per test: its pages are tabs of one origin.
    context = await suite.newContext();
  });

  /** A tab with the SDK started against `url`, ready. */
  async function openTab(url: string, options: StartOptions = OPTIONS): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${suite.pages.origin}/`);
    await page.waitForFunction(() => 'chartly' in window, undefined, { timeout: 5000 });
    const state = await page.evaluate(([u, o]) => (window as unknown as { chartly: ChartlyDriver }).chartly.start(u, o), [url, options] as const);
    expect(state.status).toBe('ready');
    return page;
  }

  /** Records `n` events tagged with the tab, then flushes (offline: they stay queued as requests). */
  const recordAndFlush = (page: Page, tab: string, n: number) =>
    page.evaluate(
      async ([t, count]) => {
        const driver = (window as unknown as { chartly: ChartlyDriver }).chartly;
        for (let i = 0; i < count; i++) driver.record('tab-event', { segmentation: { id: `${t}:${i}` } });
        return (await driver.flush()).queue;
      },
      [tab, n] as const,
    );
  const flush = (page: Page) => page.evaluate(async () => (await (window as unknown as { chartly: ChartlyDriver }).chartly.flush()).queue);
  const received = (): string[] => suite.server.events().map((e) => String((e.segmentation as { id?: string } | undefined)?.id));

  it('two tabs opened at the same moment on a fresh origin get one device ID, and every request carries it', async () => {
    const generated: StartOptions = { appKey: 'tabs-app', manualSessions: true };
    // Both pages loaded first, then both SDKs started in the same moment.
    const [a, b] = await Promise.all([context.newPage(), context.newPage()]);
    for (const page of [a, b]) {
      await page.goto(`${suite.pages.origin}/`);
      await page.waitForFunction(() => 'chartly' in window, undefined, { timeout: 5000 });
    }
    const start = (page: Page) => page.evaluate(([u, o]) => (window as unknown as { chartly: ChartlyDriver }).chartly.start(u, o), [suite.server.url, generated] as const);
    await Promise.all([start(a), start(b)]);
    const state = (page: Page) => page.evaluate(() => (window as unknown as { chartly: ChartlyDriver }).chartly.state());
    const [sa, sb] = await Promise.all([state(a), state(b)]);
    expect(sa.deviceIdType).toBe('SDK_GENERATED');
    expect(sa.deviceId).toBe(sb.deviceId);
    await Promise.all([recordAndFlush(a, 'a', 1), recordAndFlush(b, 'b', 1)]);
    expect(new Set(suite.server.received.map((r) => r.params.device_id))).toEqual(new Set([sa.deviceId]));
    await Promise.all([a.close(), b.close()]);
  }, 60_000);

  it('one send at a time: two tabs flushing together never have two requests in flight at the server', async () => {
    // A pass-through to the Countly server that counts the requests in flight at once.
    let inFlight = 0;
    let most = 0;
    const proxy = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const counted = req.method !== 'OPTIONS';
        if (counted) most = Math.max(most, ++inFlight);
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
        void fetch(`${suite.server.url}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
          .then(async (upstream) => {
            const answer = Buffer.from(await upstream.arrayBuffer());
            // Held a little, so overlapping sends would show.
            await new Promise((r) => setTimeout(r, 40));
            const out: Record<string, string> = {};
            upstream.headers.forEach((v, k) => (k === 'content-encoding' || k === 'content-length' || k === 'transfer-encoding' ? undefined : (out[k] = v)));
            res.writeHead(upstream.status, out);
            res.end(answer);
          })
          .catch(() => {
            res.writeHead(502);
            res.end();
          })
          .finally(() => {
            if (counted) inFlight--;
          });
      });
    });
    try {
      const [a, b] = await Promise.all([openTab(proxy.origin), openTab(proxy.origin)]);
      const burst = (page: Page, tab: string) =>
        page.evaluate(async (t) => {
          const driver = (window as unknown as { chartly: ChartlyDriver }).chartly;
          for (let i = 0; i < 4; i++) {
            driver.record('serial', { segmentation: { id: `${t}:${i}` } });
            await driver.flush();
          }
        }, tab);
      await Promise.all([burst(a, 'a'), burst(b, 'b')]);
      expect(received().filter((id) => id.startsWith('a:') || id.startsWith('b:')).sort()).toEqual(['a:0', 'a:1', 'a:2', 'a:3', 'b:0', 'b:1', 'b:2', 'b:3']);
      expect(most).toBe(1);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('two tabs offline, both closed, a later tab delivers all 200 events, none twice', async () => {
    const [a, b] = await Promise.all([openTab(dead.origin), openTab(dead.origin)]);
    const [qa, qb] = await Promise.all([recordAndFlush(a, 'a', 100), recordAndFlush(b, 'b', 100)]);
    expect(qa.events).toBe(0);
    expect(qb.events).toBe(0);
    expect(qa.requests).toBeGreaterThanOrEqual(1);
    // No shutdown: the tabs just go away.
    await Promise.all([a.close(), b.close()]);

    const c = await openTab(suite.server.url);
    expect(await flush(c)).toEqual({ requests: 0, events: 0 });
    const ids = received();
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    // Each tab's events arrive in the order it recorded them.
    expect(ids.filter((id) => id.startsWith('a:'))).toEqual(Array.from({ length: 100 }, (_, i) => `a:${i}`));
    expect(ids.filter((id) => id.startsWith('b:'))).toEqual(Array.from({ length: 100 }, (_, i) => `b:${i}`));
    await c.close();
  }, 60_000);

  it('a tab never sends what a live tab queued; once that tab is gone, the next tab sends it once', async () => {
    const a = await openTab(dead.origin);
    expect((await recordAndFlush(a, 'a', 100)).requests).toBeGreaterThanOrEqual(1);

    const b = await openTab(suite.server.url);
    expect(await flush(b)).toEqual({ requests: 0, events: 0 });
    await recordAndFlush(b, 'b', 3);
    expect(received()).toEqual(['b:0', 'b:1', 'b:2']);

    await a.close();
    const c = await openTab(suite.server.url);
    expect(await flush(c)).toEqual({ requests: 0, events: 0 });
    const ids = received();
    expect(ids.filter((id) => id.startsWith('a:'))).toEqual(Array.from({ length: 100 }, (_, i) => `a:${i}`));
    expect(ids).toHaveLength(103);
    // B lives on and never picks them up.
    expect(await flush(b)).toEqual({ requests: 0, events: 0 });
    expect(received()).toHaveLength(103);
    await Promise.all([b.close(), c.close()]);
  }, 60_000);
});
