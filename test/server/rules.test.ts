/** The server's pure rules: parsing, checksum verification and the duplicate hash. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksum256,
  duplicateHash,
  invalidIdParam,
  parseJsonBody,
  parseUrlEncoded,
  stringArrayParam,
  stringifyValues,
  validateJsonParams,
  verifyChecksum,
} from '../../src/server/rules.js';

const paramsArb = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !k.startsWith('checksum') && k !== '__proto__'),
  fc.string({ maxLength: 30 }),
  { maxKeys: 8 },
);
const saltArb = fc.string({ minLength: 1, maxLength: 20 });

describe('verifyChecksum', () => {
  it('passes what an SDK signs: checksum256 appended to the urlencoded payload', () => {
    fc.assert(
      fc.property(paramsArb, saltArb, fc.boolean(), (params, salt, upper) => {
        const payload = new URLSearchParams(params).toString();
        const hash = checksum256(payload, salt);
        const raw = `${payload}&checksum256=${upper ? hash.toUpperCase() : hash}`;
        expect(verifyChecksum(parseUrlEncoded(raw), [raw], salt)).toBe('ok');
      }),
    );
  });

  it('fails when the payload or the salt differs', () => {
    fc.assert(
      fc.property(paramsArb, saltArb, saltArb, (params, salt, other) => {
        fc.pre(salt !== other);
        const payload = new URLSearchParams(params).toString();
        const raw = `${payload}&checksum256=${checksum256(payload, other)}`;
        expect(verifyChecksum(parseUrlEncoded(raw), [raw], salt)).toBe('mismatch');
        const tampered = `${payload}&x=1&checksum256=${checksum256(payload, salt)}`;
        expect(verifyChecksum(parseUrlEncoded(tampered), [tampered], salt)).toBe('mismatch');
      }),
    );
  });

  it('passes when any candidate matches, and reports a missing checksum', () => {
    const body = `a=1&checksum=${createHash('sha1').update('a=1salt').digest('hex')}`;
    expect(verifyChecksum(parseUrlEncoded(body), ['', body], 'salt')).toBe('ok');
    expect(verifyChecksum({ a: '1' }, ['a=1'], 'salt')).toBe('missing');
  });
});

describe('parsing', () => {
  it('parseUrlEncoded inverts URLSearchParams encoding', () => {
    fc.assert(
      fc.property(paramsArb, (params) => {
        expect(parseUrlEncoded(new URLSearchParams(params).toString())).toEqual(params);
      }),
    );
  });

  it('decodes + as a space and keeps the last repeat', () => {
    expect(parseUrlEncoded('a=1+2&a=3&b=%7B%7D')).toEqual({ a: '3', b: '{}' });
  });

  it('stringifyValues keeps strings and JSON-encodes the rest', () => {
    expect(stringifyValues({ s: 's', n: 1, b: true, o: { x: [1] }, z: null, u: undefined })).toEqual({
      s: 's',
      n: '1',
      b: 'true',
      o: '{"x":[1]}',
      z: 'null',
    });
  });

  it('parseJsonBody answers null for anything but a JSON object', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: '1' });
    expect(parseJsonBody('[]')).toBeNull();
    expect(parseJsonBody('null')).toBeNull();
    expect(parseJsonBody('{')).toBeNull();
  });

  it('stringArrayParam answers only JSON arrays of strings', () => {
    expect(stringArrayParam('["a","b"]')).toEqual(['a', 'b']);
    expect(stringArrayParam('[1]')).toBeUndefined();
    expect(stringArrayParam('{')).toBeUndefined();
    expect(stringArrayParam(undefined)).toBeUndefined();
  });
});

describe('duplicateHash', () => {
  it('ignores rr, checksum, checksum256 and the order of params', () => {
    fc.assert(
      fc.property(paramsArb, fc.string(), fc.string(), (params, rr, sum) => {
        const reversed = Object.fromEntries(Object.entries(params).reverse());
        expect(duplicateHash({ ...reversed, rr, checksum256: sum, checksum: sum })).toBe(duplicateHash(params));
      }),
    );
  });

  it('changes with any other param, the timestamp included', () => {
    fc.assert(
      fc.property(paramsArb, fc.string({ minLength: 1 }), (params, ts) => {
        fc.pre(params.timestamp !== ts);
        expect(duplicateHash({ ...params, timestamp: ts })).not.toBe(duplicateHash(params));
      }),
    );
  });
});

describe('validation', () => {
  it('accepts requests without JSON params', () => {
    expect(validateJsonParams({ app_key: 'a', device_id: 'd', location: 'not json' })).toBeUndefined();
  });

  it('refuses any event list with an item lacking a string key', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }), fc.nat(5), (keys, at) => {
        const events: unknown[] = keys.map((key) => ({ key }));
        expect(validateJsonParams({ events: JSON.stringify(events) })).toBeUndefined();
        const index = Math.min(at, events.length);
        events.splice(index, 0, { count: 1 });
        expect(validateJsonParams({ events: JSON.stringify(events) })).toBe(`Event ${index} in "events" needs a non-empty string "key"`);
      }),
    );
  });

  it('invalidIdParam refuses app_id / user_id not 24 long, allows empty', () => {
    expect(invalidIdParam({ app_id: 'x' })).toBe('Invalid parameter "app_id"');
    expect(invalidIdParam({ user_id: 'y'.repeat(25) })).toBe('Invalid parameter "user_id"');
    expect(invalidIdParam({ app_id: '', user_id: 'z'.repeat(24) })).toBeUndefined();
  });
});
