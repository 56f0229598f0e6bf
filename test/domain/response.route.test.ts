/**
 * The success rule per endpoint and method (`answerShape`, domain/response.ts): a queued
 * `/o/sdk` download is answered with the data itself (no `result`), and must still leave the
 * queue on a valid answer; `/i` keeps the spec's rule (a JSON object holding `result`).
 * Tested at the rule and over HTTP (requests persisted by an earlier run, sent by a new one).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TransportResult } from '../../src/adapters/types.js';
import { answerShape, judge, type AnswerShape, type RequestRoute } from '../../src/domain/response.js';
import { buildStoredRequest, storedRoute } from '../../src/protocol/request.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { instantAt } from '../../src/protocol/time.js';
import { useLocalServer } from '../helpers/sdk.js';

const ok = (body: string): TransportResult => ({ kind: 'response', status: 200, body, elapsedMs: 1 });

describe('answerShape: one success rule per endpoint and method', () => {
  const table: Array<[RequestRoute | undefined, AnswerShape]> = [
    [undefined, 'result'],
    [{ endpoint: '/i' }, 'result'],
    [{ endpoint: '/i/bulk' }, 'result'],
    [{ endpoint: '/o/sdk', method: 'rc' }, 'object'],
    [{ endpoint: '/o/sdk', method: 'ab_fetch_variants' }, 'object'],
    [{ endpoint: '/o/sdk', method: 'ab_fetch_experiments' }, 'json'],
    [{ endpoint: '/o/sdk', method: 'sc' }, 'object'],
    [{ endpoint: '/o/sdk', method: 'feedback' }, 'result'],
    [{ endpoint: '/o/sdk', method: 'ab' }, 'result'],
    [{ endpoint: '/o/sdk', method: 'something_new' }, 'json'],
    [{ endpoint: '/o/sdk' }, 'json'],
    [{ endpoint: '/o/sdk/content', method: 'queue' }, 'object'],
    [{ endpoint: '/o/surveys/nps/widget' }, 'object'],
    [{ endpoint: '/custom' }, 'result'],
  ];
  it.each(table)('%j answers with %s', (route, shape) => {
    expect(answerShape(route)).toBe(shape);
  });

  it('rc: the values object is delivered; an array, a non-JSON or a non-2xx answer is not', () => {
    const rc = { endpoint: '/o/sdk', method: 'rc' };
    expect(judge(ok('{"color":"red","n":3}'), rc)).toEqual({ kind: 'delivered' });
    expect(judge(ok('{}'), rc)).toEqual({ kind: 'delivered' });
    expect(judge(ok('[1]'), rc).kind).toBe('retry');
    expect(judge(ok('<html>'), rc).kind).toBe('retry');
    expect(judge({ kind: 'response', status: 503, body: '{}', elapsedMs: 1 }, rc).kind).toBe('retry');
  });

  it('ab_fetch_experiments: an array is the answer', () => {
    expect(judge(ok('[{"id":"e1"}]'), { endpoint: '/o/sdk', method: 'ab_fetch_experiments' })).toEqual({ kind: 'delivered' });
  });

  it('feedback and ab acknowledge with result', () => {
    expect(judge(ok('{"result":[]}'), { endpoint: '/o/sdk', method: 'feedback' })).toEqual({ kind: 'delivered' });
    expect(judge(ok('{"widgets":[]}'), { endpoint: '/o/sdk', method: 'feedback' }).kind).toBe('retry');
    expect(judge(ok('{"result":"Successfully enrolled in ab tests"}'), { endpoint: '/o/sdk', method: 'ab' })).toEqual({ kind: 'delivered' });
  });

  it('a checksum refusal stays a refusal on every route', () => {
    for (const route of [undefined, { endpoint: '/o/sdk', method: 'rc' }, { endpoint: '/o/sdk/content' }]) {
      expect(judge(ok('{"result":"Request does not match checksum"}'), route)).toMatchObject({ kind: 'rejected', cause: 'checksum' });
    }
  });

  it('property: a route never makes a non-2xx answer delivered, and /i is the default rule', () => {
    const route = fc.option(fc.record({ endpoint: fc.constantFrom('/i', '/o/sdk', '/o/sdk/content', '/x'), method: fc.option(fc.constantFrom('rc', 'ab', 'sc', 'feedback', 'ab_fetch_experiments'), { nil: undefined }) }), { nil: undefined });
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.json(), fc.string()), route, (status, body, r) => {
        const verdict = judge({ kind: 'response', status, body, elapsedMs: 1 }, r);
        if (status < 200 || status >= 300) expect(verdict.kind).not.toBe('delivered');
        if (r === undefined || r.endpoint === '/i') expect(verdict).toEqual(judge({ kind: 'response', status, body, elapsedMs: 1 }));
      }),
    );
  });
});

describe('storedRoute: the endpoint and method of a stored request', () => {
  const stored = (params: Record<string, string>, endpoint?: string): string =>
    buildStoredRequest({ appKey: 'k', deviceId: 'd', instant: instantAt(1_700_000_000_000), sdkName: 's', sdkVersion: '1', appVersion: '1', params, ...(endpoint ? { endpoint } : {}) });

  it('reads /i without decoding, and the tag and method of another endpoint', () => {
    expect(storedRoute(stored({ events: '[]', method: 'rc' }))).toEqual({ endpoint: '/i' });
    expect(storedRoute(stored({ method: 'rc', keys: '["a"]' }, '/o/sdk'))).toEqual({ endpoint: '/o/sdk', method: 'rc' });
    expect(storedRoute(stored({ method: 'queue' }, '/o/sdk/content'))).toEqual({ endpoint: '/o/sdk/content', method: 'queue' });
    expect(storedRoute(stored({ x: 'new_end_point=/o/sdk' }))).toEqual({ endpoint: '/i' });
  });
});

describe('queued /o/sdk requests over HTTP', () => {
  const local = useLocalServer();

  it('leave the queue on the data answer (no result), in order with /i requests', async () => {
    const storage = memoryStorage();
    const at = instantAt(Date.now());
    const build = (params: Record<string, string>, endpoint?: string): string =>
      buildStoredRequest({ appKey: 'test-app-key', deviceId: 'dev-1', deviceIdType: 'DEVELOPER_SUPPLIED', instant: at, sdkName: 's', sdkVersion: '1', appVersion: '1', params, ...(endpoint ? { endpoint } : {}) });
    const handle = await storage.open('test-app-key');
    await handle.write([
      { op: 'append', queue: 'requests', seq: 1, data: build({ method: 'rc' }, '/o/sdk') },
      { op: 'append', queue: 'requests', seq: 2, data: build({ method: 'ab_fetch_experiments' }, '/o/sdk') },
      { op: 'append', queue: 'requests', seq: 3, data: build({ begin_session: '1' }) },
    ]);
    await handle.close();
    local.server.configure({ remoteConfig: { color: 'red' }, abExperiments: [{ id: 'e1' }] });
    const s = await local.sdk({ storage, deviceId: 'dev-1' });
    await s.countly.queue.flush();
    expect(s.countly.getState().queue.requests).toBe(0);
    const paths = local.server.received.map((r) => `${r.path}:${r.params.method ?? r.params.begin_session ?? ''}`);
    expect(paths).toEqual(['/o/sdk:rc', '/o/sdk:ab_fetch_experiments', '/i:1']);
    expect(local.server.received[0]!.response).toEqual({ color: 'red' });
    expect(s.countly.getState().deadLetters).toBe(0);
  });
});
