/**
 * Backend mode over HTTP against the local Countly-compatible server: the exact request of
 * every method (SDK guide l. 5302–5455, 5478–5529), the pool's batching, the timer, the
 * order of a device's events before its other requests, and the exporters.
 */
import { describe, expect, it } from 'vitest';
import { instantAt } from '../../src/protocol/time.js';
import type { ExportedEvent, Exporter } from '../../src/exporters/types.js';
import { accepted, eventsOf, useBackendServer } from './helpers.js';

const T = 1_700_000_000_000;
const at = instantAt(T);
/** The base params of a backend request with an explicit timestamp (spec l. 5478–5497: t=0 always). */
const base = (appKey: string, deviceId: string, timestamp = T) => {
  const i = instantAt(timestamp);
  return { app_key: appKey, device_id: deviceId, timestamp: String(timestamp), hour: String(i.hour), dow: String(i.dow), tz: String(i.tz), sdk_version: '25.4.0', sdk_name: 'typescript-chartly-backend', av: '0.0', t: '0' };
};

describe('backend mode on the wire', () => {
  const s = useBackendServer();

  it('sends each method as the spec describes, with the call’s device ID, app key and timestamp', async () => {
    const { backend, warnings } = await s.make();
    const o = { timestamp: T };
    backend.beginSession('d1', { ...o, appKey: 'app-2', metrics: { _os: 'Linux', _app_version: '2.0' }, location: { country_code: 'LV', city: 'Riga', location: '56.9,24.1', ip_address: '10.0.0.1' } });
    backend.updateSession('d1', 30, { ...o, appKey: 'app-2' });
    backend.endSession('d1', 60, { ...o, appKey: 'app-2' });
    backend.recordUserProperties('d2', { name: 'Ann', byear: 1990, plan: 'pro', visits: '{"$inc":2}' }, o);
    backend.recordException('d2', 'TypeError: x', { ...o, stackTrace: 'at a\nat b', breadcrumbs: ['one', 'two'], custom: { tier: 'gold', bad: {} }, metrics: { _os: 'Linux', _ram_total: '8', _nope: 'x' }, unhandled: true });
    backend.changeDeviceIdWithMerge('d3', 'd2', o);
    backend.recordDirectRequest('d4', { consent: '{"events":true}', custom_param: 'v' }, o);
    await backend.flush();
    expect(accepted(s.server)).toEqual([
      { ...base('app-2', 'd1'), begin_session: '1', metrics: '{"_os":"Linux","_app_version":"2.0"}', country_code: 'LV', city: 'Riga', location: '56.9,24.1', ip_address: '10.0.0.1' },
      { ...base('app-2', 'd1'), session_duration: '30' },
      { ...base('app-2', 'd1'), end_session: '1', session_duration: '60' },
      { ...base('app-main', 'd2'), user_details: '{"name":"Ann","byear":1990,"custom":{"plan":"pro","visits":{"$inc":2}}}' },
      {
        ...base('app-main', 'd2'),
        crash: JSON.stringify({ _os: 'Linux', _ram_total: '8', _app_version: '0.0', _name: 'TypeError: x', _error: 'at a\nat b', _nonfatal: false, _logs: 'one\ntwo', _custom: { tier: 'gold' } }),
      },
      { ...base('app-main', 'd3'), old_device_id: 'd2' },
      { ...base('app-main', 'd4'), consent: '{"events":true}', custom_param: 'v', dr: '1' },
    ]);
    expect(warnings()).toEqual([
      '[Countly] [Backend] recordException, metrics key [_nope] is not one of _os, _os_version, _ram_total, _ram_current, _disk_total, _disk_current, _online, _muted, _resolution, _app_version, _manufacture, _device, _orientation, _run, dropped',
      '[Countly] [Backend] recordException, custom value of [bad] must be a string, number or boolean, got [{}], dropped',
    ]);
  });

  it('records events and views per device: one request per device, in record order, never mixed', async () => {
    const { backend } = await s.make({ deviceEventThreshold: 3 });
    backend.recordEvent('d1', 'buy', { timestamp: T, count: 2, sum: 9.5, dur: 3, segmentation: { item: 'a' } });
    backend.recordEvent('d2', 'buy', { timestamp: T + 1 });
    backend.startView('d1', 'home', { timestamp: T + 2, firstView: true, segmentation: { from: 'ad', visit: 'x' } });
    backend.stopView('d1', 'home', 12, { timestamp: T + 3, segment: 'Web' });
    await backend.flush();
    const reqs = accepted(s.server);
    expect(reqs.map((r) => [r.device_id, r.app_key])).toEqual([['d1', 'app-main'], ['d2', 'app-main']]);
    const i1 = instantAt(T + 1);
    expect(eventsOf(reqs[0] as Record<string, string>)).toEqual([
      { key: 'buy', count: 2, sum: 9.5, dur: 3, segmentation: { item: 'a' }, timestamp: T, hour: at.hour, dow: at.dow },
      { key: '[CLY]_view', count: 1, segmentation: { from: 'ad', name: 'home', segment: 'JS', visit: '1', start: '1' }, timestamp: T + 2, hour: at.hour, dow: at.dow },
      { key: '[CLY]_view', count: 1, dur: 12, segmentation: { name: 'home', segment: 'Web' }, timestamp: T + 3, hour: at.hour, dow: at.dow },
    ]);
    expect(eventsOf(reqs[1] as Record<string, string>)).toEqual([{ key: 'buy', count: 1, timestamp: T + 1, hour: i1.hour, dow: i1.dow }]);
  });

  it('honours the three thresholds: device, app key, whole pool', async () => {
    const { backend } = await s.make({ deviceEventThreshold: 2, appEventThreshold: 4, serverEventThreshold: 7, flushIntervalSeconds: 3600 });
    backend.recordEvent('a', 'e1');
    backend.recordEvent('a', 'e2'); // device threshold: a's two events
    backend.recordEvent('b', 'e3', { appKey: 'k2' });
    backend.recordEvent('c', 'e4', { appKey: 'k2' });
    backend.recordEvent('d', 'e5', { appKey: 'k2' });
    backend.recordEvent('e', 'e6', { appKey: 'k2' }); // app threshold: k2's four devices
    expect(backend.pending()).toEqual({ events: 0, requests: 5 });
    for (const d of ['p', 'q', 'r', 's', 't', 'u']) backend.recordEvent(d, 'x', { appKey: `app-${d}` });
    expect(backend.pending().events).toBe(6);
    backend.recordEvent('v', 'x', { appKey: 'app-v' }); // whole pool: seven events
    expect(backend.pending()).toEqual({ events: 0, requests: 12 });
    await backend.flush();
    expect(accepted(s.server).map((r) => `${r.app_key}/${r.device_id}:${eventsOf(r).map((e) => e.key).join(',')}`)).toEqual([
      'app-main/a:e1,e2', 'k2/b:e3', 'k2/c:e4', 'k2/d:e5', 'k2/e:e6',
      'app-p/p:x', 'app-q/q:x', 'app-r/r:x', 'app-s/s:x', 'app-t/t:x', 'app-u/u:x', 'app-v/v:x',
    ]);
  });

  it('dumps the pool on the timer (flushIntervalSeconds, on the injected clock)', async () => {
    const { backend, clock } = await s.make({ flushIntervalSeconds: 5 });
    backend.recordEvent('d1', 'tick');
    clock.advance(4_999);
    expect(backend.pending()).toEqual({ events: 1, requests: 0 });
    clock.advance(1);
    expect(backend.pending().events).toBe(0);
    await s.server.waitFor((list) => list.length >= 1);
    expect(accepted(s.server).map((r) => eventsOf(r).map((e) => e.key))).toEqual([['tick']]);
  });

  it("queues a device's pooled events before its other requests", async () => {
    const { backend } = await s.make();
    backend.recordEvent('d1', 'before');
    backend.recordEvent('d2', 'other');
    backend.endSession('d1', 10);
    await backend.flush();
    const reqs = accepted(s.server);
    expect(reqs.map((r) => `${r.device_id}:${r.events !== undefined ? 'events' : 'end'}`)).toEqual(['d1:events', 'd1:end', 'd2:events']);
  });

  it('signs every request with the salt (checksum256) and the server verifies it', async () => {
    s.server.configure({ salt: 'pepper' });
    const { backend } = await s.make({ salt: 'pepper' });
    backend.recordEvent('d1', 'e');
    backend.recordDirectRequest('d1', { a: 'b' });
    await backend.flush();
    expect(s.server.received.map((r) => [r.accepted, typeof r.params.checksum256])).toEqual([[true, 'string'], [true, 'string']]);
  });

  it('hands every recorded event to the exporters, with its device ID, app key and timestamp', async () => {
    const got: ExportedEvent[] = [];
    const calls: string[] = [];
    const exporter: Exporter = {
      name: 'fake',
      start: (host) => void calls.push(`start:${typeof host.metrics()}`),
      export: (events) => void got.push(...events),
      flush: async () => void calls.push('flush'),
      shutdown: async () => void calls.push('shutdown'),
    };
    const throwing: Exporter = { name: 'bad', start: () => undefined, export: () => { throw new Error('nope'); }, flush: () => Promise.reject(new Error('no')), shutdown: async () => undefined };
    const { backend, warnings } = await s.make({ exporters: [exporter, throwing] });
    backend.recordEvent('d1', 'buy', { appKey: 'k9', timestamp: T, sum: 2 });
    await backend.flush();
    await backend.shutdown();
    expect(got).toEqual([{ appKey: 'k9', deviceId: 'd1', key: 'buy', count: 1, sum: 2, timestamp: T }]);
    expect(calls).toEqual(['start:object', 'flush', 'shutdown']);
    // The same guard as the client instance's (ExporterSet, src/exporters/host.ts).
    expect(warnings()).toEqual(['[Countly] [Exporters] export, exporter [bad] threw: Error: nope', '[Countly] [Exporters] flush, exporter [bad] failed: Error: no']);
  });
});
