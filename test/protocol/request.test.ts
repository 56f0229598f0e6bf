import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TransportRequest } from '../../src/adapters/types.js';
import type { DeviceIdType } from '../../src/domain/types.js';
import { decodeParamList, decodeParams, encodeParams, toWellFormed } from '../../src/protocol/encode.js';
import {
  BASE_PARAMS,
  ENDPOINT_TAG,
  GET_MAX_LENGTH,
  buildHttpRequest,
  buildStoredRequest,
  parseStoredRequest,
  requestAgeHours,
  rewriteStoredRequest,
  type HttpRequestInput,
  type StoredRequestInput,
} from '../../src/protocol/request.js';
import { instantAt } from '../../src/protocol/time.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The server's rule (spec/server-rules.md, `/i` step 5): remove the first
 * `&checksum256=<v>` (then `checksum256=<v>`) from the raw query or body, and compare
 * sha256(rest + salt) with <v>, case-insensitively.
 */
function serverVerifies(raw: string, salt: string): boolean {
  const v = decodeParams(raw).checksum256;
  if (v === undefined) return false;
  const candidates = [raw.replace(`&checksum256=${v}`, ''), raw.replace(`checksum256=${v}`, '')];
  return candidates.some((c) => sha256(c + salt).toLowerCase() === v.toLowerCase());
}

/** What the server reads as the request: the query of a GET, the body of a POST. */
const payloadOf = (req: TransportRequest): string => (req.method === 'GET' ? new URL(req.url).search.slice(1) : (req.body ?? ''));

const INSTANT = instantAt(1_767_225_600_123);
const base: StoredRequestInput = {
  appKey: 'APP',
  deviceId: 'dev-1',
  deviceIdType: 'SDK_GENERATED',
  instant: INSTANT,
  sdkName: 'typescript-chartly',
  sdkVersion: '25.4.0',
  appVersion: '1.2',
  params: {},
};
const send: Omit<HttpRequestInput, 'stored'> = {
  baseUrl: 'https://countly.example.com',
  remaining: 0,
  httpPostForced: false,
  customHeaders: {},
  timeoutMs: 30_000,
};

const text = fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.string({ unit: fc.constantFrom('&', '=', '?', '%', '+', 'a') }));
const featureParams = fc.dictionary(
  fc.oneof(text, fc.constantFrom('begin_session', 'events', 'crash', 'app_key', 'timestamp', 'rr', 'checksum256', ENDPOINT_TAG, 't')),
  fc.oneof(text, fc.string({ minLength: 500, maxLength: 2500 })),
  { maxKeys: 8 },
);
const storedInput: fc.Arbitrary<StoredRequestInput> = fc.record({
  appKey: fc.string({ unit: 'binary', minLength: 1 }),
  deviceId: fc.string({ unit: 'binary', minLength: 1 }),
  deviceIdType: fc.option(fc.constantFrom<DeviceIdType>('DEVELOPER_SUPPLIED', 'SDK_GENERATED', 'TEMPORARY_ID'), { nil: undefined }),
  instant: fc.integer({ min: 1_000_000_000_000, max: 4_102_444_800_000 }).map(instantAt),
  sdkName: fc.string({ unit: 'binary' }),
  sdkVersion: fc.string({ unit: 'binary' }),
  appVersion: fc.string({ unit: 'binary' }),
  params: featureParams,
  endpoint: fc.option(fc.constantFrom('/i', '/o/sdk', '/o/sdk/content', '/i/feedback/input', ''), { nil: undefined }),
});
const isReserved = (k: string): boolean =>
  (BASE_PARAMS as readonly string[]).includes(k) || ['rr', 'checksum256', 'checksum', ENDPOINT_TAG].includes(k);

