/**
 * Automatic page views as the local Countly-compatible server receives them, through the
 * whole SDK, with a fake platform that implements `currentLocation` / `onNavigation`
 * (simulated clock, memory storage):
 * - the page at init, then one view per navigation to another page, the previous one ended
 *   with its `dur`, `view`/`domain` on starts, `start` "1" on the first view of the session;
 * - exclusions skipped; nothing without `views.automatic`; the hook removed at shutdown;
 * - a platform whose hook throws costs automatic views and a log line, not the SDK.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { neutralPlatform } from '../../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import type { PageLocation, Platform } from '../../../src/adapters/types.js';
import { startServer, type CountlyTestServer } from '../../../src/server/index.js';
import { createCountly } from '../../../src/sdk.js';
import type { Countly, CountlyConfig } from '../../../src/types.js';

let server: CountlyTestServer;
const open: Countly[] = [];
beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.shutdown();
  await server.close();
});

const ORIGIN = 'https://shop.example.com';

/** A page the test navigates: the platform reports it like the browser one. */
function fakePage(path = '/') {
  let location: PageLocation = { href: `${ORIGIN}${path}`, pathname: path, referrer: 'https://search.example.org/' };
  const listeners = new Set<(l: PageLocation) => void>();
  const platform: Platform = {
    ...neutralPlatform(),
    name: 'Web',
    currentLocation: () => location,
    onNavigation(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    platform,
    listeners,
    go(next: string) {
      location = { href: `${ORIGIN}${next}`, pathname: next.replace(/[?#].*$/, '') };
      for (const l of listeners) l(location);
    },
  };
}

async function sdk(platform: Platform, config: Partial<CountlyConfig> = {}) {
  const clock = simulatedClock();
  const lines: string[] = [];
  const countly = createCountly({
    url: server.url,
    appKey: 'k',
    storage: memoryStorage(),
    clock,
    platform,
    logListener: (line) => lines.push(line),
    ...config,
  });
  open.push(countly);
  await countly.ready;
  // The first page is reported in a microtask after init.
  await Promise.resolve();
  return { countly, clock, lines };
}

const nameOf = (e: Record<string, unknown>): string => String((e.segmentation as Record<string, unknown> | undefined)?.name);
const views = () => server.events().filter((e) => e.key === '[CLY]_view');
const brief = () => views().map((e) => `${e.dur === undefined ? 'start' : 'end'} ${nameOf(e)}${e.dur === undefined ? '' : ` ${e.dur}`}`);

describe('automatic page views over HTTP', () => {
  it('records the page at init, one view per new page, the previous one ended with dur', async () => {
    const page = fakePage('/');
    const { countly, clock } = await sdk(page.platform, { views: { automatic: true, exclusions: [`${ORIGIN}/login`] } });
    clock.advance(4000);
    page.go('/products');
    page.go('/products');
    clock.advance(2000);
    page.go('/login');
    clock.advance(1000);
    page.go('/products#reviews');
    await countly.queue.flush();
    expect(brief()).toEqual([`start ${ORIGIN}/`, `end ${ORIGIN}/ 4`, `start ${ORIGIN}/products`, `end ${ORIGIN}/products 3`, `start ${ORIGIN}/products#reviews`]);
    const [first, , second] = views();
    expect(first?.segmentation).toMatchObject({ name: `${ORIGIN}/`, visit: '1', segment: 'Web', view: `${ORIGIN}/`, domain: 'shop.example.com', start: '1' });
    expect(second?.segmentation).not.toHaveProperty('start');
    expect(second).toMatchObject({ pvid: first?.id });
  });

  it('shortNames: views named by the path', async () => {
    const page = fakePage('/home');
    const { countly, clock } = await sdk(page.platform, { views: { automatic: true, shortNames: true } });
    clock.advance(1000);
    page.go('/home?tab=2');
    page.go('/cart');
    await countly.queue.flush();
    expect(brief()).toEqual(['start /home', 'end /home 1', 'start /cart']);
  });

  it('without views.automatic the hook is never installed and nothing is recorded', async () => {
    const page = fakePage('/');
    const { countly } = await sdk(page.platform);
    expect(page.listeners.size).toBe(0);
    await countly.queue.flush();
    expect(views()).toEqual([]);
  });

  it('removes its listener at shutdown', async () => {
    const page = fakePage('/');
    const { countly } = await sdk(page.platform, { views: { automatic: true } });
    expect(page.listeners.size).toBe(1);
    await countly.shutdown();
    expect(page.listeners.size).toBe(0);
  });

  it('a throwing hook costs automatic views and a log line; manual views still work', async () => {
    const platform: Platform = {
      ...neutralPlatform(),
      name: 'Web',
      currentLocation: () => {
        throw new Error('no location');
      },
      onNavigation: () => {
        throw new Error('no history');
      },
    };
    const { countly, lines } = await sdk(platform, { views: { automatic: true } });
    countly.views.start('Manual');
    await countly.queue.flush();
    expect(brief()).toEqual(['start Manual']);
    expect(lines.some((l) => l.includes('onNavigation hook failed'))).toBe(true);
    expect(lines.some((l) => l.includes('currentLocation failed'))).toBe(true);
  });
});
