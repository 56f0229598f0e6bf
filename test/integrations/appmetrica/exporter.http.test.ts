/**
 * The AppMetrica exporter over HTTP: an instance with `exporters: [appMetricaExporter(...)]`
 * against the local server, which serves both Countly's /i and the AppMetrica Post API
 * endpoint (src/server/appmetrica.ts), on a simulated clock.
 *
 * - the rows AppMetrica receives are exactly the recorded events (and /i gets them too);
 * - events older than seven days are dropped with a warning, never sent;
 * - a 403 is a configuration error: logged, tried three times, then dropped (no fourth try);
 * - a restart on the same storage sends what was pending exactly once.
 */
import { describe, expect, it, vi } from 'vitest';
import { simulatedClock, type ManualClock } from '../../../src/adapters/clock.js';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import type { Platform } from '../../../src/adapters/types.js';
import { appMetricaExporter } from '../../../src/integrations/appmetrica/index.js';
import { CSV_PATH } from '../../../src/integrations/appmetrica/rows.js';
import type { CountlyTestServer } from '../../../src/server/index.js';
import { DEAD_URL, useLocalServer } from '../../helpers/sdk.js';

const KEY = 'post-api-key-1';
const APP = 1111;
const DAY = 24 * 3600 * 1000;

const platform: Platform = {
  name: 'Test',
  metrics: () => ({ _os: 'Android', _os_version: '14', _device: 'Pixel 8', _device_type: 'mobile', _locale: 'en-US', _app_version: '2.1.0' }),
  isForeground: () => true,
};

const appMetricaRequests = (server: CountlyTestServer) => server.received.filter((r) => r.path === CSV_PATH);

