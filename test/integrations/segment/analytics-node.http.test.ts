/**
 * The destination registered in the real `@segment/analytics-node` (exact devDependency), driven
 * through Segment's own API, asserting what the local Countly server receives.
 *
 * Segment's own delivery never leaves the process: `host` is a dead local URL, and the
 * `httpClient` answers every batch 200 locally (and records it), so no socket is opened for it.
 */
import { Analytics, type Context, type HTTPClient, type HTTPClientRequest } from '@segment/analytics-node';
import { describe, expect, it } from 'vitest';
import { countlyDestination } from '../../../src/integrations/segment/index.js';
import type { Countly } from '../../../src/types.js';
import { DEAD_URL, useLocalServer } from '../../helpers/sdk.js';
import { consents, customEvents, merges, userDetails, viewStarts } from './segment-shared.js';

const local = useLocalServer();

/** analytics-node with our destination; Segment's batches are answered locally. */
async function segmentWith(countly: Countly) {
  const batches: HTTPClientRequest[] = [];
  const httpClient: HTTPClient = {
    makeRequest: async (request) => {
      batches.push(request);
      return { status: 200, statusText: 'OK', headers: {} };
    },
  };
  const analytics = new Analytics({ writeKey: 'test-write-key', host: DEAD_URL, flushAt: 1, maxRetries: 0, httpClient });
  await analytics.register(countlyDestination(countly));
  /** Runs one Segment call and resolves when analytics-node has dispatched it. */
  const call = (run: (done: (err?: unknown, ctx?: Context) => void) => void): Promise<Context | undefined> =>
    new Promise((resolve, reject) => run((err, ctx) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(ctx))));
  return { analytics, batches, call };
}

describe('analytics-node → chartly → local Countly server', () => {
  it('track, page, screen, identify, group and alias, each as the Countly server expects it', async () => {
    const { countly } = await local.sdk();
    const anonymous = countly.deviceId.get();
    const { analytics, batches, call } = await segmentWith(countly);

    await call((done) => analytics.track({ anonymousId: 'anon-1', event: 'Checkout Started', properties: { revenue: 19.99, value: 3, order: { id: 'o-1' } } }, done));
    await call((done) => analytics.page({ anonymousId: 'anon-1', category: 'Docs', name: 'Install', properties: { path: '/docs/install' } }, done));
    await call((done) => analytics.screen({ anonymousId: 'anon-1', name: 'Home' }, done));
    await call((done) => analytics.identify({ userId: 'user-9', traits: { name: 'Grace Hopper', email: 'grace@example.com', birthday: new Date(Date.UTC(1906, 11, 9)), company: { name: 'Navy' }, logins: 3 } }, done));
    await call((done) => analytics.group({ userId: 'user-9', groupId: 'g-7', traits: { plan: 'team' } }, done));
    await call((done) => analytics.alias({ userId: 'user-10', previousId: 'user-9' }, done));
    await call((done) => analytics.track({ userId: 'user-10', event: 'After Alias' }, done));
    await countly.queue.flush();

    // A change with merge does not flush recorded events first (spec 001 l. 2268–2271: no need),
    // so the one recorded before it is sent under the new ID too: the server merged the IDs.
    expect(customEvents(local.server)).toEqual([
      { key: 'Checkout Started', count: 1, sum: 19.99, segmentation: { value: 3, order_id: 'o-1' }, device_id: 'user-10' },
      { key: 'After Alias', count: 1, sum: 0, segmentation: undefined, device_id: 'user-10' },
    ]);
    expect(viewStarts(local.server)).toEqual([
      { name: 'Install', segmentation: { path: '/docs/install', category: 'Docs' } },
      { name: 'Home', segmentation: {} },
    ]);
    expect(merges(local.server)).toEqual([
      { from: anonymous, to: 'user-9' },
      { from: 'user-9', to: 'user-10' },
    ]);
    expect(userDetails(local.server)).toEqual([
      { device_id: 'user-9', details: { name: 'Grace Hopper', email: 'grace@example.com', byear: 1906, organization: 'Navy', custom: { logins: 3 } } },
      { device_id: 'user-9', details: { custom: { group: 'g-7', group_plan: 'team' } } },
    ]);
    // Segment's own delivery went on beside ours (answered locally).
    await analytics.closeAndFlush();
    expect(batches.length).toBeGreaterThanOrEqual(7);
    expect(batches.every((b) => b.url.startsWith(DEAD_URL))).toBe(true);
    expect(consents(local.server)).toEqual([]);
  });

  it('alias to the current device ID changes nothing and logs nothing', async () => {
    const { countly } = await local.sdk();
    const { analytics, call } = await segmentWith(countly);
    const ctx = await call((done) => analytics.alias({ userId: countly.deviceId.get(), previousId: 'x' }, done));
    expect(ctx?.logs().filter((l) => l.message.includes('[Countly]'))).toEqual([]);
    await countly.queue.flush();
    expect(merges(local.server)).toEqual([]);
    await analytics.closeAndFlush();
  });
});
