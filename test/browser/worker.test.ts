/**
 * chartly in a module worker (issue 11, "Workers"): with no `storage` given it uses IndexedDB
 * wherever the browser offers it, pages and workers alike — so events a worker queued while
 * the server was unreachable are sent by the next worker of the origin.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';
import { bundleFixture, HAS_CHROMIUM, HTML, JS, launchChromium, listen, personUserAgent, staticFiles, type Listener } from './harness.js';

describe.skipIf(!HAS_CHROMIUM)('chartly in a module worker (headless Chromium)', () => {
  let browser: Browser;
  let context: BrowserContext;
  let pages: Listener;
  let server: CountlyTestServer;
  let dead: Listener;

  beforeAll(async () => {
    const [bundle, launched] = await Promise.all([bundleFixture('worker-entry.ts'), launchChromium()]);
    browser = launched;
    pages = await listen(staticFiles({ '/': { type: HTML, body: '<!doctype html><title>worker</title>' }, '/worker.js': { type: JS, body: bundle } }));
    context = await browser.newContext({ userAgent: await personUserAgent(browser) });
    server = await startServer();
    // A server that accepts connections and never answers with CORS: every send fails.
    dead = await listen((_req, res) => {
      res.writeHead(503);
      res.end();
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await Promise.all([pages?.close(), dead?.close(), server?.close()]);
  });

  it('defaults to IndexedDB, and the next worker sends what the first one queued', async () => {
    const page = await context.newPage();
    await page.goto(`${pages.origin}/`);
    const run = (url: string, phase: 'record' | 'send') =>
      page.evaluate(
        ({ url: u, phase: p }) =>
          new Promise<{ init: string; queue: { requests: number; events: number } }>((resolve, reject) => {
            const worker = new Worker('/worker.js', { type: 'module' });
            worker.onmessage = (m) => (worker.terminate(), resolve(m.data));
            worker.onerror = (e) => reject(new Error(e.message));
            worker.postMessage({ url: u, phase: p });
          }),
        { url, phase },
      );
    const first = await run(dead.origin, 'record');
    expect(first.init).toContain('storage [indexeddb]');
    expect(first.queue.requests).toBe(1);
    const second = await run(server.url, 'send');
    expect(second.queue).toEqual({ requests: 0, events: 0 });
    expect(server.events().filter((e) => e.key === 'in-worker').map((e) => (e.segmentation as { i: number }).i)).toEqual([0, 1, 2]);
  }, 60_000);
});
