/**
 * The plugin object (src/integrations/segment/plugin.ts) on its own: its shape is a `Plugin`
 * of both Segment libraries (checked by the compiler here), it calls only chartly's public API,
 * and it never throws or rejects, whatever the event or the instance does.
 */
import type { Plugin as NextPlugin } from '@segment/analytics-next';
import type { Plugin as NodePlugin } from '@segment/analytics-node';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { countlyDestination, type CountlyDestinationPlugin } from '../../../src/integrations/segment/index.js';
import type { Countly } from '../../../src/types.js';

// Compile-time: the one object is a destination plugin of analytics-next and of analytics-node.
const asNext = (p: CountlyDestinationPlugin): NextPlugin => p;
const asNode = (p: CountlyDestinationPlugin): NodePlugin => p;

type Call = [string, ...unknown[]];

/** A stand-in for the chartly instance that records the public calls made on it. */
function fakeCountly(options: { required?: boolean; given?: string[]; deviceId?: string } = {}) {
  const calls: Call[] = [];
  const given = new Set(options.given ?? []);
  let deviceId = options.deviceId ?? 'anon';
  const rec =
    (name: string, effect?: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
      effect?.(...args);
    };
  const countly = {
    ready: Promise.resolve(),
    getState: () => ({ consent: { required: options.required ?? false } }),
    events: { record: rec('events.record') },
    views: { startAutoStopped: rec('views.startAutoStopped') },
    user: { setProperties: rec('user.setProperties'), save: rec('user.save') },
    deviceId: { get: () => deviceId, changeWithMerge: rec('deviceId.changeWithMerge', (id) => (deviceId = id as string)) },
    consent: {
      get: (f: string) => !options.required || given.has(f),
      give: rec('consent.give', (fs) => (fs as string[]).forEach((f) => given.add(f))),
      remove: rec('consent.remove', (fs) => (fs as string[]).forEach((f) => given.delete(f))),
    },
  } as unknown as Countly;
  return { countly, calls };
}

const ctxOf = (event: object) => {
  const logs: string[] = [];
  return { event, logs, log: (_level: 'warn', message: string) => void logs.push(message) };
};

