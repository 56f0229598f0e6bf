/**
 * The spec's session and view examples over HTTP, against the local Countly-compatible
 * server, with the SDK on a simulated clock:
 * - the 2 min 30 s session: begin, 60, 60, end with 30 (spec: Sessions)
 * - view1 for 60 s, then view2 for 30 s, then the app exits (000: views)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedClock } from '../../src/adapters/clock.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { Platform } from '../../src/adapters/types.js';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';
import { createCountly } from '../../src/sdk.js';
import type { Countly, CountlyConfig } from '../../src/types.js';

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
  // No health-check report: the tests count the /i requests.
  const countly = createCountly({ url: server.url, appKey: 'k', storage: memoryStorage(), clock, platform: neutralPlatform(), disableHealthCheck: true, ...config });
  open.push(countly);
  await countly.ready;
  return { countly, clock };
}

const inBackground = (): Platform => ({ ...neutralPlatform(), isForeground: () => false });

/** The session params of the accepted /i requests, in arrival order. */
const sessionRequests = () =>
  server
    .accepted()
    .filter((r) => r.path === '/i' && (r.params.begin_session || r.params.session_duration || r.params.end_session))
    .map((r) => {
      const { begin_session, session_duration, end_session } = r.params;
      return { ...(begin_session ? { begin_session } : {}), ...(session_duration ? { session_duration } : {}), ...(end_session ? { end_session } : {}) };
    });

describe('sessions over HTTP', () => {
  it('a 2 min 30 s session: begin, 60, 60, end with 30 (lifecycle)', async () => {
    const { countly, clock } = await sdk({ platform: inBackground(), appVersion: '3.0' });
    countly.lifecycle.foreground();
    clock.advance(150_000);
    countly.lifecycle.background();
    await countly.queue.flush();
    expect(sessionRequests()).toEqual([{ begin_session: '1' }, { session_duration: '60' }, { session_duration: '60' }, { end_session: '1', session_duration: '30' }]);
    const begin = server.accepted().find((r) => r.params.begin_session === '1');
    expect(JSON.parse(begin!.params.metrics!)).toMatchObject({ _os: 'Unknown', _app_version: '3.0' });
  });

  it('a 2 min 30 s session begun at init in the foreground', async () => {
    const { countly, clock } = await sdk();
    clock.advance(150_000);
    countly.lifecycle.background();
    await countly.queue.flush();
    expect(sessionRequests()).toEqual([{ begin_session: '1' }, { session_duration: '60' }, { session_duration: '60' }, { end_session: '1', session_duration: '30' }]);
  });

  it('the same session with manual control', async () => {
    const { countly, clock } = await sdk({ manualSessions: true });
    countly.sessions.begin();
    clock.advance(60_000);
    countly.sessions.update();
    clock.advance(60_000);
    countly.sessions.update();
    clock.advance(30_000);
    countly.sessions.end();
    await countly.queue.flush();
    expect(sessionRequests()).toEqual([{ begin_session: '1' }, { session_duration: '60' }, { session_duration: '60' }, { end_session: '1', session_duration: '30' }]);
  });
});

describe('begin_session metrics over HTTP (spec: Device Metrics — fetched from device on demand)', () => {
  /** A platform whose screen can change while the app runs. */
  function resizable() {
    const screen = { resolution: '1024x768' };
    const platform: Platform = { ...neutralPlatform(), metrics: () => ({ _os: 'Test', _resolution: screen.resolution }) };
    return { platform, screen };
  }
  const begins = () => server.accepted().filter((r) => r.path === '/i' && r.params.begin_session === '1');
  const metricsOf = (r: { params: Record<string, string | undefined> }) => JSON.parse(r.params.metrics!) as Record<string, string>;

  it('each begin_session carries the metrics read when it was queued, right after begin_session', async () => {
    const { platform, screen } = resizable();
    const { countly, clock } = await sdk({ platform, manualSessions: true, appVersion: '2.0', location: { city: 'Berlin' } });
    countly.sessions.begin();
    clock.advance(10_000);
    countly.sessions.end();
    screen.resolution = '1920x1080';
    clock.advance(10_000);
    countly.sessions.begin();
    await countly.queue.flush();
    expect(begins().map(metricsOf)).toEqual([
      { _os: 'Test', _resolution: '1024x768', _app_version: '2.0' },
      { _os: 'Test', _resolution: '1920x1080', _app_version: '2.0' },
    ]);
    // Wire order: begin_session, metrics, then the location params.
    const first = begins()[0]!;
    const keys = new URLSearchParams(first.method === 'POST' ? first.rawBody : first.rawQuery);
    const order = [...keys.keys()].filter((k) => ['begin_session', 'metrics', 'city'].includes(k));
    expect(order).toEqual(['begin_session', 'metrics', 'city']);
  });

  it('metricOverride still wins over what the platform reports at each begin', async () => {
    const { platform, screen } = resizable();
    const { countly, clock } = await sdk({ platform, manualSessions: true, metricOverride: { _resolution: '1x1', _carrier: 'c' } });
    countly.sessions.begin();
    clock.advance(10_000);
    countly.sessions.end();
    screen.resolution = '1920x1080';
    countly.sessions.begin();
    await countly.queue.flush();
    expect(begins().map(metricsOf)).toEqual([
      { _os: 'Test', _resolution: '1x1', _app_version: '0.0', _carrier: 'c' },
      { _os: 'Test', _resolution: '1x1', _app_version: '0.0', _carrier: 'c' },
    ]);
  });
});