describe('buildStoredRequest', () => {
  it('writes the base params in order, then the feature params, escaping only what would split them', () => {
    const stored = buildStoredRequest({ ...base, params: { begin_session: '1', metrics: '{"_os":"Node"}' } });
    expect(stored).toBe(
      `app_key=APP&device_id=dev-1&timestamp=1767225600123&hour=${INSTANT.hour}&dow=${INSTANT.dow}&tz=${INSTANT.tz}` +
        '&sdk_version=25.4.0&sdk_name=typescript-chartly&av=1.2&t=1' +
        '&begin_session=1&metrics={"_os":"Node"}',
    );
    const tricky = buildStoredRequest({ ...base, params: { q: 'a&b=c+d%e f' } });
    expect(tricky.endsWith('&q=a%26b%3Dc%2Bd%25e f')).toBe(true);
    expect(parseStoredRequest(tricky).params.q).toBe('a&b=c+d%e f');
  });

  it('maps the device ID type to t (0 developer, 1 SDK, 2 temporary) and omits t without a type', () => {
    const t = (deviceIdType?: DeviceIdType): string | undefined =>
      decodeParams(buildStoredRequest({ ...base, deviceIdType })).t;
    expect(t('DEVELOPER_SUPPLIED')).toBe('0');
    expect(t('SDK_GENERATED')).toBe('1');
    expect(t('TEMPORARY_ID')).toBe('2');
    expect(t(undefined)).toBeUndefined();
  });

  it('skips feature params that would override a base param or what sending owns', () => {
    const stored = buildStoredRequest({
      ...base,
      deviceIdType: undefined,
      params: { app_key: 'X', device_id: 'Y', timestamp: '1', t: '9', rr: '5', checksum256: 'abc', new_end_point: '/x', ok: '1' },
    });
    const parsed = parseStoredRequest(stored);
    expect(parsed.appKey).toBe('APP');
    expect(parsed.deviceId).toBe('dev-1');
    expect(parsed.endpoint).toBe('/i');
    expect(Object.keys(parsed.params)).toEqual([...BASE_PARAMS.filter((k) => k !== 't'), 'ok']);
  });

  it('tags another endpoint at the end and leaves /i untagged', () => {
    expect(buildStoredRequest({ ...base, endpoint: '/o/sdk', params: { method: 'sc' } })).toMatch(/&method=sc&new_end_point=\/o\/sdk$/);
    expect(buildStoredRequest({ ...base, endpoint: '/i' })).not.toContain(ENDPOINT_TAG);
    expect(buildStoredRequest({ ...base, endpoint: '' })).not.toContain(ENDPOINT_TAG);
  });

  it('parses back to its inputs, for any inputs', () => {
    fc.assert(
      fc.property(storedInput, (input) => {
        const parsed = parseStoredRequest(buildStoredRequest(input));
        const wf = toWellFormed;
        expect(parsed.appKey).toBe(wf(input.appKey));
        expect(parsed.deviceId).toBe(wf(input.deviceId));
        expect(parsed.timestamp).toBe(input.instant.timestamp);
        expect(parsed.params.hour).toBe(String(input.instant.hour));
        expect(parsed.params.dow).toBe(String(input.instant.dow));
        expect(parsed.params.tz).toBe(String(input.instant.tz));
        expect(parsed.params.sdk_name).toBe(wf(input.sdkName));
        expect(parsed.params.sdk_version).toBe(wf(input.sdkVersion));
        expect(parsed.params.av).toBe(wf(input.appVersion));
        expect(parsed.endpoint).toBe(input.endpoint === undefined || input.endpoint === '' ? '/i' : input.endpoint);
        const features = Object.entries(input.params).filter(([k]) => !isReserved(k));
        const expectedKeys = [...BASE_PARAMS.filter((k) => k !== 't' || input.deviceIdType !== undefined)];
        // keys are compared as an object would order them (integer-like keys first)
        const expected: Record<string, string> = {};
        for (const k of expectedKeys) expected[k] = parsed.params[k] as string;
        for (const [k, v] of features) Object.defineProperty(expected, wf(k), { value: wf(v), enumerable: true, writable: true, configurable: true });
        expect(parsed.params).toEqual(expected);
        expect(Object.keys(parsed.params)).toEqual(Object.keys(expected));
      }),
    );
  });
});

describe('parseStoredRequest', () => {
  it('gives nulls for a request without base params and an unreadable timestamp', () => {
    expect(parseStoredRequest('')).toEqual({ params: {}, endpoint: '/i', timestamp: null, deviceId: null, appKey: null });
    expect(parseStoredRequest('timestamp=abc').timestamp).toBeNull();
    expect(parseStoredRequest('timestamp=').timestamp).toBeNull();
    expect(parseStoredRequest('timestamp=1.5').timestamp).toBeNull();
    expect(parseStoredRequest('timestamp=1700000000').timestamp).toBe(1_700_000_000);
  });

  it('treats an empty endpoint tag as /i', () => {
    expect(parseStoredRequest('a=1&new_end_point=').endpoint).toBe('/i');
  });
});