describe('countlyDestination: the plugin object', () => {
  it('is a loaded destination named Countly once the instance is ready', async () => {
    const { countly } = fakeCountly();
    const plugin = countlyDestination(countly);
    expect(asNext(plugin).type).toBe('destination');
    expect(asNode(plugin).name).toBe('Countly');
    expect(plugin.isLoaded()).toBe(false);
    await plugin.load({}, {});
    expect(plugin.isLoaded()).toBe(true);
    await expect(plugin.ready()).resolves.toBeUndefined();
  });

  it('an instance whose ready rejects still loads (logged)', async () => {
    const lines: string[] = [];
    const plugin = countlyDestination({ ready: Promise.reject(new Error('disk')) } as unknown as Countly, { log: (_l, m) => lines.push(m) });
    await plugin.load({}, {});
    expect(plugin.isLoaded()).toBe(true);
    expect(lines).toEqual(['[Countly] [Segment] load, the Countly instance did not become ready: disk']);
  });

  it('maps each call to the public API, in order', async () => {
    const { countly, calls } = fakeCountly();
    const plugin = countlyDestination(countly);
    await plugin.track(ctxOf({ type: 'track', event: 'E', properties: { revenue: 2, k: 'v' } }));
    await plugin.page(ctxOf({ type: 'page', name: 'P', properties: { a: 1 } }));
    await plugin.screen(ctxOf({ type: 'screen', name: 'S' }));
    await plugin.identify(ctxOf({ type: 'identify', userId: 'u', traits: { email: 'e@x' } }));
    await plugin.identify(ctxOf({ type: 'identify', traits: {} }));
    await plugin.group(ctxOf({ type: 'group', groupId: 'g' }));
    await plugin.alias(ctxOf({ type: 'alias', userId: 'v', previousId: 'u' }));
    expect(calls).toEqual([
      ['events.record', 'E', { count: 1, sum: 2, segmentation: { k: 'v' } }],
      ['views.startAutoStopped', 'P', { a: 1 }],
      ['views.startAutoStopped', 'S', {}],
      ['deviceId.changeWithMerge', 'u'],
      ['user.setProperties', { email: 'e@x' }],
      ['user.save'],
      ['user.setProperties', { group: 'g' }],
      ['user.save'],
      ['deviceId.changeWithMerge', 'v'],
    ]);
  });

  it('consent: applied only when required, only where it differs, before the event', async () => {
    const { countly, calls } = fakeCountly({ required: true });
    const plugin = countlyDestination(countly, { consentCategories: { stats: ['events', 'views'], ads: ['attribution'] } });
    const withPrefs = (prefs: object) => ctxOf({ type: 'track', event: 'E', context: { consent: { categoryPreferences: prefs } } });
    await plugin.track(withPrefs({ Stats: true, ads: false }));
    await plugin.track(withPrefs({ Stats: true }));
    await plugin.track(withPrefs({ Stats: false }));
    expect(calls.filter((c) => c[0] !== 'events.record')).toEqual([['consent.give', ['events', 'views']], ['consent.remove', ['events', 'views']]]);
    expect(calls.map((c) => c[0])).toEqual(['consent.give', 'events.record', 'events.record', 'consent.remove', 'events.record']);

    const free = fakeCountly({ required: false });
    await countlyDestination(free.countly).track(withPrefs({ Analytics: false }));
    expect(free.calls.map((c) => c[0])).toEqual(['events.record']);
  });

  it('bad events are logged to the context and the log option, and ignored', async () => {
    const { countly, calls } = fakeCountly();
    const lines: string[] = [];
    const plugin = countlyDestination(countly, { log: (_l, m) => lines.push(m) });
    const ctx = ctxOf({ type: 'track' });
    await expect(plugin.track(ctx)).resolves.toBe(ctx);
    await plugin.group(ctxOf({ type: 'group' }));
    await plugin.alias(ctxOf({ type: 'alias' }));
    await plugin.page(ctxOf({ type: 'page' }));
    await plugin.track(ctxOf({ type: 'track', event: 'E', properties: { list: [{ a: 1 }] } }));
    expect(ctx.logs).toEqual(['[Countly] [Segment] track, track without an event name; ignored']);
    expect(lines).toEqual([
      '[Countly] [Segment] track, track without an event name; ignored',
      '[Countly] [Segment] group, group without a groupId; ignored',
      '[Countly] [Segment] alias, alias without a userId; ignored',
      '[Countly] [Segment] page, page without a name or path; ignored',
      '[Countly] [Segment] track, dropped list (no scalar items)',
    ]);
    expect(calls).toEqual([['events.record', 'E', { count: 1, segmentation: {} }]]);
  });

  it('limits option: only positive integers override the defaults', async () => {
    const { countly, calls } = fakeCountly();
    const plugin = countlyDestination(countly, { limits: { maxSegmentationValues: 2, maxValueSize: -1, maxKeyLength: 2.5 } });
    await plugin.track(ctxOf({ type: 'track', event: 'E', properties: { a: 1, b: 2, c: 3 } }));
    expect(calls).toEqual([['events.record', 'E', { count: 1, segmentation: { a: 1, b: 2 } }]]);
  });

  it('never throws or rejects: any event shape, a throwing instance, a throwing logger', async () => {
    const throwing = new Proxy({}, { get: () => { throw new Error('instance broke'); } }) as Countly;
    const plugin = countlyDestination(throwing, { log: () => { throw new Error('logger broke'); } });
    const methods = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...methods), fc.anything(), async (method, event) => {
        const ctx = { event: event as object, log: vi.fn(() => { throw new Error('segment logger broke'); }) };
        await expect(plugin[method](ctx)).resolves.toBe(ctx);
      }),
      { numRuns: 150 },
    );
    const evil = { get event(): object { throw new Error('getter'); } };
    await expect(plugin.track(evil)).resolves.toBe(evil);
  });

  it('integrations.Countly === false: nothing is called', async () => {
    const { countly, calls } = fakeCountly();
    await countlyDestination(countly).track(ctxOf({ type: 'track', event: 'E', integrations: { Countly: false } }));
    expect(calls).toEqual([]);
  });
});
