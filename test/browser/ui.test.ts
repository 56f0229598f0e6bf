/**
 * The browser UI (`browserPlatform().ui`, src/adapters/platform/browser-ui.ts) end to end in
 * headless Chromium: a feedback widget and server-driven content shown as iframes, talking
 * back with postMessage, and what the local Countly server then receives.
 *
 * One page server plays the app's origin: it serves the page, its bundle, a stand-in widget
 * (`/feedback/nps`, where the SDK builds widget URLs: the server URL + `/feedback/<type>`) and
 * a content page (`/content/...`), and proxies every other path to the Countly server, so the
 * SDK's server URL, the widget and the content share one origin. A second listener of the same
 * server is "another origin" for the origin checks.
 */
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';
import type { UiDriver } from './fixtures/ui-page.js';
import { bundleFixture, FIXTURES, HAS_CHROMIUM, HTML, JS, launchChromium, listen, personUserAgent, staticFiles, type Handler, type Listener } from './harness.js';

const WIDGET_ID = '614811419f030e44be07d82f';

/** Every path the fixtures do not serve goes to the Countly server `target()` names. */
const proxyTo =
  (target: () => string): Handler =>
  (req, res) => {
    const upstream = new URL(target());
    const proxied = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(proxied);
  };

describe.skipIf(!HAS_CHROMIUM)('the browser UI in headless Chromium', () => {
  let browser: Browser;
  let app: Listener;
  let other: Listener;
  let userAgent: string;
  let server: CountlyTestServer;
  let context: BrowserContext | null = null;

  beforeAll(async () => {
    const [page, widget, content, bundle, launched] = await Promise.all([
      readFile(`${FIXTURES}ui.html`, 'utf8'),
      readFile(`${FIXTURES}widget.html`, 'utf8'),
      readFile(`${FIXTURES}content.html`, 'utf8'),
      bundleFixture('ui-page.ts'),
      launchChromium(),
    ]);
    browser = launched;
    const files = {
      '/': { type: HTML, body: page },
      '/ui-bundle.js': { type: JS, body: bundle },
      '/feedback/nps': { type: HTML, body: widget },
    };
    const contentPage: Handler = (req, res) => {
      if ((req.url ?? '').startsWith('/content/')) staticFiles({ [(req.url ?? '').split('?')[0] ?? '']: { type: HTML, body: content } })(req, res);
      else proxyTo(() => server.url)(req, res);
    };
    const fn = staticFiles(files, contentPage);
    [app, other] = await Promise.all([listen(fn), listen(fn)]);
    userAgent = await personUserAgent(browser);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([app?.close(), other?.close()]);
  });

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    await context?.close();
    context = null;
    await server.close();
  });

  /** A fresh landscape tab (1200×700) with the SDK started against the proxied server. */
  async function open(allowedOrigins?: string[]): Promise<{ page: Page; call: <T>(fn: keyof UiDriver, ...args: unknown[]) => Promise<T>; errors: string[] }> {
    context = await browser.newContext({ userAgent, viewport: { width: 1200, height: 700 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${app.origin}/`);
    await page.waitForFunction(() => 'chartlyUi' in window);
    const call = <T>(fn: keyof UiDriver, ...args: unknown[]): Promise<T> =>
      page.evaluate(({ fn: f, args: a }) => (window as unknown as { chartlyUi: Record<string, (...x: unknown[]) => unknown> }).chartlyUi[f]!(...a), { fn, args }) as Promise<T>;
    const state = await call<{ status: string }>('start', app.origin, 'ui-app', ...(allowedOrigins ? [allowedOrigins] : []));
    expect(state.status).toBe('ready');
    return { page, call, errors };
  }

  const events = (key: string) => server.events().filter((e) => e.key === key);

  it('shows a feedback widget in an overlay; its close action removes it and records the cancel event', async () => {
    server.configure({ feedbackWidgets: [{ _id: WIDGET_ID, type: 'nps', name: 'Happy?', tg: [], wv: '2' }] });
    const { page, call, errors } = await open();
    expect(await call('presentNps')).toBeNull();

    const frame = page.locator('[data-chartly="feedback"] iframe');
    await frame.waitFor({ state: 'attached' });
    const src = (await frame.getAttribute('src')) ?? '';
    expect(src.startsWith(`${app.origin}/feedback/nps?widget_id=${WIDGET_ID}&`)).toBe(true);
    const overlay = page.locator('[data-chartly="feedback"][role="dialog"]');
    expect(await overlay.evaluate((el) => getComputedStyle(el).position)).toBe('fixed');
    await expect.poll(() => frame.evaluate((el) => getComputedStyle(el).visibility)).toBe('visible');
    expect(await page.getByRole('button', { name: 'Close feedback' }).count()).toBe(1);

    // A message from the page itself or another frame is not the widget's: ignored.
    await page.evaluate(() => window.postMessage('https://countly_action_event/?cly_widget_command=1&close=1', '*'));
    await page.evaluate(() => {
      const f = document.createElement('iframe');
      f.srcdoc = "<script>parent.postMessage('https://countly_action_event/?cly_widget_command=1&close=1', '*')</script>";
      document.body.appendChild(f);
    });
    await page.waitForTimeout(200);
    expect(await frame.count()).toBe(1);

    // The widget's own close button (spec l. 3613-3622).
    await page.frameLocator('[data-chartly="feedback"] iframe').locator('#close').click();
    await frame.waitFor({ state: 'detached' });
    expect(await page.locator('[data-chartly="feedback"]').count()).toBe(0);
    await server.waitFor(() => events('[CLY]_nps').length === 1, 5000);
    expect(events('[CLY]_nps')[0]?.segmentation).toMatchObject({ closed: '1', widget_id: WIDGET_ID, platform: 'Web' });
    await expect.poll(() => call<number>('closedCount')).toBe(1);
    expect(errors).toEqual([]);
  });

  it('the overlay close button closes the widget once, with no event', async () => {
    server.configure({ feedbackWidgets: [{ _id: WIDGET_ID, type: 'nps', name: 'Happy?', tg: [] }] });
    const { page, call } = await open();
    expect(await call('presentNps')).toBeNull();
    // A link of the widget (`{link}`, as the web widgets post it) opens in a new tab, the widget stays.
    await context!.route('https://count.ly/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: 'terms' }));
    const popup = context!.waitForEvent('page');
    await page.frameLocator('[data-chartly="feedback"] iframe').locator('#link').click();
    expect((await popup).url()).toBe('https://count.ly/terms');
    expect(await page.locator('[data-chartly="feedback"]').count()).toBe(1);
    await page.getByRole('button', { name: 'Close feedback' }).click();
    expect(await page.locator('[data-chartly="feedback"]').count()).toBe(0);
    await expect.poll(() => call<number>('closedCount')).toBe(1);
    expect((await call<{ feedback: { widgetShown: boolean } }>('state')).feedback.widgetShown).toBe(false);
    await call('flush');
    expect(events('[CLY]_nps')).toEqual([]);
  });

  it('places content per the geo, resizes, records its event, ignores other frames, and closes', async () => {
    const geo = { p: { x: 0, y: 0, w: 360, h: 640 }, l: { x: 20, y: 30, w: 400, h: 300 } };
    server.configure({ contentBlock: { html: `${app.origin}/content/c1`, geo } });
    const { page, call, errors } = await open();
    await call('enterZone'); // in the SDK's first 4 s: fetched 4 s later (spec l. 1411)

    const frame = page.locator('iframe[data-chartly="content"]');
    await frame.waitFor({ state: 'attached', timeout: 10_000 });
    const box = () => frame.evaluate((el) => ({ left: el.style.left, top: el.style.top, width: el.style.width, height: el.style.height }));
    expect(await box()).toEqual({ left: '20px', top: '30px', width: '400px', height: '300px' }); // landscape viewport
    await expect.poll(() => frame.evaluate((el) => getComputedStyle(el).visibility)).toBe('visible');
    const content = page.frames().find((f) => f.url().startsWith(`${app.origin}/content/c1`));
    expect(content).toBeDefined();
    const send = (message: unknown) => content!.evaluate((m) => (window as unknown as { send(x: unknown): void }).send(m), message);

    // Not this iframe: the page itself, and another frame — both ignored.
    await page.evaluate(() => window.postMessage({ event: [{ key: 'from_page' }], close: 1 }, '*'));
    await page.evaluate(() => {
      const f = document.createElement('iframe');
      f.srcdoc = "<script>parent.postMessage({ event: [{ key: 'from_other_frame' }], close: 1 }, '*')</script>";
      document.body.appendChild(f);
    });

    await send({ resize_me: { p: { x: 0, y: 0, w: 300, h: 500 }, l: { x: 5, y: 6, w: 500, h: 200 } } });
    await expect.poll(box).toEqual({ left: '5px', top: '6px', width: '500px', height: '200px' });
    // 200 ms later the SDK tells the content its viewport, targeted at the content's origin (l. 1577-1586).
    await expect
      .poll(() => content!.evaluate(() => (window as unknown as { received: Array<{ data: unknown; origin: string }> }).received))
      .toEqual([{ data: { type: 'resize', width: 1200, height: 700 }, origin: app.origin }]);

    await send({ event: [{ key: 'offer_click', segmentation: { b: 'buy' } }] });
    await call('flush');
    await server.waitFor(() => events('offer_click').length === 1, 5000);
    expect(events('offer_click')[0]?.segmentation).toMatchObject({ b: 'buy' });
    expect(await frame.count()).toBe(1);

    await send({ close: 1 });
    await frame.waitFor({ state: 'detached' });
    await expect.poll(() => call<Array<{ status: string }>>('contentCalls')).toEqual([expect.objectContaining({ status: 'COMPLETED' })]);
    await call('flush');
    expect(events('from_page')).toEqual([]);
    expect(events('from_other_frame')).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('content from an origin the SDK does not allow is shown but not heard', async () => {
    const geo = { p: { x: 0, y: 0, w: 360, h: 640 }, l: { x: 0, y: 0, w: 640, h: 360 } };
    server.configure({ contentBlock: { html: `${other.origin}/content/c2`, geo } });
    const { page, call } = await open();
    await call('enterZone');
    const frame = page.locator('iframe[data-chartly="content"]');
    await frame.waitFor({ state: 'attached', timeout: 10_000 });
    await expect.poll(() => page.frames().some((f) => f.url().startsWith(`${other.origin}/content/c2`))).toBe(true);
    const content = page.frames().find((f) => f.url().startsWith(`${other.origin}/content/c2`))!;
    await content.evaluate(() => (window as unknown as { send(x: unknown): void }).send({ event: [{ key: 'foreign' }], close: 1 }));
    await page.waitForTimeout(300);
    expect(await frame.count()).toBe(1);
    await call('exitZone');
    await frame.waitFor({ state: 'detached' });
    await call('flush');
    expect(events('foreign')).toEqual([]);
    expect(await call<Array<{ status: string }>>('contentCalls')).toEqual([expect.objectContaining({ status: 'CLOSED' })]);
  });
});