describe('rewriteStoredRequest', () => {
  it('replaces existing values in place and keeps every other segment byte for byte', () => {
    const stored = 'app_key=A&device_id=old%20id&x=%7B%7D&new_end_point=%2Fo%2Fsdk';
    expect(rewriteStoredRequest(stored, { device_id: 'new&id', app_key: 'B', missing: 'z' })).toBe(
      'app_key=B&device_id=new%26id&x=%7B%7D&new_end_point=%2Fo%2Fsdk',
    );
  });

  it('changes only the named params, for any request', () => {
    fc.assert(
      fc.property(storedInput, fc.string({ unit: 'binary' }), (input, newId) => {
        const stored = buildStoredRequest(input);
        const rewritten = rewriteStoredRequest(stored, { device_id: newId });
        const before = decodeParamList(stored);
        const after = decodeParamList(rewritten);
        expect(after.map(([k]) => k)).toEqual(before.map(([k]) => k));
        after.forEach(([k, v], i) => expect(v).toBe(k === 'device_id' ? toWellFormed(newId) : before[i]?.[1]));
        expect(parseStoredRequest(rewritten).deviceId).toBe(toWellFormed(newId));
      }),
    );
  });
});

describe('requestAgeHours', () => {
  it('measures from the stored timestamp in hours', () => {
    const stored = buildStoredRequest(base);
    expect(requestAgeHours(stored, INSTANT.timestamp)).toBe(0);
    expect(requestAgeHours(stored, INSTANT.timestamp + 36 * 3_600_000)).toBe(36);
    expect(requestAgeHours(stored, INSTANT.timestamp - 1_800_000)).toBe(-0.5);
  });

  it('reads a 10-digit timestamp as seconds, like the server', () => {
    expect(requestAgeHours('timestamp=1700000000', 1_700_000_000_000 + 7_200_000)).toBe(2);
  });

  it('is null without a timestamp', () => {
    expect(requestAgeHours('app_key=a', 0)).toBeNull();
  });
});