describe('appMetricaExporter over HTTP', () => {
  const local = useLocalServer();
  const serverOn = (clock: ManualClock): void => local.server.configure({ appMetrica: { postApiKey: KEY, applicationId: APP, now: () => clock.now() } });

  it('AppMetrica receives exactly the recorded events; Countly /i gets them too', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const { countly } = await local.sdk({ clock, platform, appVersion: '2.1.0', exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url })] });
    countly.events.record('purchase', { segmentation: { item: 'sword, "great"\nedition', level: 3 }, sum: 9.99 });
    countly.events.record('level_up', { count: 2 });
    clock.advance(1500);
    countly.events.record('logout');
    await countly.queue.flush();

    const ts = (ms: number): string => String(Math.floor(ms / 1000));
    const device = { os_name: 'android', os_version: '14', device_model: 'Pixel 8', device_type: 'phone', device_locale: 'en_US', app_version_name: '2.1.0' };
    const deviceId = countly.deviceId.get();
    const t0 = Date.UTC(2026, 0, 1);
    expect(local.server.appMetrica()).toEqual([
      { application_id: '1111', profile_id: deviceId, event_name: 'purchase', event_timestamp: ts(t0), event_json: '{"item":"sword, \\"great\\"\\nedition","level":3,"_sum":9.99}', session_type: 'foreground', ...device },
      { application_id: '1111', profile_id: deviceId, event_name: 'level_up', event_timestamp: ts(t0), event_json: '{"_count":2}', session_type: 'foreground', ...device },
      { application_id: '1111', profile_id: deviceId, event_name: 'logout', event_timestamp: ts(t0 + 1500), session_type: 'foreground', ...device },
    ]);
    const posts = appMetricaRequests(local.server);
    expect(posts.every((r) => r.method === 'POST' && r.rawQuery === `post_api_key=${KEY}` && r.status === 200)).toBe(true);
    expect(posts[0]!.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(local.server.events().map((e) => e.key)).toEqual(['purchase', 'level_up', 'logout']);
  });

  it('profileId maps the device ID', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const { countly } = await local.sdk({ clock, deviceId: 'user-42', exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url, profileId: (id) => `p:${id}` })] });
    countly.events.record('open');
    await countly.queue.flush();
    expect(local.server.appMetrica().map((r) => r.profile_id)).toEqual(['p:user-42']);
  });

  it('a restart on the same storage sends what was pending exactly once; events past seven days are dropped', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const storage = memoryStorage();
    // First run: AppMetrica unreachable, the events stay in the exporter's queue.
    const first = await local.sdk({ clock, storage, exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: DEAD_URL })] });
    first.countly.events.record('old');
    clock.advance(2 * DAY);
    first.countly.events.record('kept_a');
    first.countly.events.record('kept_b');
    await first.countly.queue.flush();
    await local.stop(first);
    expect(local.server.appMetrica()).toEqual([]);

    // Six days later: `old` is eight days old, the others six.
    clock.advance(6 * DAY);
    const second = await local.sdk({ clock, storage, exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url })] });
    second.countly.events.record('new');
    await second.countly.queue.flush();
    await second.countly.queue.flush();
    expect(local.server.appMetrica().map((r) => r.event_name)).toEqual(['kept_a', 'kept_b', 'new']);
    expect(second.warnings().filter((w) => w.includes('[AppMetrica]'))).toEqual([
      '[Countly] [AppMetrica] load, 1 event(s) older than seven days dropped: the Post API refuses them',
    ]);

    // Third run: nothing left to send again.
    await local.stop(second);
    const third = await local.sdk({ clock, storage, exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url })] });
    await third.countly.queue.flush();
    expect(local.server.appMetrica().map((r) => r.event_name)).toEqual(['kept_a', 'kept_b', 'new']);
  });

  it('a 403 is a configuration error: three tries with cool-downs, then dropped, never retried again', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const { countly, logs } = await local.sdk({ clock, exporters: [appMetricaExporter({ postApiKey: 'wrong-key', applicationId: APP, url: local.server.url })] });
    const errors = (): string[] => logs.filter((l) => l.level === 'error' && l.message.includes('[AppMetrica]')).map((l) => l.message);
    countly.events.record('purchase');
    // Each refusal is answered, logged, and followed by a cool-down on the host clock.
    for (const [tries, cooldown] of [[1, 5_000], [2, 10_000], [3, 0]] as const) {
      await vi.waitFor(() => expect(errors()).toHaveLength(tries));
      clock.advance(cooldown);
    }
    clock.advance(DAY);
    await countly.queue.flush();
    expect(appMetricaRequests(local.server).map((r) => r.status)).toEqual([403, 403, 403]);
    expect(errors()[0]).toContain('configuration error');
    expect(errors()[2]).toContain('1 event(s) dropped');
    expect(local.server.appMetrica()).toEqual([]);
    // The Countly server got the event regardless.
    expect(local.server.events().map((e) => e.key)).toEqual(['purchase']);
  });

  it('a 5xx is retried after the cool-down and then delivered once', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const { countly, warnings } = await local.sdk({ clock, exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url })] });
    let first = true;
    local.server.rejectWhen((p) => p.post_api_key !== undefined && first && !(first = false), { status: 503, body: '{"result":"Unavailable"}' });
    countly.events.record('purchase');
    await vi.waitFor(() => expect(warnings()).toContain('[Countly] [AppMetrica] upload, failed (status 503); trying again in 5 s'));
    clock.advance(5_000);
    await local.server.waitFor(() => appMetricaRequests(local.server).length === 2, 5000);
    await countly.queue.flush();
    expect(appMetricaRequests(local.server).map((r) => r.status)).toEqual([503, 200]);
    expect(local.server.appMetrica().map((r) => r.event_name)).toEqual(['purchase']);
  });

  it('flush() during a cool-down tries at once', async () => {
    const clock = simulatedClock();
    serverOn(clock);
    const { countly, warnings } = await local.sdk({ clock, exporters: [appMetricaExporter({ postApiKey: KEY, applicationId: APP, url: local.server.url })] });
    local.server.rejectWhen((p) => p.post_api_key !== undefined, { status: 500 });
    countly.events.record('purchase');
    await vi.waitFor(() => expect(warnings().some((w) => w.includes('failed (status 500)'))).toBe(true));
    local.server.rejectWhen(null);
    await countly.queue.flush();
    expect(appMetricaRequests(local.server).map((r) => r.status).at(-1)).toBe(200);
    expect(local.server.appMetrica().map((r) => r.event_name)).toEqual(['purchase']);
  });

  it('bad exporters are warned about and left out; a bad option set exports nothing', async () => {
    const clock = simulatedClock();
    const { countly, warnings, logs } = await local.sdk({
      clock,
      exporters: [{ name: 'broken' } as never, appMetricaExporter({ postApiKey: '', applicationId: APP, url: local.server.url })],
    });
    countly.events.record('x');
    await countly.queue.flush();
    expect(warnings()).toContain('[Countly] [Init] createCountly, exporters[0] must be an object with start, export, flush, shutdown functions; ignored');
    expect(logs.some((l) => l.level === 'error' && l.message.includes('postApiKey must be a non-empty string'))).toBe(true);
    expect(appMetricaRequests(local.server)).toEqual([]);
  });
});
