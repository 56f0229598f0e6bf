/**
 * `createCountlyWith` (issue 11 item 8, "features separable"): an instance with the core and
 * the features an app names works against the local server like a full one, has exactly the
 * namespaces of its features, and a bad list degrades to the core with a warning.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../../src/adapters/clock.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { features } from '../../src/features/index.js';
import * as chartly from '../../src/index.js';
import { CORE_FEATURES, createCountlyWith, type OptionalFeature } from '../../src/modular.js';
import type { CountlyConfig } from '../../src/types.js';
import { useLocalServer } from '../helpers/sdk.js';

const RUNTIME = ['actors', 'getState', 'ready', 'setServerUrl', 'shutdown', 'state$'];
const OPTIONAL = features.filter((f) => !(CORE_FEATURES as readonly unknown[]).includes(f)) as unknown as OptionalFeature[];

function config(url: string, logs: string[] = []): CountlyConfig {
  return {
    url,
    appKey: 'modular-app',
    storage: memoryStorage(),
    clock: simulatedClock(),
    platform: neutralPlatform(),
    disableBehaviorSettingsUpdates: true,
    disableHealthCheck: true,
    logListener: (message) => logs.push(message),
  };
}

/** The namespaces (and top-level methods) a list of features gives an instance. */
const membersOf = (list: readonly { api?: unknown }[]): string[] => {
  const names = new Set<string>();
  for (const f of list) {
    if (typeof f.api !== 'function') continue;
    // A context that answers anything with itself: the api only builds its namespace objects.
    const deep: unknown = new Proxy(function context() {}, { get: () => deep, apply: () => deep });
    for (const key of Object.keys((f.api as (ctx: unknown) => object)(deep))) names.add(key);
  }
  return [...names];
};

describe('createCountlyWith', () => {
  const local = useLocalServer();

  it('events, sessions, views and consent: everything they record arrives, wire-exact like a full instance', async () => {
    const countly = createCountlyWith({ ...config(local.server.url), requiresConsent: true }, { features: [chartly.eventsFeature, chartly.sessionFeature, chartly.viewsFeature, chartly.consentFeature] });
    await countly.ready;
    countly.consent.give(['sessions', 'events', 'views']);
    countly.sessions.begin();
    countly.views.start('home');
    countly.events.record('purchase', { count: 2, sum: 9.5, segmentation: { plan: 'pro' } });
    await countly.queue.flush();
    const keys = local.server.events().map((e) => e.key);
    expect(keys).toContain('purchase');
    expect(keys).toContain('[CLY]_view');
    expect(local.server.received.some((r) => r.params.begin_session === '1')).toBe(true);
    expect(local.server.received.some((r) => r.params.consent !== undefined)).toBe(true);
    expect(countly.getState().queue).toEqual({ requests: 0, events: 0 });
    await countly.shutdown();
  });

  it('has exactly the runtime members, the core namespaces and those of the features given', async () => {
    const countly = createCountlyWith(config(local.server.url), { features: [chartly.eventsFeature] });
    expect(Object.keys(countly).sort()).toEqual([...RUNTIME, ...membersOf([...CORE_FEATURES, chartly.eventsFeature])].sort());
    expect((countly as unknown as Record<string, unknown>).remoteConfig).toBeUndefined();
    expect(Object.keys(countly.actors).sort()).toEqual([]); // filled at boot
    await countly.ready;
    expect(Object.keys(countly.actors).sort()).toEqual(['backoff', 'deviceId', 'events', 'lifecycle', 'processor', 'settings']);
    await countly.shutdown();
  });

  it('the core alone boots, has a device ID and sends what the API queues', async () => {
    const countly = createCountlyWith(config(local.server.url), { features: [] });
    await countly.ready;
    expect(countly.deviceId.type()).toBe('SDK_GENERATED');
    countly.queue.addDirectRequest({ custom: 'x' });
    await countly.queue.flush();
    expect(local.server.received.some((r) => r.params.custom === 'x')).toBe(true);
    await countly.shutdown();
  });

  it('a bad list is warned about and the core starts anyway; never a throw', async () => {
    const logs: string[] = [];
    const notArray = createCountlyWith(config(local.server.url, logs), { features: 'events' as never });
    const trap = new Proxy({}, { get: () => { throw new Error('trap'); } });
    const mixed = createCountlyWith(config(local.server.url, logs), { features: [chartly.eventsFeature, { name: 'events' }, 42, null, trap] as never });
    const hostile = createCountlyWith(config(local.server.url, logs), new Proxy({}, { get: () => { throw new Error('trap'); } }) as never);
    await Promise.all([notArray.ready, mixed.ready, hostile.ready]);
    expect(logs.filter((l) => l.includes('[Init] createCountlyWith, options.features must be an array'))).toHaveLength(2);
    expect(logs.filter((l) => l.includes('is not a chartly feature and was left out'))).toHaveLength(4);
    expect(Object.keys(mixed)).toContain('events');
    await Promise.all([notArray.shutdown(), mixed.shutdown(), hostile.shutdown()]);
  });

  it('property: any subset, in any order and with repeats, boots with exactly its namespaces and shuts down cleanly', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...OPTIONAL), { maxLength: 20 }), async (list) => {
        const logs: string[] = [];
        const countly = createCountlyWith(config(local.server.url, logs), { features: list });
        await countly.ready;
        expect(countly.getState().status).toBe('ready');
        expect(Object.keys(countly).sort()).toEqual([...new Set([...RUNTIME, ...membersOf([...CORE_FEATURES, ...list])])].sort());
        const names = new Set([...CORE_FEATURES, ...list].map((f) => f.name));
        expect(Object.keys(countly.actors).sort()).toEqual([...names].sort());
        await countly.queue.flush();
        await countly.shutdown();
        expect(logs.filter((l) => l.includes('[Countly]') && /error/i.test(l) && !l.includes('Network'))).toEqual([]);
      }),
      { numRuns: 10 },
    );
  });
});
