/**
 * Wire-level tests of the foundation: real HTTP against the local Countly-compatible
 * server, a simulated clock for every SDK timer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, checksum256, type CountlyTestServer } from '../../src/server/index.js';
import { fileStorage } from '../../src/adapters/storage/file.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { simulatedClock } from '../../src/adapters/clock.js';
import { DEAD_URL, makeSdk, type TestSdk } from '../helpers/sdk.js';
import { buildStoredRequest } from '../../src/protocol/request.js';
import { instantAt } from '../../src/protocol/time.js';

let server: CountlyTestServer;
const open: TestSdk[] = [];
const sdk = async (...args: Parameters<typeof makeSdk>) => {
  const s = await makeSdk(...args);
  open.push(s);
  return s;
};

beforeEach(async () => {
  server = await startServer();
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.countly.shutdown();
  await server.close();
});

const dataRequests = () => server.received.filter((r) => r.path === '/i');

describe('request building on the wire', () => {
  it('sends POST by default, urlencoded, with every base param and rr', async () => {
    const { countly, clock } = await sdk(server.url, { appVersion: '2.1' });
    countly.queue.addDirectRequest({ custom: 'a&b=c?d' });
    await countly.queue.flush();
    const [r] = dataRequests();
    expect(r?.method).toBe('POST');
    expect(r?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(r?.rawQuery).toBe('');
    const p = r!.params;
    expect(p.custom).toBe('a&b=c?d');
    expect(p.app_key).toBe('test-app-key');
    expect(p.device_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.timestamp).toMatch(/^\d{13}$/);
    expect(Number(p.timestamp)).toBeGreaterThanOrEqual(clock.now() - 1000);
    const d = new Date(Number(p.timestamp));
    expect(p.hour).toBe(String(d.getHours()));
    expect(p.dow).toBe(String(d.getDay()));
    expect(p.tz).toBe(String(-d.getTimezoneOffset()));
    // spec: SDK Metadata — [language]-[origin]-[platform]; the neutral platform is 'JS'.
    expect(p.sdk_name).toBe('typescript-chartly-js');
    expect(p.sdk_version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(p.av).toBe('2.1');
    expect(p.t).toBe('1');
    expect(p.rr).toBe('0');
    expect(r?.accepted).toBe(true);
  });

  it('uses GET under 2,000 characters when POST is not forced, POST above', async () => {
    const { countly } = await sdk(server.url, { httpPostForced: false });
    countly.queue.addDirectRequest({ small: 'x' });
    countly.queue.addDirectRequest({ big: 'y'.repeat(2100) });
    await countly.queue.flush();
    const [small, big] = dataRequests();
    expect(small?.method).toBe('GET');
    expect(small?.params.small).toBe('x');
    expect(small?.rawQuery).toContain('small=x');
    expect(big?.method).toBe('POST');
    expect(big?.params.big).toHaveLength(2100);
  });

  it('sends custom headers on every request', async () => {
    const { countly } = await sdk(server.url, { customHeaders: { 'X-Tenant': 'acme' }, httpPostForced: false });
    countly.queue.addDirectRequest({ a: '1' });
    countly.queue.addDirectRequest({ b: 'z'.repeat(2500) });
    await countly.queue.flush();
    expect(dataRequests().map((r) => r.headers['x-tenant'])).toEqual(['acme', 'acme']);
  });

  it.each([true, false])('adds a checksum256 the server verifies (POST forced: %s)', async (httpPostForced) => {
    await server.close();
    server = await startServer({ salt: 'pepper' });
    const { countly } = await sdk(server.url, { salt: 'pepper', httpPostForced });
    countly.queue.addDirectRequest({ msg: "it's (a) test! *" });
    await countly.queue.flush();
    const [r] = dataRequests();
    expect(r?.params.checksum256).toMatch(/^[0-9a-f]{64}$/);
    const raw = httpPostForced ? r!.rawBody : r!.rawQuery;
    expect(checksum256(raw.replace(`&checksum256=${r!.params.checksum256}`, ''), 'pepper')).toBe(r!.params.checksum256);
    expect(r?.response).toEqual({ result: 'Success' });
    expect(r?.accepted).toBe(true);
  });

  it('routes a queued request tagged for another endpoint there, without the tag; the rest to /i', async () => {
    // A queue from an earlier run holding a request for /o/sdk (spec: Custom Endpoint Override).
    const storage = memoryStorage();
    const handle = await storage.open('test-app-key');
    const tagged = buildStoredRequest({
      appKey: 'test-app-key',
      deviceId: 'dev',
      deviceIdType: 'DEVELOPER_SUPPLIED',
      instant: instantAt(1_767_225_600_000),
      sdkName: 'x',
      sdkVersion: '1',
      appVersion: '1',
      // A queued /o/sdk call whose answer holds `result` (A/B enrolment), so it leaves the queue.
      params: { method: 'ab', keys: '["k"]' },
      endpoint: '/o/sdk',
    });
    await handle.write([{ op: 'append', queue: 'requests', seq: 1, data: tagged }]);
    await handle.close();
    const { countly } = await sdk(server.url, { storage, deviceId: 'dev' });
    countly.queue.addDirectRequest({ a: '1' });
    await countly.queue.flush();
    expect(server.received.map((r) => [r.path, r.params.method ?? r.params.a])).toEqual([
      ['/o/sdk', 'ab'],
      ['/i', '1'],
    ]);
    expect(server.received.every((r) => !('new_end_point' in r.params))).toBe(true);
  });

  it('downloads behavior settings from /o/sdk?method=sc', async () => {
    await sdk(server.url, { disableBehaviorSettingsUpdates: false });
    await server.waitFor((r) => r.some((x) => x.path === '/o/sdk'));
    const [r] = server.received;
    expect(r?.path).toBe('/o/sdk');
    expect(r?.params.method).toBe('sc');
    expect('new_end_point' in (r?.params ?? {})).toBe(false);
  });
});

describe('delivery and retry', () => {
  const faults = [
    ['a 500', { kind: 'status', status: 500 }],
    ['a 400', { kind: 'status', status: 400, body: '{"result":"Bad"}' }],
    ['a non-JSON body', { kind: 'malformed' }],
    ['JSON without result', { kind: 'no-result' }],
    ['a dropped connection', { kind: 'drop' }],
  ] as const;

  it.each(faults)('keeps the request after %s and delivers it on the next attempt with the same timestamp', async (_, fault) => {
    const { countly } = await sdk(server.url);
    // Fail the server, flush, heal the server, flush again (API.md: queue.flush()).
    server.setFault(fault);
    countly.queue.addDirectRequest({ n: '1' });
    await countly.queue.flush();
    expect(countly.getState().queue.requests).toBe(1);
    server.setFault(null);
    await countly.queue.flush();
    expect(countly.getState().queue.requests).toBe(0);
    const attempts = server.received.filter((r) => r.params.n === '1' || r.rawBody.includes('n=1'));
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.slice(0, -1).every((a) => !a.accepted)).toBe(true);
    expect(attempts.at(-1)?.accepted).toBe(true);
    expect(new Set(attempts.map((a) => a.params.timestamp)).size).toBe(1);
  });

  it('a flush asked for during a failing send makes its own attempt', async () => {
    const { countly } = await sdk(server.url);
    server.injectFaults({ kind: 'status', status: 500 });
    countly.queue.addDirectRequest({ n: '1' });
    // The send that began before the flush fails; the flush covers only sends after it.
    await countly.queue.flush();
    expect(server.received.map((r) => r.status)).toEqual([500, 200]);
    expect(countly.getState().queue.requests).toBe(0);
  });

  it('keeps the request after a timeout', async () => {
    const { countly } = await sdk(server.url, { requestTimeoutSeconds: 1 });
    server.setFault({ kind: 'hang' });
    countly.queue.addDirectRequest({ n: '1' });
    await countly.queue.flush();
    expect(countly.getState().queue.requests).toBe(1);
    server.setFault(null);
    await countly.queue.flush();
    expect(countly.getState().queue.requests).toBe(0);
    expect(server.accepted()).toHaveLength(1);
  });

  it('retries by itself after the cool-down on the simulated clock', async () => {
    const { countly, clock } = await sdk(server.url, { retryCooldownSeconds: 30 });
    server.setFault({ kind: 'status', status: 503 });
    countly.queue.addDirectRequest({ n: '1' });
    await server.waitFor((r) => r.length === 1 && r[0]!.status === 503);
    server.setFault(null);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.received).toHaveLength(1);
    clock.advance(1_000);
    await server.waitFor((r) => r.some((x) => x.accepted));
    expect(server.accepted()).toHaveLength(1);
  });

  it('keeps the order across failures', async () => {
    const { countly } = await sdk(server.url);
    for (let i = 0; i < 6; i++) countly.queue.addDirectRequest({ n: String(i) });
    server.injectFaults({ kind: 'status', status: 200, body: '{"result":"Success"}' }, { kind: 'status', status: 200, body: '{"result":"Success"}' }, { kind: 'status', status: 500 });
    await countly.queue.flush();
    await countly.queue.flush();
    const delivered = server.received.filter((r) => r.status === 200).map((r) => r.params.n);
    expect(delivered).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('sends nothing while another send is in flight', async () => {
    await server.close();
    server = await startServer();
    server.setFault({ kind: 'latency', ms: 20 });
    const { countly } = await sdk(server.url);
    for (let i = 0; i < 5; i++) countly.queue.addDirectRequest({ n: String(i) });
    await countly.queue.flush();
    // Each request arrived after the previous one was answered.
    const r = server.received;
    expect(r.map((x) => x.params.n)).toEqual(['0', '1', '2', '3', '4']);
  });
});

describe('queue', () => {
  it('evicts the oldest requests beyond maxRequestQueueSize', async () => {
    const { countly, warnings } = await sdk(DEAD_URL, { maxRequestQueueSize: 3 });
    for (let i = 0; i < 5; i++) countly.queue.addDirectRequest({ n: String(i) });
    expect(countly.getState().queue.requests).toBe(3);
    expect(warnings().some((w) => w.includes('[RequestQueue] enqueue, queue is full'))).toBe(true);
    countly.setServerUrl(server.url);
    await countly.queue.flush();
    expect(dataRequests().map((r) => r.params.n)).toEqual(['2', '3', '4']);
  });

  it('drops requests older than requestDropAgeHours before sending', async () => {
    const { countly, clock, warnings } = await sdk(DEAD_URL, { requestDropAgeHours: 1 });
    countly.queue.addDirectRequest({ n: 'old' });
    clock.advance(2 * 3600_000);
    countly.queue.addDirectRequest({ n: 'new' });
    countly.setServerUrl(server.url);
    await countly.queue.flush();
    expect(dataRequests().map((r) => r.params.n)).toEqual(['new']);
    expect(warnings().some((w) => w.includes('older than 1 hours'))).toBe(true);
  });

  it('sends queued requests to the new server after setServerUrl', async () => {
    const { countly, warnings } = await sdk(DEAD_URL);
    countly.queue.addDirectRequest({ n: '1' });
    await countly.queue.flush();
    expect(countly.getState().queue.requests).toBe(1);
    countly.setServerUrl(`${server.url}///`);
    countly.setServerUrl('nonsense');
    expect(warnings().some((w) => w.includes('setServerUrl, invalid url'))).toBe(true);
    await countly.queue.flush();
    expect(dataRequests().map((r) => r.params.n)).toEqual(['1']);
    expect(countly.getState().serverUrl).toBe(server.url);
  });

  it('flushQueues discards queued requests and events', async () => {
    const { countly } = await sdk(DEAD_URL);
    countly.queue.addDirectRequest({ n: '1' });
    countly.events.record('kept-not');
    countly.queue.flushQueues();
    countly.setServerUrl(server.url);
    await countly.queue.flush();
    expect(dataRequests()).toHaveLength(0);
    expect(countly.getState().queue).toEqual({ requests: 0, events: 0 });
  });

  it('replaceAllAppKeysWithCurrent and removeDifferentAppKeys act on stored requests of other app keys', async () => {
    const storage = memoryStorage();
    const handle = await storage.open('test-app-key');
    await handle.write([
      { op: 'append', queue: 'requests', seq: 1, data: 'app_key=old&device_id=d1&timestamp=1767225600000&n=a' },
      { op: 'append', queue: 'requests', seq: 2, data: 'app_key=test-app-key&device_id=d1&timestamp=1767225600001&n=b' },
      { op: 'append', queue: 'requests', seq: 3, data: 'app_key=other&device_id=d1&timestamp=1767225600002&n=c' },
    ]);
    await handle.close();
    const first = await sdk(DEAD_URL, { storage });
    first.countly.queue.replaceAllAppKeysWithCurrent();
    first.countly.setServerUrl(server.url);
    await first.countly.queue.flush();
    expect(dataRequests().map((r) => [r.params.n, r.params.app_key])).toEqual([
      ['a', 'test-app-key'],
      ['b', 'test-app-key'],
      ['c', 'test-app-key'],
    ]);

    const storage2 = memoryStorage();
    const h2 = await storage2.open('test-app-key');
    await h2.write([
      { op: 'append', queue: 'requests', seq: 1, data: 'app_key=old&device_id=d1&timestamp=1767225600000&n=x' },
      { op: 'append', queue: 'requests', seq: 2, data: 'app_key=test-app-key&device_id=d1&timestamp=1767225600001&n=y' },
    ]);
    await h2.close();
    server.reset();
    const second = await sdk(DEAD_URL, { storage: storage2 });
    second.countly.queue.removeDifferentAppKeys();
    second.countly.setServerUrl(server.url);
    await second.countly.queue.flush();
    expect(dataRequests().map((r) => r.params.n)).toEqual(['y']);
  });

  it('addDirectRequest validates its input and never overrides base params', async () => {
    const { countly, warnings } = await sdk(server.url);
    countly.queue.addDirectRequest(null as unknown as Record<string, string>);
    countly.queue.addDirectRequest({});
    countly.queue.addDirectRequest({ device_id: 'evil', ok: '1', n: 2 as unknown as string, bad: {} as unknown as string });
    await countly.queue.flush();
    const [r] = dataRequests();
    expect(dataRequests()).toHaveLength(1);
    expect(r?.params.device_id).not.toBe('evil');
    expect(r?.params.n).toBe('2');
    expect(r?.params.bad).toBeUndefined();
    const w = warnings();
    expect(w.some((m) => m.includes('addDirectRequest, params must be an object'))).toBe(true);
    expect(w.some((m) => m.includes('addDirectRequest, no usable params'))).toBe(true);
    expect(w.some((m) => m.includes('is set by the SDK'))).toBe(true);
  });

  it('addDirectRequest is ignored when consent is required and none is given', async () => {
    const { countly, warnings } = await sdk(server.url, { requiresConsent: true });
    countly.queue.addDirectRequest({ a: '1' });
    await countly.queue.flush();
    expect(dataRequests().filter((r) => r.params.a)).toHaveLength(0);
    expect(warnings().some((w) => w.includes('addDirectRequest, consent is required'))).toBe(true);
  });
});

describe('persistence', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chartly-restart-'));
  });
  afterEach(async () => {
    // Instances first: a live file store recreates a directory deleted under it.
    for (const s of open.splice(0)) await s.countly.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers, in order, everything queued while the server was down, after a restart on the same fileStorage', async () => {
    const first = await makeSdk(DEAD_URL, { storage: fileStorage(dir), eventQueueThreshold: 3 });
    for (let i = 0; i < 4; i++) first.countly.queue.addDirectRequest({ n: String(i) });
    for (let i = 0; i < 7; i++) first.countly.events.record(`e${i}`);
    await first.countly.queue.flush();
    const queued = first.countly.getState().queue;
    expect(queued.requests).toBeGreaterThanOrEqual(4);
    await first.countly.shutdown();

    const second = await sdk(server.url, { storage: fileStorage(dir), eventQueueThreshold: 3 });
    const deviceId = second.countly.deviceId.get();
    await second.countly.queue.flush();
    expect(dataRequests().filter((r) => r.params.n).map((r) => r.params.n)).toEqual(['0', '1', '2', '3']);
    expect(server.events().map((e) => e.key)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(new Set(dataRequests().map((r) => r.params.device_id))).toEqual(new Set([deviceId]));
    expect(second.countly.getState().queue).toEqual({ requests: 0, events: 0 });
  });

  it('keeps two instances with different app keys apart on one storage', async () => {
    const storage = memoryStorage();
    const clock = simulatedClock();
    const a = await sdk(server.url, { storage, clock, appKey: 'app-a' });
    const b = await sdk(server.url, { storage, clock, appKey: 'app-b' });
    expect(a.countly.deviceId.get()).not.toBe(b.countly.deviceId.get());
    a.countly.queue.addDirectRequest({ from: 'a' });
    b.countly.queue.addDirectRequest({ from: 'b' });
    await a.countly.queue.flush();
    expect(dataRequests().map((r) => [r.params.from, r.params.app_key])).toEqual([['a', 'app-a']]);
    await b.countly.queue.flush();
    expect(dataRequests().map((r) => [r.params.from, r.params.app_key])).toEqual([
      ['a', 'app-a'],
      ['b', 'app-b'],
    ]);
  });

  it('skips a corrupt stored event with an error log and delivers the rest', async () => {
    const storage = memoryStorage();
    const h = await storage.open('test-app-key');
    await h.write([
      { op: 'append', queue: 'events', seq: 1, data: '{"key":"good","count":1,"timestamp":1767225600000,"hour":0,"dow":4,"id":"e1"}' },
      { op: 'append', queue: 'events', seq: 2, data: '{not json' },
      { op: 'append', queue: 'requests', seq: 1, data: '%%%garbage' },
      { op: 'append', queue: 'requests', seq: 2, data: 'app_key=test-app-key&device_id=d&timestamp=1767225600000&n=ok' },
    ]);
    await h.close();
    const { countly, warnings } = await sdk(server.url, { storage });
    await countly.queue.flush();
    expect(warnings().some((w) => w.includes('corrupt stored event'))).toBe(true);
    expect(warnings().some((w) => w.includes('corrupt stored request'))).toBe(true);
    expect(server.events().map((e) => e.key)).toEqual(['good']);
    expect(dataRequests().filter((r) => r.params.n).map((r) => r.params.n)).toEqual(['ok']);
  });
});
