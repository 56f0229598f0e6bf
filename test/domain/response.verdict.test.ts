/**
 * `judge` (domain/response.ts): which answers can never heal, and the dead-letter policy
 * (domain/dead-letters.ts) as pure data and functions: beyond the spec's "retry until it is
 * completed" (SDK guide l. 327), one request the server refuses every time must not block
 * the queue forever.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TransportResult } from '../../src/adapters/types.js';
import { classifyResult, judge } from '../../src/domain/response.js';
import { afterRejection, DEAD_LETTER_POLICY, DEAD_LETTER_QUEUE, DeadLetterStore } from '../../src/domain/dead-letters.js';

const response = (status: number, body = '{"result":"Error"}'): TransportResult => ({ kind: 'response', status, body, elapsedMs: 5 });

describe('judge: one verdict per answer', () => {
  it('delivered: the spec success rule holds', () => {
    expect(judge(response(200, '{"result":"Success"}'))).toEqual({ kind: 'delivered' });
    expect(judge(response(201, '{"result":null}'))).toEqual({ kind: 'delivered' });
    expect(judge(response(200, '{"result":"Success","info":"Request ignored: Duplicate request"}'))).toEqual({ kind: 'delivered' });
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 414, 422, 431, 499])('rejected (client-error): %i cannot heal', (status) => {
    expect(judge(response(status, '{"result":"App does not exist"}'))).toEqual({
      kind: 'rejected',
      cause: 'client-error',
      reason: `HTTP status ${status}, "App does not exist"`,
    });
  });

  it.each([408, 429])('retry: %i heals by waiting', (status) => {
    expect(judge(response(status))).toEqual({ kind: 'retry', reason: `HTTP status ${status}` });
  });

  it.each([500, 502, 503, 504, 301, 302, 199])('retry: %i keeps the spec rule', (status) => {
    expect(judge(response(status))).toEqual({ kind: 'retry', reason: `HTTP status ${status}` });
  });

  it('rejected (checksum): the server dropped the data, though it answered 200 with a result', () => {
    expect(judge(response(200, '{"result":"Request does not match checksum"}'))).toEqual({
      kind: 'rejected',
      cause: 'checksum',
      reason: 'status 200, Request does not match checksum',
    });
    expect(judge(response(200, '{"result":"Request does not have checksum"}'))).toMatchObject({ kind: 'rejected', cause: 'checksum' });
  });

  it('retry: a 2xx that breaks the success rule, a timeout, a network error', () => {
    expect(judge(response(200, '<html>'))).toEqual({ kind: 'retry', reason: 'status 200, response is not JSON' });
    expect(judge(response(200, '{"ok":1}'))).toEqual({ kind: 'retry', reason: 'status 200, response has no "result"' });
    expect(judge({ kind: 'timeout', elapsedMs: 30_000 })).toEqual({ kind: 'retry', reason: 'timed out after 30000 ms' });
    expect(judge({ kind: 'network-error', message: 'ECONNREFUSED', elapsedMs: 1 })).toEqual({ kind: 'retry', reason: 'network error [ECONNREFUSED]' });
  });

  it('property: delivered exactly when the spec rule holds and it is no checksum answer; 5xx never rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.constant('{"result":"Success"}'), fc.constant('{"result":"Request does not match checksum"}'), fc.string()), (status, body) => {
        const v = judge(response(status, body));
        const spec = classifyResult(response(status, body)).ok;
        if (v.kind === 'delivered') expect(spec).toBe(true);
        if (status >= 500) expect(v.kind).toBe('retry');
        if (spec && !body.includes('checksum')) expect(v.kind).toBe('delivered');
      }),
    );
  });
});

describe('afterRejection: the policy as data', () => {
  it('client errors: 3 attempts, the delay doubling from the cool-down, then moved aside', () => {
    expect(DEAD_LETTER_POLICY.attempts['client-error']).toBe(3);
    expect(afterRejection('client-error', 1, 60_000)).toEqual({ action: 'retry', delayMs: 60_000 });
    expect(afterRejection('client-error', 2, 60_000)).toEqual({ action: 'retry', delayMs: 120_000 });
    expect(afterRejection('client-error', 3, 60_000)).toEqual({ action: 'deadLetter' });
  });

  it('a checksum answer is moved aside at once', () => {
    expect(afterRejection('checksum', 1, 60_000)).toEqual({ action: 'deadLetter' });
  });

  it('another policy is just other data', () => {
    const policy = { attempts: { 'client-error': 5, checksum: 2 }, growth: 3, capacity: 10 };
    expect(afterRejection('client-error', 3, 1000, policy)).toEqual({ action: 'retry', delayMs: 9000 });
    expect(afterRejection('client-error', 5, 1000, policy)).toEqual({ action: 'deadLetter' });
    expect(afterRejection('checksum', 1, 1000, policy)).toEqual({ action: 'retry', delayMs: 1000 });
  });
});

describe('DeadLetterStore', () => {
  it('appends to its own persisted queue, capped, dropping the oldest', () => {
    const store = new DeadLetterStore([{ seq: 7, data: '{}' }], 3);
    expect(store.size).toBe(1);
    const first = store.add({ request: 'a', reason: 'r', at: 1 });
    expect(first).toEqual([{ op: 'append', queue: DEAD_LETTER_QUEUE, seq: 8, data: '{"request":"a","reason":"r","at":1}', json: true }]);
    store.add({ request: 'b', reason: 'r', at: 2 });
    const over = store.add({ request: 'c', reason: 'r', at: 3 });
    expect(over[1]).toEqual({ op: 'remove', queue: DEAD_LETTER_QUEUE, seqs: [7] });
    expect(store.size).toBe(3);
    expect(DEAD_LETTER_POLICY.capacity).toBe(100);
  });
});
