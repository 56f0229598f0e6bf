/**
 * Automatic page views end to end (`views.automatic`, docs/views.md "Automatic page views
 * (browser)"): the platform-neutral entry bundled by esbuild, in headless Chromium (Debian's
 * /usr/bin/chromium via playwright-core), with the browser's own platform, talking to the
 * local Countly server on another port. Every assertion is on what the server received:
 * a view at load, after `history.pushState`, after `location.hash = ...`, after
 * `history.back()` (popstate); an excluded path not recorded; each previous view ended with
 * a `dur`. A page whose `history.pushState` cannot be patched degrades with a warning.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { PageViewsDriver } from './fixtures/pageviews-page.js';
import { driverCall, HAS_CHROMIUM, useAppSuite } from './harness.js';

type Call = <T>(name: keyof PageViewsDriver & string, ...args: unknown[]) => Promise<T>;
const callOf = (page: Page): Call => driverCall<PageViewsDriver>(page, 'pageviews');

describe.skipIf(!HAS_CHROMIUM)('automatic page views in headless Chromium', () => {
  const suite = useAppSuite('pageviews-page.ts');

  async function open(path: string, before?: () => void): Promise<{ page: Page; call: Call; errors: string[] }> {
    const context = await suite.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    if (before) await page.addInitScript(before);
    await page.goto(`${suite.pages.origin}${path}`);
    await page.waitForFunction(() => 'pageviews' in window);
    return { page, call: callOf(page), errors };
  }

  const nameOf = (e: Record<string, unknown>): string => String((e.segmentation as Record<string, unknown> | undefined)?.name);
  const views = () => suite.server.events().filter((e) => e.key === '[CLY]_view');
  const story = (origin: string) =>
    views().map((e) => `${e.dur === undefined ? 'start' : 'end'} ${nameOf(e).replace(origin, '')}`);

  it('records the page at load, after pushState, a hash change and history.back(); skips exclusions; ends each previous view with dur', async () => {
    const { page, call, errors } = await open('/');
    await call('start', suite.server.url, 'pv-app', { exclusions: ['/private'] });
    await page.evaluate(() => history.pushState({}, '', '/products'));
    await page.evaluate(() => {
      location.hash = 'reviews';
    });
    await page.waitForFunction(() => location.hash === '#reviews');
    await page.evaluate(() => history.back());
    await page.waitForFunction(() => location.hash === '');
    await page.evaluate(() => history.pushState({}, '', '/private/settings'));
    await call('flush');
    const o = suite.pages.origin;
    expect(story(o)).toEqual(['start /', 'end /', 'start /products', 'end /products', 'start /products#reviews', 'end /products#reviews', 'start /products']);
    const [first] = views();
    expect(first?.segmentation).toMatchObject({ name: `${o}/`, visit: '1', segment: 'Web', view: `${o}/`, domain: '127.0.0.1', start: '1' });
    for (const end of views().filter((e) => e.dur !== undefined)) expect(end.dur).toBeGreaterThanOrEqual(0);
    expect(views().some((e) => nameOf(e).includes('/private'))).toBe(false);
    expect(errors).toEqual([]);
    await call('shutdown');
  });

  it('shortNames: views named by the path', async () => {
    const { page, call } = await open('/home?utm=1');
    await call('start', suite.server.url, 'pv-app', { shortNames: true });
    await page.evaluate(() => history.replaceState({}, '', '/home?utm=2'));
    await page.evaluate(() => history.pushState({}, '', '/docs'));
    await call('flush');
    expect(story(suite.pages.origin)).toEqual(['start /home', 'end /home', 'start /docs']);
    await call('shutdown');
  });

  it('a history.pushState the page made unpatchable costs a warning; hash changes and back/forward are still followed', async () => {
    const { page, call, errors } = await open('/', () => {
      const original = history.pushState.bind(history);
      Object.defineProperty(history, 'pushState', { value: original, writable: false, configurable: false });
    });
    await call('start', suite.server.url, 'pv-app', {});
    await page.evaluate(() => history.pushState({}, '', '/unseen'));
    await page.evaluate(() => {
      location.hash = 'seen';
    });
    await page.waitForFunction(() => location.hash === '#seen');
    await call('flush');
    expect(story(suite.pages.origin)).toEqual(['start /', 'end /', 'start /unseen#seen']);
    const logs = await call<Array<{ level: string; message: string }>>('logs');
    expect(logs.some((l) => l.level === 'warning' && l.message.includes('history.pushState cannot be watched'))).toBe(true);
    expect(errors).toEqual([]);
    await call('shutdown');
  });
});
