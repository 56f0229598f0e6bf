import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { TransportResult } from '../../src/adapters/types.js';
import { classifyResult } from '../../src/domain/response.js';

const response = (status: number, body: string): TransportResult => ({ kind: 'response', status, body, elapsedMs: 5 });

describe('classifyResult', () => {
  it('accepts a 2xx JSON object with a result field, whatever its value', () => {
    expect(classifyResult(response(200, '{"result":"Success"}'))).toEqual({ ok: true });
    expect(classifyResult(response(201, '{"result":null,"info":"x"}'))).toEqual({ ok: true });
    expect(classifyResult(response(299, ' {"result":"Request does not match checksum"} '))).toEqual({ ok: true });
  });

  it('rejects a non-2xx status, even with a result', () => {
    expect(classifyResult(response(400, '{"result":"App does not exist"}'))).toEqual({ ok: false, reason: 'HTTP status 400' });
    expect(classifyResult(response(199, '{"result":"x"}'))).toEqual({ ok: false, reason: 'HTTP status 199' });
    expect(classifyResult(response(300, '{"result":"x"}'))).toEqual({ ok: false, reason: 'HTTP status 300' });
  });

  it('tells apart non-JSON, non-object and missing result', () => {
    expect(classifyResult(response(200, '<html>'))).toEqual({ ok: false, reason: 'status 200, response is not JSON' });
    expect(classifyResult(response(200, ''))).toEqual({ ok: false, reason: 'status 200, response is not JSON' });
    for (const body of ['[{"result":1}]', 'null', '"result"', '42']) {
      expect(classifyResult(response(200, body))).toEqual({ ok: false, reason: 'status 200, response is not a JSON object' });
    }
    expect(classifyResult(response(200, '{"results":"Success"}'))).toEqual({
      ok: false,
      reason: 'status 200, response has no "result"',
    });
  });

  it('reports timeouts and network errors', () => {
    expect(classifyResult({ kind: 'timeout', elapsedMs: 30_000 })).toEqual({ ok: false, reason: 'timed out after 30000 ms' });
    expect(classifyResult({ kind: 'network-error', message: 'ECONNREFUSED', elapsedMs: 1 })).toEqual({
      ok: false,
      reason: 'network error [ECONNREFUSED]',
    });
  });

  it('is ok exactly when status is 2xx and the body is an object with own "result"', () => {
    const body = fc.oneof(
      fc.json(),
      fc.string(),
      fc.dictionary(fc.constantFrom('result', 'info', 'results'), fc.jsonValue()).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999 }), body, (status, text) => {
        let expected = false;
        try {
          const parsed: unknown = JSON.parse(text);
          expected =
            status >= 200 &&
            status < 300 &&
            typeof parsed === 'object' &&
            parsed !== null &&
            !Array.isArray(parsed) &&
            Object.hasOwn(parsed, 'result');
        } catch {
          expected = false;
        }
        expect(classifyResult(response(status, text)).ok).toBe(expected);
      }),
    );
  });
});