describe('buildHttpRequest', () => {
  it('sends a short request by GET to /i with rr appended', async () => {
    const stored = buildStoredRequest({ ...base, params: { begin_session: '1' } });
    const req = await buildHttpRequest({ ...send, stored, remaining: 3 });
    expect(req).toEqual({
      method: 'GET',
      url: `https://countly.example.com/i?${stored}&rr=3`,
      headers: {},
      timeoutMs: 30_000,
    });
  });

  it('POSTs an urlencoded body when forced, without a query', async () => {
    const stored = buildStoredRequest(base);
    const req = await buildHttpRequest({ ...send, stored, httpPostForced: true, customHeaders: { 'X-A': '1' } });
    expect(req).toEqual({
      method: 'POST',
      url: 'https://countly.example.com/i',
      headers: { 'X-A': '1', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${stored}&rr=0`,
      timeoutMs: 30_000,
    });
  });

  it('POSTs a crash request whatever its size', async () => {
    const stored = buildStoredRequest({ ...base, params: { crash: '{"_error":"x"}' } });
    expect((await buildHttpRequest({ ...send, stored })).method).toBe('POST');
  });

  it('switches to POST at 2000 characters of payload', async () => {
    const head = buildStoredRequest({ ...base, params: { pad: '' } });
    const sized = (n: number): string => head + 'x'.repeat(n - head.length - '&rr=0'.length);
    expect((await buildHttpRequest({ ...send, stored: sized(GET_MAX_LENGTH - 1) })).method).toBe('GET');
    expect((await buildHttpRequest({ ...send, stored: sized(GET_MAX_LENGTH) })).method).toBe('POST');
  });

  it('routes to the tagged endpoint and strips the tag', async () => {
    const stored = buildStoredRequest({ ...base, endpoint: '/o/sdk', params: { method: 'rc' } });
    const req = await buildHttpRequest({ ...send, baseUrl: 'https://h.example//', stored });
    expect(req.url.startsWith('https://h.example/o/sdk?')).toBe(true);
    expect(req.url).not.toContain(ENDPOINT_TAG);
    const relative = await buildHttpRequest({ ...send, stored: 'a=1&new_end_point=o%2Fsdk' });
    expect(relative.url).toBe('https://countly.example.com/o/sdk?a=1&rr=0');
    const empty = await buildHttpRequest({ ...send, stored: 'a=1&new_end_point=' });
    expect(empty.url).toBe('https://countly.example.com/i?a=1&rr=0');
  });

  it('drops a stale rr or checksum from the stored string', async () => {
    const req = await buildHttpRequest({ ...send, stored: 'a=1&rr=9&checksum256=dead&b=2', remaining: 1 });
    expect(req.url).toBe('https://countly.example.com/i?a=1&b=2&rr=1');
  });

  it('clamps rr to a non-negative integer', async () => {
    const rr = async (remaining: number): Promise<string | undefined> =>
      decodeParams(payloadOf(await buildHttpRequest({ ...send, stored: 'a=1', remaining }))).rr;
    expect(await rr(-1)).toBe('0');
    expect(await rr(2.7)).toBe('2');
    expect(await rr(Number.NaN)).toBe('0');
  });

  it('appends checksum256 last, over the exact payload, lowercase hex', async () => {
    const stored = buildStoredRequest({ ...base, params: { events: '[{"key":"a&b"}]' } });
    const req = await buildHttpRequest({ ...send, stored, remaining: 2, salt: 's3cr3t' });
    const payload = payloadOf(req);
    // The wire form encodes every component in full; the stored form escapes only `%&=+`.
    expect(stored).toContain('events=[{"key":"a%26b"}]');
    const wire = stored.replace('events=[{"key":"a%26b"}]', 'events=%5B%7B%22key%22%3A%22a%26b%22%7D%5D');
    const expectedHash = sha256(`${wire}&rr=2s3cr3t`);
    expect(payload).toBe(`${wire}&rr=2&checksum256=${expectedHash}`);
    expect(serverVerifies(payload, 's3cr3t')).toBe(true);
    expect(serverVerifies(payload, 'other')).toBe(false);
    expect(serverVerifies(payload.replace('rr=2', 'rr=3'), 's3cr3t')).toBe(false);
  });

  it('adds no checksum without a salt (or with an empty one)', async () => {
    const stored = buildStoredRequest(base);
    for (const salt of [undefined, '']) {
      expect(payloadOf(await buildHttpRequest({ ...send, stored, salt }))).not.toContain('checksum256');
    }
  });

  it('never lets a custom header replace Content-Type', async () => {
    const stored = buildStoredRequest(base);
    const headers = { 'content-type': 'text/plain', 'CONTENT-TYPE': 'x', Authorization: 'Bearer t' };
    const post = await buildHttpRequest({ ...send, stored, httpPostForced: true, customHeaders: headers });
    expect(post.headers).toEqual({ Authorization: 'Bearer t', 'Content-Type': 'application/x-www-form-urlencoded' });
    const get = await buildHttpRequest({ ...send, stored, customHeaders: headers });
    expect(get.headers).toEqual({ Authorization: 'Bearer t' });
  });

  it('for any request: the server reads back the params, rr, the checksum and the method rule', async () => {
    await fc.assert(
      fc.asyncProperty(
        storedInput,
        fc.nat({ max: 5000 }),
        fc.option(fc.string({ unit: 'binary', minLength: 1 }), { nil: undefined }),
        fc.boolean(),
        fc.dictionary(fc.constantFrom('X-Key', 'content-type', 'X-Other'), fc.string()),
        async (input, remaining, salt, httpPostForced, customHeaders) => {
          const stored = buildStoredRequest(input);
          const req = await buildHttpRequest({ ...send, stored, remaining, salt, httpPostForced, customHeaders });
          const payload = payloadOf(req);
          const list = decodeParamList(payload);
          const keys = list.map(([k]) => k);

          // params: everything stored but the endpoint tag, in order, then rr, then the checksum
          const storedList = decodeParamList(stored).filter(([k]) => k !== ENDPOINT_TAG);
          expect(list.slice(0, storedList.length)).toEqual(storedList);
          expect(list[storedList.length]).toEqual(['rr', String(remaining)]);
          if (salt === undefined) {
            expect(keys.length).toBe(storedList.length + 1);
          } else {
            expect(keys.length).toBe(storedList.length + 2);
            expect(keys.at(-1)).toBe('checksum256');
            expect(serverVerifies(payload, salt)).toBe(true);
          }
          expect(keys.filter((k) => k === 'rr')).toHaveLength(1);
          expect(keys).not.toContain(ENDPOINT_TAG);

          // method: GET only when not forced, no crash and under 2000 characters
          const get = !httpPostForced && !keys.includes('crash') && payload.length < GET_MAX_LENGTH;
          expect(req.method).toBe(get ? 'GET' : 'POST');
          const endpoint = input.endpoint === undefined || input.endpoint === '' ? '/i' : input.endpoint;
          if (req.method === 'GET') {
            expect(req.url).toBe(`https://countly.example.com${endpoint}?${payload}`);
            expect(req.body).toBeUndefined();
            expect(req.headers['Content-Type']).toBeUndefined();
          } else {
            expect(req.url).toBe(`https://countly.example.com${endpoint}`);
            expect(req.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
          }
          expect(req.headers['content-type']).toBeUndefined();
          if (customHeaders['X-Key'] !== undefined) expect(req.headers['X-Key']).toBe(customHeaders['X-Key']);
          expect(req.timeoutMs).toBe(30_000);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('encodeParams interplay', () => {
  it('a stored request is plain encodeParams output', () => {
    const stored = buildStoredRequest({ ...base, deviceIdType: undefined, params: { a: 'b' } });
    expect(stored).toBe(encodeParams(decodeParamList(stored)));
  });
});
