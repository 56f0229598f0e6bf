/**
 * APM over HTTP (spec: SDK guide l. 4118-4153): each request shape as the local
 * Countly-compatible server receives it, on a simulated clock — one request per data point,
 * through the queue, with only `apm=` besides the base params — and bad input from the
 * public namespace never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { neutralPlatform } from '../../../src/adapters/platform/neutral.js';
import type { ApmTrace } from '../../../src/domain/apm.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const T = Date.UTC(2026, 0, 1);
const APM_FUNCTIONS = ['startTrace', 'endTrace', 'cancelTrace', 'cancelAllTraces', 'recordNetworkTrace', 'startNetworkRequest', 'endNetworkRequest', 'setAppIsLoaded'] as const;

describe('apm over HTTP', () => {
  const local = useLocalServer();

  const apmRequests = (): Array<{ trace: ApmTrace; params: Record<string, string> }> =>
    local.server
      .accepted()
      .filter((r) => r.params.apm !== undefined)
      .map((r) => ({ trace: JSON.parse(r.params.apm!) as ApmTrace, params: r.params }));
  const sent = async (s: TestSdk): Promise<ApmTrace[]> => {
    await s.countly.queue.flush();
    return apmRequests().map((r) => r.trace);
  };

  it('custom trace: one request with apm= only, duration from start to end, custom metrics after it', async () => {
    const s = await local.sdk({ clock: simulatedClock(T) });
    // init took the first few ms stamps (unique, in call order): start clear of them
    s.clock.advance(10);
    s.countly.apm.startTrace('forLoopProfiling_1');
    s.clock.advance(250);
    s.countly.apm.endTrace('forLoopProfiling_1', { memory: 200, duration: 5, 'a.b': 1 });
    expect(await sent(s)).toEqual([{ type: 'device', name: 'forLoopProfiling_1', apm_metrics: { duration: 250, memory: 200, 'a.b': 1 }, stz: T + 10, etz: T + 260 }]);
    const params = apmRequests()[0]!.params;
    expect(params.events).toBeUndefined();
    expect(params.begin_session).toBeUndefined();
    expect(Number(params.timestamp)).toBe(T + 260);
    expect(s.warnings().some((w) => w.includes('[APM] endTrace, custom metric key [duration] is reserved; removed'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('[APM] endTrace, custom metric key [a.b] contains "."'))).toBe(true);
  });

  it('network trace, one shot: the spec sample shape; start after end swapped, code and sizes checked', async () => {
    const s = await local.sdk({ clock: simulatedClock(T) });
    s.countly.apm.recordNetworkTrace('/count.ly/about', 300, 70, 120, T - 1000, T - 2330);
    s.countly.apm.recordNetworkTrace('/bad', 42, -1, Number.NaN, T - 10, T);
    const traces = await sent(s);
    expect(JSON.stringify(traces[0])).toBe(
      JSON.stringify({
        type: 'network',
        name: '/count.ly/about',
        apm_metrics: { response_time: 1330, response_payload_size: 120, response_code: 300, request_payload_size: 70 },
        stz: T - 2330,
        etz: T - 1000,
      }),
    );
    expect(traces[1]!.apm_metrics).toEqual({ response_time: 10, response_payload_size: 0, response_code: 0, request_payload_size: 0 });
    for (const w of ['start timestamp', 'response code must be an integer in 100-599, got [42]', 'request payload size must not be negative', 'response payload size must be a number']) {
      expect(s.warnings().some((line) => line.includes(`[APM] recordNetworkTrace, ${w}`)), w).toBe(true);
    }
  });

  it('network trace, two steps: concurrent requests to one key by unique ID, each timed from its own start', async () => {
    const s = await local.sdk({ clock: simulatedClock(T) });
    s.clock.advance(10);
    s.countly.apm.startNetworkRequest('/api', '1');
    s.clock.advance(20);
    s.countly.apm.startNetworkRequest('/api', '2');
    s.clock.advance(100);
    s.countly.apm.endNetworkRequest('/api', '2', 201, 5, 6);
    s.clock.advance(50);
    s.countly.apm.endNetworkRequest('/api', '1', 500, 7, 8);
    s.countly.apm.endNetworkRequest('/api', '1', 500, 7, 8);
    expect(await sent(s)).toEqual([
      { type: 'network', name: '/api', apm_metrics: { response_time: 100, response_payload_size: 6, response_code: 201, request_payload_size: 5 }, stz: T + 30, etz: T + 130 },
      { type: 'network', name: '/api', apm_metrics: { response_time: 170, response_payload_size: 8, response_code: 500, request_payload_size: 7 }, stz: T + 10, etz: T + 180 },
    ]);
    expect(s.warnings().some((w) => w.includes('[APM] endNetworkRequest, no request [/api|1] is running; call ignored'))).toBe(true);
  });

  it('app start in the foreground at init: recorded at init from appStartTimestampOverride', async () => {
    const s = await local.sdk({ clock: simulatedClock(T), apm: { appStartTracking: true, appStartTimestampOverride: T - 3200 } });
    expect(await sent(s)).toEqual([{ type: 'device', name: 'app_start', apm_metrics: { duration: 3200 }, stz: T - 3200, etz: T }]);
  });

  it('app start in the background at init: ended by the first foreground; foreground and background periods after it', async () => {
    const s = await local.sdk({
      clock: simulatedClock(T),
      platform: { ...neutralPlatform(), isForeground: () => false },
      apm: { appStartTracking: true, foregroundBackgroundTracking: true },
    });
    s.clock.advance(1500);
    s.countly.lifecycle.foreground();
    s.clock.advance(2000);
    s.countly.lifecycle.background();
    expect(await sent(s)).toEqual([
      { type: 'device', name: 'app_start', apm_metrics: { duration: 1500 }, stz: T, etz: T + 1500 },
      { type: 'device', name: 'app_in_background', apm_metrics: { duration: 1500 }, stz: T, etz: T + 1500 },
      { type: 'device', name: 'app_in_foreground', apm_metrics: { duration: 2000 }, stz: T + 1500, etz: T + 3500 },
    ]);
  });

  it('app start with the manual trigger: from init to setAppIsLoaded, once', async () => {
    const s = await local.sdk({ clock: simulatedClock(T), apm: { appStartTracking: true, manualAppLoadedTrigger: true } });
    s.clock.advance(900);
    s.countly.apm.setAppIsLoaded();
    s.countly.apm.setAppIsLoaded();
    expect(await sent(s)).toEqual([{ type: 'device', name: 'app_start', apm_metrics: { duration: 900 }, stz: T, etz: T + 900 }]);
    expect(s.warnings().some((w) => w.includes('[APM] setAppIsLoaded, the app start is already recorded; call ignored'))).toBe(true);
  });

  it('invalid apm options are warned about and take their defaults', async () => {
    const s = await local.sdk({ apm: { appStartTracking: 'yes' as never, appStartTimestampOverride: Number.NaN } });
    expect(await sent(s)).toEqual([]);
    expect(s.warnings().some((w) => w.includes('"apm.appStartTracking"'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('"apm.appStartTimestampOverride"'))).toBe(true);
  });

  it('needs "apm" consent; removing it cancels running traces, so nothing is sent for them', async () => {
    const s = await local.sdk({ clock: simulatedClock(T), requiresConsent: true });
    s.countly.apm.startTrace('before');
    s.countly.consent.give('apm');
    s.countly.apm.startTrace('t');
    s.countly.apm.startNetworkRequest('/n', 'u');
    s.countly.consent.remove('apm');
    s.countly.apm.endTrace('t');
    s.countly.consent.give('apm');
    s.countly.apm.endTrace('t');
    s.countly.apm.endNetworkRequest('/n', 'u', 200, 1, 1);
    s.countly.apm.startTrace('after');
    s.clock.advance(10);
    s.countly.apm.endTrace('after');
    expect((await sent(s)).map((t) => t.name)).toEqual(['after']);
    expect(s.warnings().some((w) => w.includes('[APM] startTrace, no "apm" consent; call ignored'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('[APM] endTrace, no trace [t] is running; call ignored'))).toBe(true);
  });

  it('bad input (wrong types, null, huge strings, NaN, Infinity) never throws: a warning naming the function, and only valid traces are sent', async () => {
    const s = await local.sdk({ clock: simulatedClock(T) });
    const arg = fc.oneof(
      fc.anything(),
      fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 200, 'k', '', '  ', '$x', 'x'.repeat(100_000)),
      fc.dictionary(fc.string({ maxLength: 40 }), fc.oneof(fc.double(), fc.anything())),
    );
    fc.assert(
      fc.property(fc.constantFrom(...APM_FUNCTIONS), fc.array(arg, { maxLength: 6 }), fc.nat(100), (fn, args, dt) => {
        s.clock.advance(dt);
        expect(() => (s.countly.apm[fn] as (...a: unknown[]) => void)(...args)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    // every APM warning names the function that logged it
    for (const w of s.warnings().filter((line) => line.includes('[APM]'))) {
      expect(APM_FUNCTIONS.some((fn) => w.includes(`[APM] ${fn}, `)) || w.includes('[APM] consent, '), w).toBe(true);
    }
    for (const t of await sent(s)) {
      expect(t.stz).toBeLessThanOrEqual(t.etz);
      expect(t.name.length).toBeLessThanOrEqual(128);
      for (const [k, v] of Object.entries(t.apm_metrics)) {
        expect(Number.isFinite(v), k).toBe(true);
        expect(v, k).toBeGreaterThanOrEqual(0);
        expect(k.length).toBeLessThanOrEqual(32);
      }
    }
  });
});
