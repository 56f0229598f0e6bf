/**
 * The health check over HTTP (spec 001 l. 4907-4923, 5020-5073): the `/i` report right
 * after init as the local Countly-compatible server receives it, what clears the counters
 * and what keeps them for the next init (same storage, a restart), the stored schema, and
 * when no report goes out.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import type { StorageAdapter } from '../../../src/adapters/types.js';
import type { ReceivedRequest } from '../../../src/server/types.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const ZERO = '{"el":0,"wl":0,"sc":-1,"em":"","bom":0,"cbom":0}';

/** The health-check actor left `reporting` (its answer, or none, was handled). */
const settled = (s: TestSdk) => waitFor(s.countly.actors.healthCheck!, (snap) => snap.value === 'idle', { timeout: 5000 });

async function storedValue(storage: StorageAdapter): Promise<string | undefined> {
  const h = await storage.open('test-app-key');
  const { kv } = await h.read();
  await h.close();
  return kv.HEALTH_CHECK;
}

describe('health check over HTTP', () => {
  const local = useLocalServer();
  const reports = (): ReceivedRequest[] => local.server.received.filter((r) => r.params.hc !== undefined);
  const sdk = (config: Parameters<typeof local.sdk>[0] = {}) => local.sdk({ disableHealthCheck: false, ...config });

  it('right after init: one /i request with the base params, metrics (app version only) and hc', async () => {
    const s = await sdk({ appVersion: '2.1.0' });
    await settled(s);
    expect(local.server.received[0]?.params.hc).toBeDefined();
    expect(reports()).toHaveLength(1);
    const r = reports()[0]!;
    expect(r.path).toBe('/i');
    expect(r.accepted).toBe(true);
    expect(r.params).toMatchObject({
      app_key: 'test-app-key',
      device_id: s.countly.getState().deviceId,
      hc: ZERO,
      metrics: '{"_app_version":"2.1.0"}',
      av: '2.1.0',
    });
    for (const p of ['timestamp', 'hour', 'dow', 'sdk_name', 'sdk_version']) expect(r.params[p], p).toBeDefined();
    expect(s.countly.getState().healthCheck.sent).toBe(true);
  });

  it('metricOverride._app_version wins in metrics (l. 5039)', async () => {
    const s = await sdk({ appVersion: '1.0', metricOverride: { _app_version: '9.9-custom' } });
    await settled(s);
    expect(reports()[0]!.params.metrics).toBe('{"_app_version":"9.9-custom"}');
  });

  it('no result: counters kept, saved at shutdown, re-sent at the next init; a result answer clears them', async () => {
    const storage = memoryStorage();
    local.server.injectFaults({ kind: 'no-result' });
    const s1 = await sdk({ storage });
    await settled(s1);
    // SDK warnings (bad calls) are counted (l. 4929-4931).
    s1.countly.events.record(42 as never);
    s1.countly.events.record('' as never);
    await Promise.resolve();
    const warnings = s1.logs.filter((l) => l.level === 'warning').length;
    const errors = s1.logs.filter((l) => l.level === 'error').length;
    expect(warnings).toBeGreaterThanOrEqual(2);
    expect(s1.countly.getState().healthCheck.counters).toMatchObject({ wl: warnings, el: errors });
    await local.stop(s1);
    expect(JSON.parse((await storedValue(storage))!)).toBe(JSON.stringify({ LErr: errors, LWar: warnings, RStatC: -1, REMsg: '', BReq: 0, CBReq: 0 }));

    const s2 = await sdk({ storage });
    await settled(s2);
    expect(reports().map((r) => r.params.hc)).toEqual([ZERO, `{"el":${errors},"wl":${warnings},"sc":-1,"em":"","bom":0,"cbom":0}`]);
    expect(s2.countly.getState().healthCheck.counters).toEqual({ el: 0, wl: 0, sc: -1, em: '', bom: 0, cbom: 0 });
    await local.stop(s2);
    expect(await storedValue(storage)).toBe('""');

    const s3 = await sdk({ storage });
    await settled(s3);
    expect(reports().map((r) => r.params.hc)[2]).toBe(ZERO);
  });

  it('a failed queued request: sc and em (the body) in the next report; a failed report keeps them', async () => {
    const storage = memoryStorage();
    // Counting runs with reporting off (l. 4897-4899).
    const s1 = await local.sdk({ storage });
    local.server.injectFaults({ kind: 'status', status: 503, body: 'Service Unavailable' });
    s1.countly.events.record('e');
    await s1.countly.queue.flush();
    expect(s1.countly.getState().healthCheck.counters).toMatchObject({ sc: 503, em: 'Service Unavailable' });
    await local.stop(s1);

    local.server.injectFaults({ kind: 'status', status: 500, body: '{"result":"Error"}' });
    const s2 = await sdk({ storage });
    await settled(s2);
    expect(s2.countly.actors.healthCheck!.getSnapshot().context.outcome).toBe('unacknowledged');
    expect(reports()[0]!.params.hc).toBe('{"el":0,"wl":0,"sc":503,"em":"Service Unavailable","bom":0,"cbom":0}');
    expect(s2.countly.getState().healthCheck.counters).toMatchObject({ sc: 503, em: 'Service Unavailable' });
  });

  it('no report with disableHealthCheck or in temporary-ID mode', async () => {
    const off = await local.sdk();
    const temp = await sdk({ temporaryDeviceId: true });
    expect(off.countly.actors.healthCheck!.getSnapshot().context.outcome).toBe('disabled');
    expect(temp.countly.actors.healthCheck!.getSnapshot().context.outcome).toBe('temporary-id');
    off.countly.events.record('e');
    await off.countly.queue.flush();
    expect(local.server.received.length).toBeGreaterThan(0);
    expect(reports()).toEqual([]);
    expect(temp.countly.getState().healthCheck.sent).toBe(false);
  });

  it('malformed stored state: reset to zero and cleared (l. 4999)', async () => {
    const storage = memoryStorage();
    const h = await storage.open('test-app-key');
    await h.write([{ op: 'set', key: 'HEALTH_CHECK', value: JSON.stringify('{"LErr":') }]);
    await h.close();
    const s = await sdk({ storage });
    await settled(s);
    expect(reports()[0]!.params.hc).toBe(ZERO);
    await local.stop(s);
    expect(await storedValue(storage)).toBe('""');
  });
});
