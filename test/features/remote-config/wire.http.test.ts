/**
 * Remote config over HTTP (spec 001 l. 2864-3131; server-rules.md `/o/sdk`): every request
 * shape as the local Countly-compatible server receives it, the answers' effect on the
 * stored values and on the callbacks, persistence across a restart, consent gating, and
 * temporary-ID mode sending nothing.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import type { Platform } from '../../../src/adapters/types.js';
import type { RCData, RequestResult } from '../../../src/types.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const platform: Platform = { name: 'Test', metrics: () => ({ _os: 'TestOS', _os_version: '1.0' }) };
type Call = [RequestResult, string | null, boolean, Record<string, RCData>];

/** A callback that resolves with its arguments. */
function answer(): { fn: (...a: Call) => void; done: Promise<Call> } {
  let resolve!: (c: Call) => void;
  const done = new Promise<Call>((r) => (resolve = r));
  return { fn: (...a: Call) => resolve(a), done };
}
const fresh = (value: unknown): RCData => ({ value, isCurrentUsersData: true });
const cached = (value: unknown): RCData => ({ value, isCurrentUsersData: false });

describe('remote config downloads over HTTP', () => {
  const local = useLocalServer();
  const rc = () => local.server.received.filter((r) => r.path === '/o/sdk' && r.params.method === 'rc');

  it('downloadAll: POST /o/sdk method=rc with the base params and metrics (sessions consent), values stored, callback (Success, null, true, values)', async () => {
    local.server.configure({ remoteConfig: { color: 'red', limit: 5 } });
    const s = await local.sdk({ platform });
    const cb = answer();
    s.countly.remoteConfig.downloadAll(cb.fn);
    expect(await cb.done).toEqual(['Success', null, true, { color: fresh('red'), limit: fresh(5) }]);
    const [req] = rc();
    expect(req!.method).toBe('POST');
    expect(req!.params).toMatchObject({ method: 'rc', app_key: 'test-app-key', sdk_name: expect.any(String), device_id: expect.any(String) });
    expect(JSON.parse(req!.params.metrics!)).toMatchObject({ _os: 'TestOS', _os_version: '1.0' });
    expect(req!.params.keys).toBeUndefined();
    expect(req!.params.omit_keys).toBeUndefined();
    expect(req!.params.oi).toBeUndefined();
    expect(s.countly.remoteConfig.getValues()).toEqual({ color: fresh('red'), limit: fresh(5) });
    expect(s.countly.remoteConfig.getValue('limit')).toEqual(fresh(5));
    expect(s.countly.remoteConfig.getValue('nope')).toBeUndefined();
    expect(s.countly.getState().remoteConfig).toEqual({ keys: ['color', 'limit'], downloading: false });
  });

  it('downloadSpecific / downloadOmitting: keys / omit_keys as JSON arrays; only the returned keys change', async () => {
    local.server.configure({ remoteConfig: { a: 1, b: 2, c: 3 } });
    const s = await local.sdk({ platform });
    const first = answer();
    s.countly.remoteConfig.downloadAll(first.fn);
    await first.done;
    local.server.configure({ remoteConfig: { a: 10, b: 20, c: 30 } });
    const specific = answer();
    s.countly.remoteConfig.downloadSpecific(['a'], specific.fn);
    expect(await specific.done).toEqual(['Success', null, false, { a: fresh(10) }]);
    const omitting = answer();
    s.countly.remoteConfig.downloadOmitting(['a', 'b'], omitting.fn);
    expect(await omitting.done).toEqual(['Success', null, false, { c: fresh(30) }]);
    expect(rc().map((r) => [r.params.keys, r.params.omit_keys])).toEqual([
      [undefined, undefined],
      ['["a"]', undefined],
      [undefined, '["a","b"]'],
    ]);
    expect(s.countly.remoteConfig.getValues()).toEqual({ a: fresh(10), b: fresh(2), c: fresh(30) });
  });

  it('an empty key list is a full download; invalid entries are warned about and dropped', async () => {
    local.server.configure({ remoteConfig: { a: 1 } });
    const s = await local.sdk();
    const cb = answer();
    s.countly.remoteConfig.downloadSpecific([], cb.fn);
    expect((await cb.done)[2]).toBe(true);
    const cb2 = answer();
    s.countly.remoteConfig.downloadSpecific(['a', '', 7 as unknown as string], cb2.fn);
    await cb2.done;
    expect(rc()[1]!.params.keys).toBe('["a"]');
    expect(s.warnings().some((w) => w.includes('downloadSpecific, 2 key(s)'))).toBe(true);
  });

  it('a full download replaces; with valueCaching the old values stay, marked isCurrentUsersData: false', async () => {
    for (const valueCaching of [false, true]) {
      local.server.configure({ remoteConfig: { old: 1, kept: 2 } });
      const s = await local.sdk({ remoteConfig: { valueCaching } });
      const a = answer();
      s.countly.remoteConfig.downloadAll(a.fn);
      await a.done;
      local.server.configure({ remoteConfig: { kept: 3, added: 4 } });
      const b = answer();
      s.countly.remoteConfig.downloadAll(b.fn);
      expect(await b.done).toEqual(['Success', null, true, { kept: fresh(3), added: fresh(4) }]);
      expect(s.countly.remoteConfig.getValues()).toEqual(valueCaching ? { old: cached(1), kept: fresh(3), added: fresh(4) } : { kept: fresh(3), added: fresh(4) });
      await local.stop(s);
    }
  });

  it('enrollOnDownload adds oi=1; without sessions consent no metrics', async () => {
    const s = await local.sdk({ remoteConfig: { enrollOnDownload: true }, requiresConsent: true, consent: ['remote-config'] });
    const cb = answer();
    s.countly.remoteConfig.downloadAll(cb.fn);
    await cb.done;
    expect(rc()[0]!.params.oi).toBe('1');
    expect(rc()[0]!.params.metrics).toBeUndefined();
  });

  it('callbacks: per-call, registered and config onDownload all hear a download; removeCallback stops only that one', async () => {
    local.server.configure({ remoteConfig: { k: 'v' } });
    const heard: string[] = [];
    const global = (r: RequestResult) => heard.push(`global ${r}`);
    const s = await local.sdk({ remoteConfig: { onDownload: (r) => heard.push(`config ${r}`) } });
    s.countly.remoteConfig.registerCallback(global);
    const cb = answer();
    s.countly.remoteConfig.downloadAll(cb.fn);
    await cb.done;
    await Promise.resolve();
    expect(heard.sort()).toEqual(['config Success', 'global Success']);
    s.countly.remoteConfig.removeCallback(global);
    const cb2 = answer();
    s.countly.remoteConfig.downloadAll(cb2.fn);
    await cb2.done;
    await Promise.resolve();
    expect(heard.filter((h) => h.startsWith('global'))).toHaveLength(1);
    expect(heard.filter((h) => h.startsWith('config'))).toHaveLength(2);
  });

  it('an error answer is Error, no answer is NetworkIssue; the stored values stay', async () => {
    local.server.configure({ remoteConfig: { k: 'v' } });
    const s = await local.sdk();
    const ok = answer();
    s.countly.remoteConfig.downloadAll(ok.fn);
    await ok.done;
    local.server.injectFaults({ kind: 'status', status: 500, body: '{"result":"boom"}' });
    const failed = answer();
    s.countly.remoteConfig.downloadAll(failed.fn);
    expect(await failed.done).toEqual(['Error', 'HTTP 500: boom', true, {}]);
    local.server.injectFaults({ kind: 'malformed', body: 'not json' });
    const malformed = answer();
    s.countly.remoteConfig.downloadSpecific(['k'], malformed.fn);
    expect(await malformed.done).toEqual(['Error', 'the answer is not JSON', false, {}]);
    local.server.injectFaults({ kind: 'drop' });
    const dropped = answer();
    s.countly.remoteConfig.downloadAll(dropped.fn);
    const [result, error] = await dropped.done;
    expect(result).toBe('NetworkIssue');
    expect(error).toEqual(expect.any(String));
    expect(s.countly.remoteConfig.getValues()).toEqual({ k: fresh('v') });
  });

  it('values persist across a restart with the same storage; clearAll forgets them for good', async () => {
    local.server.configure({ remoteConfig: { color: 'blue' } });
    const storage = memoryStorage();
    const first = await local.sdk({ storage });
    const cb = answer();
    first.countly.remoteConfig.downloadAll(cb.fn);
    await cb.done;
    await local.stop(first);
    const second = await local.sdk({ storage });
    expect(second.countly.remoteConfig.getValues()).toEqual({ color: fresh('blue') });
    expect(rc()).toHaveLength(1);
    second.countly.remoteConfig.clearAll();
    expect(second.countly.remoteConfig.getValues()).toEqual({});
    await local.stop(second);
    const third = await local.sdk({ storage });
    expect(third.countly.remoteConfig.getValues()).toEqual({});
  });

  it('without remote-config consent nothing is sent: the callback hears Error, getters return nothing', async () => {
    const s = await local.sdk({ requiresConsent: true });
    const cb = answer();
    s.countly.remoteConfig.downloadAll(cb.fn);
    expect(await cb.done).toEqual(['Error', 'no "remote-config" consent', true, {}]);
    expect(s.countly.remoteConfig.getValues()).toEqual({});
    expect(local.server.received.filter((r) => r.path === '/o/sdk')).toHaveLength(0);
    expect(s.warnings().some((w) => w.includes('no "remote-config" consent'))).toBe(true);
  });

  it('temporary-ID mode sends nothing (the callback hears Error); leaving it downloads with automatic triggers', async () => {
    local.server.configure({ remoteConfig: { k: 1 } });
    const heard: Call[] = [];
    const s = await local.sdk({ temporaryDeviceId: true, remoteConfig: { automaticTriggers: true, onDownload: (...a) => heard.push(a) } });
    const cb = answer();
    s.countly.remoteConfig.downloadAll(cb.fn);
    expect(await cb.done).toEqual(['Error', 'the SDK is in temporary device ID mode', true, {}]);
    s.countly.remoteConfig.enroll(['k']);
    s.countly.remoteConfig.exit();
    const v = new Promise<[RequestResult, string | null]>((r) => s.countly.remoteConfig.testing.downloadVariants((...a) => r(a)));
    expect((await v)[0]).toBe('Error');
    await s.countly.queue.flush();
    expect(local.server.received.filter((r) => r.path === '/o/sdk' || r.params.method !== undefined)).toHaveLength(0);
    s.countly.deviceId.set('real-user');
    await local.server.waitFor(() => rc().length === 1);
    expect(rc()[0]!.params.device_id).toBe('real-user');
  });
});

