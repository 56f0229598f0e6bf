/**
 * View events as the server receives them (local Countly-compatible server, simulated clock):
 * - the merged segmentation cap holds on the wire (spec 001 l.1706–1709, l.4534–4542)
 * - the start event has neither `dur` nor `sum`, the end event `dur` only (spec 001 l.1923–1955)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { neutralPlatform } from '../../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
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

async function sdk(config: Partial<CountlyConfig> = {}) {
  const clock = simulatedClock();
  const countly = createCountly({ url: server.url, appKey: 'k', storage: memoryStorage(), clock, platform: neutralPlatform(), ...config });
  open.push(countly);
  await countly.ready;
  return { countly, clock };
}

const keys = (prefix: string, n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));
const viewEvents = () => server.events().filter((e) => e.key === '[CLY]_view');

describe('view events on the wire', () => {
  it('80 global + 80 start + 80 stop keys reach the server as 100 developer keys per event', async () => {
    const { countly, clock } = await sdk({ views: { globalSegmentation: keys('g', 80) } });
    const id = countly.views.start('V', keys('s', 80));
    clock.advance(2000);
    countly.views.stopById(id!, keys('t', 80));
    await countly.queue.flush();
    const [start, end] = viewEvents();
    const custom = (seg: unknown) => Object.keys(typeof seg === 'object' && seg !== null ? seg : {}).filter((k) => !['name', 'visit', 'start', 'segment'].includes(k));
    expect(custom(start?.segmentation)).toHaveLength(100);
    expect(custom(end?.segmentation)).toHaveLength(100);
    expect(end?.segmentation).toMatchObject({ name: 'V', segment: 'JS' });
    expect(end?.dur).toBe(2);
  });

  // Internal events carry only the numbers they were given (src/domain/events.ts buildWireEvent).
  it('start events carry no dur and no sum; end events carry dur and no sum (spec 001 l.1923–1955)', async () => {
    const { countly, clock } = await sdk();
    const id = countly.views.startAutoStopped('Home');
    clock.advance(30_000);
    countly.views.stopById(id!);
    await countly.queue.flush();
    const [start, end] = viewEvents();
    expect(start).toBeDefined();
    expect(start).not.toHaveProperty('dur');
    expect(start).not.toHaveProperty('sum');
    expect(end).toHaveProperty('dur', 30);
    expect(end).not.toHaveProperty('sum');
  });
});