describe('views over HTTP', () => {
  it('view1 for 60 s, then view2 for 30 s, then the app exits (000: views)', async () => {
    const { countly, clock } = await sdk({ platform: inBackground() });
    countly.lifecycle.foreground();
    const id1 = countly.views.startAutoStopped('view1');
    clock.advance(60_000);
    const id2 = countly.views.startAutoStopped('view2');
    clock.advance(30_000);
    countly.lifecycle.background();
    await countly.queue.flush();
    const views = server.events().filter((e) => e.key === '[CLY]_view');
    // Start events carry no duration (the events feature may send `dur: 0`).
    expect(views.map((e) => ({ id: e.id, count: e.count, dur: e.dur ?? 0, segmentation: e.segmentation }))).toEqual([
      { id: id1, count: 1, dur: 0, segmentation: { name: 'view1', visit: '1', segment: 'JS', start: '1' } },
      { id: id1, count: 1, dur: 60, segmentation: { name: 'view1', segment: 'JS' } },
      { id: id2, count: 1, dur: 0, segmentation: { name: 'view2', visit: '1', segment: 'JS' } },
      { id: id2, count: 1, dur: 30, segmentation: { name: 'view2', segment: 'JS' } },
    ]);
    expect(views.map((e) => e.pvid)).toEqual(['', '', id1, id1]);
    expect(sessionRequests()).toEqual([{ begin_session: '1' }, { session_duration: '60' }, { end_session: '1', session_duration: '30' }]);
  });

  it('a view running when the app goes to the background starts again, first in the new session', async () => {
    const { countly, clock } = await sdk({ platform: inBackground() });
    countly.lifecycle.foreground();
    const id1 = countly.views.startAutoStopped('home');
    clock.advance(10_000);
    countly.lifecycle.background();
    clock.advance(20_000);
    countly.lifecycle.foreground();
    clock.advance(5_000);
    countly.lifecycle.background();
    await countly.queue.flush();
    const views = server.events().filter((e) => e.key === '[CLY]_view');
    expect(views.map((e) => [(e.segmentation as Record<string, unknown> | undefined)?.name, e.dur ?? 0, (e.segmentation as Record<string, unknown> | undefined)?.start ?? null, (e.segmentation as Record<string, unknown> | undefined)?.visit ?? null])).toEqual([
      ['home', 0, '1', '1'],
      ['home', 10, null, null],
      ['home', 0, '1', '1'],
      ['home', 5, null, null],
    ]);
    expect(views[0]?.id).toBe(id1);
    // The events of each session go out before its end_session.
    const kinds = server.accepted().filter((r) => r.path === '/i').map((r) => (r.params.begin_session ? 'begin' : r.params.end_session ? 'end' : r.params.events ? 'events' : 'other'));
    expect(kinds).toEqual(['begin', 'events', 'end', 'begin', 'events', 'end']);
  });
});

describe('view events across a restart', () => {
  it('a view start and end sharing the view ID are both delivered once after a restart', async () => {
    const { fileStorage } = await import('../../src/adapters/storage/file.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'chartly-views-'));
    try {
      const first = createCountly({ url: 'http://127.0.0.1:9', appKey: 'k', storage: fileStorage(dir), clock: simulatedClock(), platform: neutralPlatform(), manualSessions: true });
      await first.ready;
      const id = first.views.start('checkout');
      first.views.stopById(id!);
      expect(first.getState().queue.events).toBe(2);
      await first.shutdown();

      const second = createCountly({ url: server.url, appKey: 'k', storage: fileStorage(dir), clock: simulatedClock(), platform: neutralPlatform(), manualSessions: true });
      open.push(second);
      await second.ready;
      // The two stored view events went into one request at boot.
      expect(second.getState().queue).toEqual({ requests: 1, events: 0 });
      await second.queue.flush();
      expect(server.events().filter((e) => e.key === '[CLY]_view').map((e) => e.id)).toEqual([id, id]);
      expect(second.getState().queue.events).toBe(0);
      await second.shutdown();

      const third = createCountly({ url: server.url, appKey: 'k', storage: fileStorage(dir), clock: simulatedClock(), platform: neutralPlatform(), manualSessions: true });
      open.push(third);
      await third.ready;
      expect(third.getState().queue).toMatchObject({ events: 0, requests: 0 });
      // Shut down before the directory goes: a live file store recreates a deleted directory.
      await third.shutdown();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