describe('automatic triggers over HTTP', () => {
  const local = useLocalServer();
  const rc = () => local.server.received.filter((r) => r.path === '/o/sdk' && r.params.method === 'rc');
  const settled = async (s: TestSdk, n: number) => {
    await local.server.waitFor(() => rc().length >= n);
    // Let the answer come back through the effects.
    for (let i = 0; i < 50 && s.countly.getState().remoteConfig.downloading; i++) await new Promise((r) => setTimeout(r, 1));
  };

  it('after init, on a device-ID change (cache-cleared first, sent with the new ID), when consent is given', async () => {
    local.server.configure({ remoteConfig: { k: 'first' } });
    const s = await local.sdk({ requiresConsent: true, consent: ['remote-config'], remoteConfig: { automaticTriggers: true, valueCaching: true } });
    await settled(s, 1);
    expect(s.countly.remoteConfig.getValues()).toEqual({ k: fresh('first') });
    local.server.configure({ remoteConfig: { other: 2 } });
    s.countly.deviceId.changeWithoutMerge('second-user');
    // Consent is removed with a change without merge: nothing goes out until it is given again.
    expect(s.countly.remoteConfig.getValues()).toEqual({});
    s.countly.consent.give('remote-config');
    expect(s.countly.remoteConfig.getValues()).toEqual({ k: cached('first') });
    await settled(s, 2);
    expect(rc()[1]!.params.device_id).toBe('second-user');
    expect(s.countly.remoteConfig.getValues()).toEqual({ k: cached('first'), other: fresh(2) });
  });

  it('without automaticTriggers nothing is downloaded on its own', async () => {
    const s = await local.sdk();
    s.countly.deviceId.changeWithoutMerge('x');
    await s.countly.queue.flush();
    expect(rc()).toHaveLength(0);
  });
});
