/**
 * The local Countly-compatible server over real HTTP (global fetch): it must answer like a
 * Countly server (spec: server-rules.md), record what it received, and fail on demand.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLine, startServer, type CountlyTestServer, type ServerOptions } from '../../src/server/index.js';

let server: CountlyTestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: ServerOptions = {}): Promise<CountlyTestServer> {
  server = await startServer(options);
  return server;
}

interface Answer {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json, text, headers: response.headers };
}

const base = { app_key: 'app', device_id: 'dev1' };
const qs = (params: Record<string, string>): string => new URLSearchParams(params).toString();

async function get(s: CountlyTestServer, path: string, params: Record<string, string> | string = base): Promise<Answer> {
  const query = typeof params === 'string' ? params : qs(params);
  return answerOf(await fetch(`${s.url}${path}${query === '' ? '' : `?${query}`}`));
}

async function post(s: CountlyTestServer, path: string, body: string, query = '', contentType = 'application/x-www-form-urlencoded'): Promise<Answer> {
  return answerOf(
    await fetch(`${s.url}${path}${query === '' ? '' : `?${query}`}`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    }),
  );
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const SUCCESS = { result: 'Success' };

describe('HTTP basics', () => {
  it('binds 127.0.0.1 on a free port and answers JSON with CORS on every answer', async () => {
    const s = await start();
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    for (const a of [await get(s, '/i'), await get(s, '/nope'), await get(s, '/i', {})]) {
      expect(a.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(a.headers.get('access-control-allow-origin')).toBe('*');
      expect(a.json).toHaveProperty('result');
    }
  });

  it('answers OPTIONS with 200 and the CORS preflight headers', async () => {
    const s = await start();
    const a = await answerOf(await fetch(`${s.url}/i`, { method: 'OPTIONS' }));
    expect(a.status).toBe(200);
    expect(a.headers.get('access-control-allow-origin')).toBe('*');
    expect(a.headers.get('access-control-allow-methods')).toBe('POST, GET, OPTIONS');
    expect(a.headers.get('access-control-allow-headers')).toBe('countly-token, Content-Type');
    expect(s.received[0]).toMatchObject({ method: 'OPTIONS', status: 200, accepted: false });
  });

  it('answers other methods with 405 Method not allowed', async () => {
    const s = await start();
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const a = await answerOf(await fetch(`${s.url}/i?${qs(base)}`, { method }));
      expect(a.status).toBe(405);
      expect(a.json).toEqual({ result: 'Method not allowed' });
      expect(a.headers.get('allow')).toBe('GET, POST, OPTIONS');
    }
    expect(s.accepted()).toEqual([]);
  });

  it('answers unknown paths with 400 Invalid path', async () => {
    const s = await start();
    for (const path of ['/', '/x', '/i/', '/o', '/o/sdk/other']) {
      const a = await get(s, path);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Invalid path' });
    }
  });

  it('takes params from the query for GET and decodes them', async () => {
    const s = await start();
    await get(s, '/i', 'app_key=app&device_id=a%20b+c&location=1.5%2C2');
    expect(s.received[0]?.params).toEqual({ app_key: 'app', device_id: 'a b c', location: '1.5,2' });
    expect(s.received[0]?.rawQuery).toBe('app_key=app&device_id=a%20b+c&location=1.5%2C2');
    expect(s.received[0]?.path).toBe('/i');
  });

  it('parses urlencoded POST bodies, body fields overriding query fields', async () => {
    const s = await start();
    const a = await post(s, '/i', 'device_id=fromBody&begin_session=1', 'app_key=app&device_id=fromQuery');
    expect(a.json).toEqual(SUCCESS);
    const r = s.received[0];
    expect(r?.params).toEqual({ app_key: 'app', device_id: 'fromBody', begin_session: '1' });
    expect(r?.rawBody).toBe('device_id=fromBody&begin_session=1');
    expect(r?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('parses JSON bodies, re-serializing object values as JSON params', async () => {
    const s = await start();
    const body = JSON.stringify({ app_key: 'app', device_id: 'd', events: [{ key: 'k', count: 2 }], hour: 3 });
    const a = await post(s, '/i', body, '', 'application/json');
    expect(a.json).toEqual(SUCCESS);
    expect(s.received[0]?.params).toEqual({ app_key: 'app', device_id: 'd', events: '[{"key":"k","count":2}]', hour: '3' });
    expect(s.events()).toEqual([{ key: 'k', count: 2, device_id: 'd' }]);
  });

  it('refuses a JSON body that is not a JSON object', async () => {
    const s = await start();
    for (const body of ['{nope', '[1,2]']) {
      const a = await post(s, '/i', body, qs(base), 'application/json');
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Could not parse JSON body' });
    }
  });

  it('ignores the body of a GET and accepts an empty POST body', async () => {
    const s = await start();
    const a = await post(s, '/i', '', qs(base));
    expect(a.json).toEqual(SUCCESS);
    expect(s.received[0]?.params).toEqual(base);
  });
});

describe('/i, in order (spec: server-rules.md)', () => {
  it('1. missing or empty app_key / device_id → 400', async () => {
    const s = await start();
    const cases: Array<Record<string, string>> = [{}, { app_key: 'app' }, { device_id: 'd' }, { app_key: '', device_id: 'd' }, { app_key: 'app', device_id: '' }];
    for (const params of cases) {
      const a = await get(s, '/i', params);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Missing parameter "app_key" or "device_id"' });
    }
    expect(s.accepted()).toEqual([]);
    expect(s.received.every((r) => r.error === 'Missing parameter "app_key" or "device_id"')).toBe(true);
  });

  it('2. the all-zeros device_id is ignored (200, not accepted)', async () => {
    const s = await start();
    const a = await get(s, '/i', { app_key: 'app', device_id: '00000000-0000-0000-0000-000000000000', events: '[{"key":"a"}]' });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ result: 'Ignoring device_id' });
    expect(s.received[0]?.accepted).toBe(false);
    expect(s.events()).toEqual([]);
  });

  it('3. unknown app keys → 400 App does not exist when appKeys is given', async () => {
    const s = await start({ appKeys: ['k1', 'k2'] });
    expect((await get(s, '/i', { app_key: 'other', device_id: 'd' })).json).toEqual({ result: 'App does not exist' });
    expect((await get(s, '/i', { app_key: 'other', device_id: 'd' })).status).toBe(400);
    expect((await get(s, '/i', { app_key: 'k2', device_id: 'd' })).json).toEqual(SUCCESS);
    expect(s.accepted().map((r) => r.params.app_key)).toEqual(['k2']);
  });

  it('accepts any non-empty app key by default', async () => {
    const s = await start();
    expect((await get(s, '/i', { app_key: 'anything', device_id: 'd' })).json).toEqual(SUCCESS);
  });

  it('4. an app_id or user_id param whose length is not 24 → 400', async () => {
    const s = await start();
    for (const name of ['app_id', 'user_id']) {
      const bad = await get(s, '/i', { ...base, [name]: 'x'.repeat(23) });
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({ result: `Invalid parameter "${name}"` });
      expect((await get(s, '/i', { ...base, [name]: 'a'.repeat(24) })).json).toEqual(SUCCESS);
    }
  });

  it('accepts 10- and 13-digit timestamps', async () => {
    const s = await start();
    expect((await get(s, '/i', { ...base, timestamp: '1700000000' })).json).toEqual(SUCCESS);
    expect((await get(s, '/i', { ...base, timestamp: '1700000000123' })).json).toEqual(SUCCESS);
    expect(s.accepted()).toHaveLength(2);
  });

  it('succeeds with 200 {"result":"Success"} and records the request as accepted', async () => {
    const s = await start();
    const a = await get(s, '/i', { ...base, begin_session: '1', metrics: '{"_os":"Linux"}' });
    expect(a).toMatchObject({ status: 200, json: SUCCESS });
    expect(s.received[0]).toMatchObject({ id: 1, method: 'GET', path: '/i', status: 200, response: SUCCESS, accepted: true });
    expect(s.received[0]?.error).toBeUndefined();
    expect(typeof s.received[0]?.receivedAt).toBe('number');
  });

  it('answers method=ab_enroll_variant with Success, and 400 without key or variant', async () => {
    const s = await start();
    expect((await get(s, '/i', { ...base, method: 'ab_enroll_variant', key: 'k', variant: 'v' })).json).toEqual(SUCCESS);
    const bad = await get(s, '/i', { ...base, method: 'ab_enroll_variant', key: 'k' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ result: 'Missing parameter "key" or "variant"' });
  });
});

describe('checksum (spec: server-rules.md step 5)', () => {
  const salt = 's3cret';
  const payload = qs({ ...base, begin_session: '1', metrics: '{"_os":"Linux"}' });

  it('passes a valid checksum256 in a GET query, in any letter case', async () => {
    const s = await start({ salt });
    expect((await get(s, '/i', `${payload}&checksum256=${sha256(payload + salt)}`)).json).toEqual(SUCCESS);
    expect((await get(s, '/i', `${payload}&checksum256=${sha256(payload + salt).toUpperCase()}`)).json).toEqual(SUCCESS);
    expect(s.accepted()).toHaveLength(2);
  });

  it('passes a valid checksum256 in a POST body', async () => {
    const s = await start({ salt });
    const a = await post(s, '/i', `${payload}&checksum256=${sha256(payload + salt)}`);
    expect(a.json).toEqual(SUCCESS);
    expect(s.accepted()).toHaveLength(1);
  });

  it('passes a POST whose checksum covers the query string', async () => {
    const s = await start({ salt });
    const a = await post(s, '/i', 'hour=3', `${payload}&checksum256=${sha256(payload + salt)}`);
    expect(a.json).toEqual(SUCCESS);
  });

  it('passes a checksum256 that is the first param', async () => {
    const s = await start({ salt });
    // the server removes `checksum256=<v>` and hashes what is left, leading `&` included
    const a = await get(s, '/i', `checksum256=${sha256(`&${payload}${salt}`)}&${payload}`);
    expect(a.json).toEqual(SUCCESS);
  });

  it('answers 200 "Request does not match checksum" and drops the data on a mismatch (GET and POST)', async () => {
    const s = await start({ salt });
    const wrong = sha256(payload + 'other');
    const g = await get(s, '/i', `${payload}&checksum256=${wrong}`);
    const p = await post(s, '/i', `${payload}&checksum256=${wrong}`);
    const tampered = await post(s, '/i', `${payload}&hour=1&checksum256=${sha256(payload + salt)}`);
    for (const a of [g, p, tampered]) {
      expect(a.status).toBe(200);
      expect(a.json).toEqual({ result: 'Request does not match checksum' });
    }
    expect(s.accepted()).toEqual([]);
    expect(s.received.every((r) => r.error === 'Request does not match checksum')).toBe(true);
  });

  it('answers 200 "Request does not have checksum" when absent (GET and POST)', async () => {
    const s = await start({ salt });
    for (const a of [await get(s, '/i', payload), await post(s, '/i', payload)]) {
      expect(a.status).toBe(200);
      expect(a.json).toEqual({ result: 'Request does not have checksum' });
    }
    expect(s.accepted()).toEqual([]);
  });

  it('verifies the sha1 `checksum` name too', async () => {
    const s = await start({ salt });
    expect((await get(s, '/i', `${payload}&checksum=${sha1(payload + salt)}`)).json).toEqual(SUCCESS);
    expect((await post(s, '/i', `${payload}&checksum=${sha1(payload + salt).toUpperCase()}`)).json).toEqual(SUCCESS);
    expect((await get(s, '/i', `${payload}&checksum=${sha256(payload + salt)}`)).json).toEqual({
      result: 'Request does not match checksum',
    });
  });

  it('ignores checksums when no salt is set', async () => {
    const s = await start();
    expect((await get(s, '/i', `${payload}&checksum256=bogus`)).json).toEqual(SUCCESS);
  });

  it('checks the checksum on /o/sdk too', async () => {
    const s = await start({ salt });
    const sc = qs({ ...base, method: 'sc' });
    expect((await get(s, '/o/sdk', sc)).json).toEqual({ result: 'Request does not have checksum' });
    expect((await get(s, '/o/sdk', `${sc}&checksum256=${sha256(sc + salt)}`)).json).toMatchObject({ v: 1 });
  });
});

describe('JSON params', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['events bad JSON', { events: '[{' }, 'Invalid JSON in parameter "events"'],
    ['events not an array', { events: '{"key":"a"}' }, 'Parameter "events" must be a JSON array'],
    ['event not an object', { events: '["a"]' }, 'Event 0 in "events" needs a non-empty string "key"'],
    ['event without key', { events: '[{"key":"a"},{"count":1}]' }, 'Event 1 in "events" needs a non-empty string "key"'],
    ['event with empty key', { events: '[{"key":""}]' }, 'Event 0 in "events" needs a non-empty string "key"'],
    ['event with numeric key', { events: '[{"key":5}]' }, 'Event 0 in "events" needs a non-empty string "key"'],
    ['metrics bad JSON', { metrics: '{' }, 'Invalid JSON in parameter "metrics"'],
    ['metrics an array', { metrics: '[]' }, 'Parameter "metrics" must be a JSON object'],
    ['user_details bad JSON', { user_details: 'x' }, 'Invalid JSON in parameter "user_details"'],
    ['user_details not an object', { user_details: '"x"' }, 'Parameter "user_details" must be a JSON object'],
    ['crash bad JSON', { crash: '{' }, 'Invalid JSON in parameter "crash"'],
    ['crash not an object', { crash: '1' }, 'Parameter "crash" must be a JSON object'],
    ['crash without _error', { crash: '{"_app_version":"1","_os":"x"}' }, 'Parameter "crash" needs "_error" and "_app_version"'],
    ['crash without _app_version', { crash: '{"_error":"e","_os":"x"}' }, 'Parameter "crash" needs "_error" and "_app_version"'],
    ['crash without _os', { crash: '{"_error":"e","_app_version":"1"}' }, 'Parameter "crash" needs "_os" unless "_not_os_specific"'],
    ['consent bad JSON', { consent: '{' }, 'Invalid JSON in parameter "consent"'],
    ['consent not booleans', { consent: '{"sessions":1}' }, 'Parameter "consent" must be a JSON object of booleans'],
    ['consent an array', { consent: '[true]' }, 'Parameter "consent" must be a JSON object of booleans'],
    ['segmentation bad JSON', { segmentation: '{' }, 'Invalid JSON in parameter "segmentation"'],
    ['segmentation not an object', { segmentation: '[]' }, 'Parameter "segmentation" must be a JSON object'],
  ];

  it.each(cases)('%s → 400 naming the param', async (_name, params, message) => {
    const s = await start();
    const a = await get(s, '/i', { ...base, ...params });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ result: message });
    expect(s.received[0]).toMatchObject({ accepted: false, error: message });
  });

  it('accepts valid JSON params, location as a plain string', async () => {
    const s = await start();
    const a = await get(s, '/i', {
      ...base,
      events: '[{"key":"a","count":1,"segmentation":{"x":1}}]',
      metrics: '{"_os":"Linux"}',
      user_details: '{"name":"n","custom":{"a":{"$inc":1}}}',
      crash: '{"_error":"e","_app_version":"1","_not_os_specific":true}',
      consent: '{"sessions":true,"events":false}',
      location: '1,2',
      segmentation: '{}',
    });
    expect(a.json).toEqual(SUCCESS);
    expect((await get(s, '/i', { ...base, crash: '{"_error":"e","_app_version":1,"_os":"Linux"}' })).json).toEqual(SUCCESS);
  });
});

describe('duplicates (spec: server-rules.md step 6)', () => {
  const request = { ...base, events: '[{"key":"a"}]', timestamp: '1700000000000' };

  it('ignores a repeat of the device’s previous request when preventDuplicates is on', async () => {
    const s = await start({ preventDuplicates: true });
    expect((await get(s, '/i', request)).json).toEqual(SUCCESS);
    const again = await get(s, '/i', { ...request, rr: '3' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ result: 'Success', info: 'Request ignored: Duplicate request' });
    expect(s.received[1]).toMatchObject({ accepted: false, error: 'Duplicate request' });
    expect(s.events()).toHaveLength(1);
  });

  it('compares only with the same device’s previous request', async () => {
    const s = await start({ preventDuplicates: true });
    await get(s, '/i', request);
    expect((await get(s, '/i', { ...request, device_id: 'dev2' })).json).toEqual(SUCCESS);
    expect((await get(s, '/i', { ...request, timestamp: '1700000000001' })).json).toEqual(SUCCESS);
    // not the previous one any more, so accepted again
    expect((await get(s, '/i', request)).json).toEqual(SUCCESS);
    expect(s.accepted()).toHaveLength(4);
  });

  it('ignores the checksum names and GET/POST when comparing', async () => {
    const s = await start({ preventDuplicates: true, salt: 'x' });
    const payload = qs(request);
    await get(s, '/i', `${payload}&checksum256=${sha256(`${payload}x`)}`);
    const again = await post(s, '/i', `${payload}&checksum=${sha1(`${payload}x`)}`);
    expect(again.json).toEqual({ result: 'Success', info: 'Request ignored: Duplicate request' });
  });

  it('accepts repeats when preventDuplicates is off', async () => {
    const s = await start();
    await get(s, '/i', request);
    expect((await get(s, '/i', request)).json).toEqual(SUCCESS);
    expect(s.events()).toHaveLength(2);
  });

  it('does not remember refused requests', async () => {
    const s = await start({ preventDuplicates: true, appKeys: ['app'] });
    await get(s, '/i', { ...request, app_key: 'wrong' });
    expect((await get(s, '/i', request)).json).toEqual(SUCCESS);
  });
});

describe('/i/bulk', () => {
  it('processes each item as /i, taking the bulk app_key when an item has none', async () => {
    const s = await start({ appKeys: ['app'] });
    const requests = [
      { device_id: 'a', events: [{ key: 'e1' }, { key: 'e2', count: 2 }] },
      { app_key: 'wrong', device_id: 'b', events: [{ key: 'lost' }] },
      { device_id: 'c', begin_session: 1 },
      { events: [{ key: 'no-device' }] },
      'not an object',
      { device_id: 'd', events: '[{"key":"e3"}]' },
    ];
    const a = await post(s, '/i/bulk', qs({ app_key: 'app', requests: JSON.stringify(requests) }));
    expect(a.json).toEqual(SUCCESS);
    const r = s.received[0];
    expect(r?.accepted).toBe(true);
    expect(r?.bulk?.map((item) => [item.status, item.accepted])).toEqual([
      [200, true],
      [400, false],
      [200, true],
      [400, false],
      [400, false],
      [200, true],
    ]);
    expect(r?.bulk?.[1]?.error).toBe('App does not exist');
    expect(r?.bulk?.[2]?.params).toEqual({ app_key: 'app', device_id: 'c', begin_session: '1' });
    expect(s.events()).toEqual([
      { key: 'e1', device_id: 'a' },
      { key: 'e2', count: 2, device_id: 'a' },
      { key: 'e3', device_id: 'd' },
    ]);
  });

  it('applies duplicate detection to each item', async () => {
    const s = await start({ preventDuplicates: true });
    const item = { app_key: 'app', device_id: 'a', events: [{ key: 'x' }], timestamp: 1 };
    await post(s, '/i/bulk', qs({ requests: JSON.stringify([item, item]) }));
    expect(s.received[0]?.bulk?.map((i) => i.response)).toEqual([
      SUCCESS,
      { result: 'Success', info: 'Request ignored: Duplicate request' },
    ]);
    expect(s.events()).toHaveLength(1);
  });

  it('is not accepted when no item is', async () => {
    const s = await start();
    await get(s, '/i/bulk', { requests: '[]' });
    expect(s.received[0]).toMatchObject({ status: 200, accepted: false });
  });

  it('needs a JSON array in `requests`', async () => {
    const s = await start();
    const cases: Array<Record<string, string>> = [{}, { requests: '{' }, { requests: '{}' }];
    for (const params of cases) {
      const a = await get(s, '/i/bulk', params);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Missing parameter "requests"' });
    }
  });

  it('checks app_id/user_id and the checksum on the bulk request itself', async () => {
    const s = await start({ salt: 'x' });
    expect((await get(s, '/i/bulk', { requests: '[]', user_id: 'u' })).status).toBe(400);
    const payload = qs({ requests: JSON.stringify([{ app_key: 'a', device_id: 'd' }]) });
    expect((await post(s, '/i/bulk', payload)).json).toEqual({ result: 'Request does not have checksum' });
    expect((await post(s, '/i/bulk', `${payload}&checksum256=${sha256(`${payload}x`)}`)).json).toEqual(SUCCESS);
    expect(s.accepted()).toHaveLength(1);
  });
});

describe('/o/sdk', () => {
  const sdk = (s: CountlyTestServer, params: Record<string, string>): Promise<Answer> => get(s, '/o/sdk', { ...base, ...params });

  it('applies the app checks', async () => {
    const s = await start({ appKeys: ['app'] });
    expect((await get(s, '/o/sdk', { method: 'sc' })).status).toBe(400);
    expect((await sdk(s, { method: 'sc', app_key: 'x' })).json).toEqual({ result: 'App does not exist' });
    expect((await sdk(s, { method: 'sc', app_id: '1' })).json).toEqual({ result: 'Invalid parameter "app_id"' });
  });

  it('method=sc answers {v, t, c} with the behavior settings', async () => {
    const s = await start({ behaviorSettings: { tracking: false, rqs: 10 } });
    const before = Date.now();
    const a = await sdk(s, { method: 'sc' });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ v: 1, c: { tracking: false, rqs: 10 } });
    expect((a.json as { t: number }).t).toBeGreaterThanOrEqual(before);
    expect(s.received[0]?.accepted).toBe(true);
  });

  it('method=sc answers an empty c by default', async () => {
    const s = await start();
    expect((await sdk(s, { method: 'sc' })).json).toMatchObject({ v: 1, c: {} });
  });

  it('method=rc answers the remote config filtered by keys and omit_keys', async () => {
    const s = await start({ remoteConfig: { a: 1, b: 'two', c: { x: true } } });
    expect((await sdk(s, { method: 'rc' })).json).toEqual({ a: 1, b: 'two', c: { x: true } });
    expect((await sdk(s, { method: 'rc', keys: '["a","c","zz"]' })).json).toEqual({ a: 1, c: { x: true } });
    expect((await sdk(s, { method: 'rc', omit_keys: '["a"]' })).json).toEqual({ b: 'two', c: { x: true } });
    expect((await sdk(s, { method: 'rc', keys: 'not json', oi: '1' })).json).toEqual({ a: 1, b: 'two', c: { x: true } });
  });

  it('method=rc answers {} without remote config', async () => {
    const s = await start();
    expect((await sdk(s, { method: 'rc' })).json).toEqual({});
  });

  it('method=ab needs a keys JSON array', async () => {
    const s = await start();
    expect((await sdk(s, { method: 'ab', keys: '["a"]' })).json).toEqual({ result: 'Successfully enrolled in ab tests' });
    const cases: Array<Record<string, string>> = [{ method: 'ab' }, { method: 'ab', keys: '{' }, { method: 'ab', keys: '"a"' }];
    for (const params of cases) {
      const a = await sdk(s, params);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Missing Keys' });
    }
  });

  it('answers ab_fetch_variants, ab_fetch_experiments and feedback from the options', async () => {
    const variants = { k1: [{ name: 'Control group', value: 1 }], k2: [{ name: 'Variant A', value: 'x' }] };
    const experiments = [{ id: 'e', name: 'E', description: '', currentVariant: 'v', variants: { v: { k1: 1 } } }];
    const widgets = [{ _id: 'w', type: 'nps', name: 'N', tg: ['t'] }];
    const s = await start({ abVariants: variants, abExperiments: experiments, feedbackWidgets: widgets });
    expect((await sdk(s, { method: 'ab_fetch_variants' })).json).toEqual(variants);
    expect((await sdk(s, { method: 'ab_fetch_variants', key: 'k2' })).json).toEqual({ k2: variants.k2 });
    expect((await sdk(s, { method: 'ab_fetch_experiments' })).json).toEqual(experiments);
    expect((await sdk(s, { method: 'feedback' })).json).toEqual({ result: widgets });
  });

  it('answers empty defaults for variants, experiments and feedback', async () => {
    const s = await start();
    expect((await sdk(s, { method: 'ab_fetch_variants' })).json).toEqual({});
    expect((await sdk(s, { method: 'ab_fetch_experiments' })).json).toEqual([]);
    expect((await sdk(s, { method: 'feedback' })).json).toEqual({ result: [] });
  });

  it('answers an unknown or missing method with 400 Invalid method', async () => {
    const s = await start();
    for (const a of [await sdk(s, { method: 'nope' }), await sdk(s, {})]) {
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ result: 'Invalid method' });
    }
  });

  it('does not ignore the all-zeros device on /o/sdk', async () => {
    const s = await start();
    expect((await sdk(s, { method: 'sc', device_id: '00000000-0000-0000-0000-000000000000' })).json).toMatchObject({ v: 1 });
  });

  it('/o/sdk/content answers "No content block found!" by default, or the configured block', async () => {
    const s = await start();
    const params = { ...base, method: 'queue', resolution: '{"p":{"w":1,"h":2}}' };
    expect((await get(s, '/o/sdk/content', params)).json).toEqual({ result: 'No content block found!' });
    expect((await get(s, '/o/sdk/content', {})).status).toBe(400);
    const block = { html: 'http://x/c', geo: { p: { x: 0, y: 0, w: 1, h: 1 }, l: { x: 0, y: 0, w: 1, h: 1 } } };
    s.configure({ contentBlock: block });
    expect((await get(s, '/o/sdk/content', params)).json).toEqual(block);
  });
});

describe('faults', () => {
  it('status: answers the status with {"result":"Error"} or the given body', async () => {
    const s = await start();
    s.injectFaults({ kind: 'status', status: 500 }, { kind: 'status', status: 429, body: '{"result":"Slow down"}' });
    const first = await get(s, '/i', { ...base, events: '[{"key":"a"}]' });
    expect(first).toMatchObject({ status: 500, json: { result: 'Error' } });
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await get(s, '/i')).json).toEqual({ result: 'Slow down' });
    expect((await get(s, '/i')).json).toEqual(SUCCESS);
    expect(s.received.map((r) => [r.status, r.accepted, r.error])).toEqual([
      [500, false, 'fault: status 500'],
      [429, false, 'fault: status 429'],
      [200, true, undefined],
    ]);
    expect(s.events()).toEqual([]);
  });

  it('latency: processes normally after a real delay', async () => {
    const s = await start();
    s.injectFaults({ kind: 'latency', ms: 150 });
    const before = Date.now();
    const a = await get(s, '/i', { ...base, events: '[{"key":"slow"}]' });
    expect(Date.now() - before).toBeGreaterThanOrEqual(140);
    expect(a.json).toEqual(SUCCESS);
    expect(s.received[0]?.accepted).toBe(true);
    expect(s.events().map((e) => e.key)).toEqual(['slow']);
  });

  it('malformed: answers a non-JSON body (200 by default)', async () => {
    const s = await start();
    s.injectFaults({ kind: 'malformed' }, { kind: 'malformed', body: '<html>', status: 502 });
    expect(await get(s, '/i')).toMatchObject({ status: 200, text: 'not json', json: null });
    expect(await get(s, '/i')).toMatchObject({ status: 502, text: '<html>' });
    expect(s.received.map((r) => [r.response, r.accepted, r.error])).toEqual([
      [null, false, 'fault: malformed'],
      [null, false, 'fault: malformed'],
    ]);
  });

  it('no-result: answers 200 JSON without result', async () => {
    const s = await start();
    s.injectFaults({ kind: 'no-result' });
    expect(await get(s, '/i')).toMatchObject({ status: 200, json: { ok: true } });
    expect(s.received[0]).toMatchObject({ accepted: false, response: { ok: true }, error: 'fault: no-result' });
  });

  it('drop: destroys the socket without answering', async () => {
    const s = await start();
    s.injectFaults({ kind: 'drop' });
    await expect(fetch(`${s.url}/i?${qs(base)}`)).rejects.toThrow();
    expect(s.received[0]).toMatchObject({ status: 0, response: null, accepted: false, error: 'fault: drop' });
    expect((await get(s, '/i')).json).toEqual(SUCCESS);
  });

  it('hang: never answers, and close() still ends', async () => {
    const s = await start();
    s.injectFaults({ kind: 'hang' });
    await expect(fetch(`${s.url}/i?${qs(base)}`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(s.received[0]).toMatchObject({ status: 0, accepted: false, error: 'fault: hang' });
    s.setFault({ kind: 'hang' });
    const hung = fetch(`${s.url}/i?${qs(base)}`).catch((error: unknown) => error);
    await s.waitFor((r) => r.length === 2);
    const started = Date.now();
    await s.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await hung).toBeInstanceOf(Error);
  });

  it('applies queued faults in order, then the sticky fault, until cleared', async () => {
    const s = await start();
    s.setFault({ kind: 'status', status: 503 });
    s.injectFaults({ kind: 'no-result' }, { kind: 'status', status: 500 });
    const statuses: unknown[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(s, '/i')).json);
    s.setFault(null);
    statuses.push((await get(s, '/i')).json);
    expect(statuses).toEqual([{ ok: true }, { result: 'Error' }, { result: 'Error' }, { result: 'Error' }, SUCCESS]);
    expect(s.received.map((r) => r.status)).toEqual([200, 500, 503, 503, 200]);
  });

  it('hits every path and method, but not a CORS preflight', async () => {
    const s = await start();
    s.injectFaults({ kind: 'status', status: 500 }, { kind: 'status', status: 501 });
    expect((await answerOf(await fetch(`${s.url}/i`, { method: 'OPTIONS' }))).status).toBe(200);
    expect((await get(s, '/nowhere')).status).toBe(500);
    expect((await get(s, '/o/sdk', { ...base, method: 'sc' })).status).toBe(501);
  });

  it('a latency fault still ends on close()', async () => {
    const s = await start();
    s.injectFaults({ kind: 'latency', ms: 10_000 });
    const pending = fetch(`${s.url}/i?${qs(base)}`).catch((error: unknown) => error);
    await s.waitFor((r) => r.length === 1);
    await s.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(s.received[0]?.status).toBe(0);
  });
});

describe('recording', () => {
  it('events() flattens the events of accepted /i requests in order, with their device_id', async () => {
    const s = await start({ appKeys: ['app'] });
    await get(s, '/i', { ...base, events: '[{"key":"a","count":1},{"key":"b","segmentation":{"s":"v"}}]' });
    await get(s, '/i', { app_key: 'nope', device_id: 'x', events: '[{"key":"rejected"}]' });
    await get(s, '/i', { app_key: 'app', device_id: 'dev2', events: '[{"key":"c","device_id":"spoof"}]' });
    await get(s, '/i', { ...base, begin_session: '1' });
    await get(s, '/o/sdk', { ...base, method: 'sc', events: '[{"key":"not-i"}]' });
    expect(s.events()).toEqual([
      { key: 'a', count: 1, device_id: 'dev1' },
      { key: 'b', segmentation: { s: 'v' }, device_id: 'dev1' },
      { key: 'c', device_id: 'dev2' },
    ]);
    expect(s.accepted().map((r) => r.id)).toEqual([1, 3, 4, 5]);
  });

  it('waitFor resolves when the predicate holds, including at once', async () => {
    const s = await start();
    await s.waitFor((r) => r.length === 0);
    const waiting = s.waitFor((r) => r.filter((x) => x.accepted).length >= 2, 2000);
    void fetch(`${s.url}/i?${qs(base)}`);
    void fetch(`${s.url}/i?${qs(base)}`);
    await waiting;
    expect(s.accepted()).toHaveLength(2);
  });

  it('waitFor rejects after the timeout, when the predicate throws, and on close', async () => {
    const s = await start();
    await expect(s.waitFor(() => false, 50)).rejects.toThrow('waitFor: timed out after 50 ms (0 requests received)');
    await expect(
      s.waitFor(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(
      s.waitFor(() => {
        throw 'plain';
      }),
    ).rejects.toThrow('plain');
    const pending = s.waitFor(() => false);
    await s.close();
    await expect(pending).rejects.toThrow('waitFor: server closed');
    await s.close();
  });

  it('reset() forgets received requests, faults and the duplicate memory', async () => {
    const s = await start({ preventDuplicates: true });
    const request = { ...base, timestamp: '1' };
    await get(s, '/i', request);
    s.injectFaults({ kind: 'status', status: 500 });
    s.setFault({ kind: 'status', status: 503 });
    s.reset();
    expect(s.received).toEqual([]);
    expect((await get(s, '/i', request)).json).toEqual(SUCCESS);
    expect(s.received).toHaveLength(1);
    expect(s.received[0]?.id).toBe(2);
  });

  it('configure() changes answers and rules while running', async () => {
    const s = await start();
    s.configure({ remoteConfig: { a: 1 }, appKeys: ['only'] });
    expect((await get(s, '/o/sdk', { app_key: 'only', device_id: 'd', method: 'rc' })).json).toEqual({ a: 1 });
    expect((await get(s, '/i')).json).toEqual({ result: 'App does not exist' });
  });

  it('logs one line per request when log is given', async () => {
    const lines: string[] = [];
    const s = await start({ log: (line) => lines.push(line) });
    await get(s, '/i', { ...base, begin_session: '1', events: '[{"key":"a"},{"key":"b"}]' });
    await get(s, '/o/sdk', { ...base, method: 'sc' });
    s.injectFaults({ kind: 'drop' });
    await fetch(`${s.url}/i`).catch(() => undefined);
    await get(s, '/x');
    expect(lines).toEqual([
      '#1 GET /i 200 dev=dev1 begin_session events=2 → Success',
      '#2 GET /o/sdk 200 dev=dev1 method=sc → ok',
      '#3 GET /i --- → fault: drop',
      '#4 GET /x 400 dev=dev1 → Invalid path',
    ]);
  });

  it('refuses to start on a port in use', async () => {
    const s = await start();
    await expect(startServer({ port: s.port })).rejects.toThrow();
  });
});

describe('formatLine', () => {
  it('summarizes params, bulk sizes and outcomes', () => {
    const record = {
      id: 7,
      method: 'POST',
      path: '/i/bulk',
      params: { requests: '[{},{}]', device_id: 'd', session_duration: '30', end_session: '1', user_details: '{}', crash: '{}', consent: '{}', location: '', old_device_id: 'o', metrics: '{}', events: 'bad' },
      rawQuery: '',
      rawBody: '',
      headers: {},
      status: 200,
      response: { ok: true },
      accepted: false,
      receivedAt: 0,
    };
    expect(formatLine(record)).toBe(
      '#7 POST /i/bulk 200 dev=d session_duration=30 end_session events=? requests=2 metrics user_details crash consent location old_device_id',
    );
    expect(formatLine({ ...record, params: { requests: '{}' }, accepted: true })).toBe('#7 POST /i/bulk 200 requests=? → ok');
  });
});
