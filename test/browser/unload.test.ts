/**
 * Page unload (issue 11, "Page unload"), in headless Chromium: a page with an automatic
 * session records 5 events and goes away — by navigating elsewhere, by closing, by reloading.
 * At `pagehide` the events become a request, the session ends, and the queue leaves with
 * `fetch` keepalive; a next visit on the same profile sends none of it again.
 *
 * Counted at the server: the 5 events once each, `begin_session` once, `end_session` once.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ChartlyDriver, StartOptions } from './fixtures/page.js';
import { HAS_CHROMIUM, useAppSuite } from './harness.js';

const APP = 'unload-app';

describe.skipIf(!HAS_CHROMIUM)('page unload (headless Chromium)', () => {
  const suite = useAppSuite('page.ts');

  async function start(page: Page, options: StartOptions): Promise<void> {
    await page.goto(`${suite.pages.origin}/`);
    await page.waitForFunction(() => 'chartly' in window, undefined, { timeout: 5000 });
    const state = await page.evaluate(([u, o]) => (window as unknown as { chartly: ChartlyDriver }).chartly.start(u, o), [suite.server.url, options] as const);
    expect(state.status).toBe('ready');
  }

  const recordFive = (page: Page) =>
    page.evaluate(() => {
      const driver = (window as unknown as { chartly: ChartlyDriver }).chartly;
      for (let i = 0; i < 5; i++) driver.record('unload-event', { segmentation: { i } });
    });

  const count = (param: string): number => suite.server.received.filter((r) => r.params[param] !== undefined).length;
  const events = (): number[] => suite.server.events().filter((e) => e.key === 'unload-event').map((e) => Number((e.segmentation as { i: number }).i));

  /** The first visit: an automatic session, 5 events, then `leave`. Then a later visit sends what is left. */
  async function scenario(leave: (page: Page) => Promise<unknown>): Promise<void> {
    const context = await suite.newContext();
    const page = await context.newPage();
    await start(page, { appKey: APP });
    await suite.server.waitFor((r) => r.some((x) => x.params.begin_session !== undefined), 5000);
    await recordFive(page);
    await leave(page);
    await suite.server.waitFor(() => events().length >= 5 && count('end_session') >= 1, 5000);

    const next = await context.newPage();
    await start(next, { appKey: APP, manualSessions: true });
    const after = await next.evaluate(async () => (await (window as unknown as { chartly: ChartlyDriver }).chartly.flush()).queue);
    expect(after).toEqual({ requests: 0, events: 0 });
    expect(events().sort()).toEqual([0, 1, 2, 3, 4]);
    expect(count('begin_session')).toBe(1);
    expect(count('end_session')).toBe(1);
  }

  it('navigating to another page: the events and the session end arrive once', async () => {
    await scenario((page) => page.goto('about:blank'));
  }, 60_000);

  it('closing the tab: the events and the session end arrive once', async () => {
    await scenario((page) => page.close({ runBeforeUnload: true }));
  }, 60_000);

  it('reloading: the events and the session end arrive once', async () => {
    await scenario((page) => page.reload());
  }, 60_000);
});
