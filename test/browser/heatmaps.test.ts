/**
 * Heatmaps end to end (docs/heatmaps.md; SDK guide "Heatmaps", l.2711–2864): the
 * platform-neutral entry bundled by esbuild, in headless Chromium with the browser's own
 * platform (`onInteraction`, src/adapters/platform/browser-interactions.ts), talking to the
 * local Countly server. Every assertion is on what the server received.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { HeatmapsDriver } from './fixtures/heatmaps-page.js';
import { driverCall, HAS_CHROMIUM, useAppSuite } from './harness.js';

type Call = <T>(name: keyof HeatmapsDriver & string, ...args: unknown[]) => Promise<T>;
const callOf = (page: Page): Call => driverCall<HeatmapsDriver>(page, 'heatmaps');

describe.skipIf(!HAS_CHROMIUM)('heatmaps in headless Chromium', () => {
  const suite = useAppSuite('heatmaps-page.ts');

  async function open(path: string): Promise<{ page: Page; call: Call; errors: string[] }> {
    const context = await suite.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${suite.pages.origin}${path}`);
    await page.waitForFunction(() => 'heatmaps' in window);
    return { page, call: callOf(page), errors };
  }

  const recorded = () => suite.server.events().filter((e) => ['[CLY]_action', 'linkClick', 'formSubmit'].includes(e.key as string));

  it('clicks (1 s cool-down), a link and a form, with the spec fields', async () => {
    const { page, call, errors } = await open('/shop');
    await call('start', suite.server.url, 'hm-app', {});
    await call('trackClicks');
    await page.mouse.click(300, 400);
    await page.mouse.click(310, 410); // within the cool-down: not recorded
    await page.waitForTimeout(1100);
    await page.click('#next');
    await page.click('#go');
    await call('flush');
    const o = suite.pages.origin;
    const got = recorded().map((e) => [e.key, e.segmentation]);
    expect(got[0]).toEqual(['[CLY]_action', { type: 'click', x: 300, y: 400, width: 800, height: 600, view: `${o}/shop` }]);
    // The first click and the link's; the button's came within 1 s of the link's (cool-down).
    expect(got.filter(([k]) => k === '[CLY]_action')).toHaveLength(2);
    expect(got).toContainEqual(['linkClick', { href: `${o}/shop#next-section`, text: 'Next section', id: 'next', view: `${o}/shop` }]);
    expect(got).toContainEqual(['formSubmit', { id: 'f1', name: 'signup', action: '/join', method: 'post', view: `${o}/shop#next-section` }]);
    expect(errors).toEqual([]);
    await call('shutdown');
  });

  it('scrolls from the config: the deepest point of the page, once, when the page is hidden', async () => {
    const { page, call, errors } = await open('/article');
    await call('start', suite.server.url, 'hm-app', { scrolls: true });
    for (const y of [500, 2000, 1000]) {
      await page.evaluate((to) => window.scrollTo(0, to), y);
      await page.waitForTimeout(300);
    }
    // The page goes away: `pagehide` as a navigation would fire it.
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));
    await call('flush');
    const scrolls = recorded().filter((e) => (e.segmentation as Record<string, unknown>).type === 'scroll');
    expect(scrolls.map((e) => e.segmentation)).toEqual([{ type: 'scroll', y: 2600, width: 800, height: 600, view: `${suite.pages.origin}/article` }]);
    expect(errors).toEqual([]);
    await call('shutdown');
  });
});
