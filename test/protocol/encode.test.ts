import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeComponent,
  decodeParamList,
  decodeParams,
  encodeComponent,
  encodeParams,
  toWellFormed,
} from '../../src/protocol/encode.js';

/** Full unicode plus the characters that matter to a query string. */
const tricky = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.constantFrom('&', '=', '?', '%', '+', ' ', '#', '/', 'a', '%2', '%41', 'é', '😀') }),
  fc.json(),
);

describe('encodeParams', () => {
  it('encodes every key and value with encodeURIComponent, in insertion order', () => {
    expect(encodeParams({ b: '1', a: 'x&y=z', 'k ey': '{"a":"?%+"}' })).toBe(
      'b=1&a=x%26y%3Dz&k%20ey=%7B%22a%22%3A%22%3F%25%2B%22%7D',
    );
  });

  it("also escapes !'()* so a URL parser leaves the query as hashed", () => {
    expect(encodeParams({ "it's": "(a)*!" })).toBe('it%27s=%28a%29%2A%21');
    const query = encodeParams({ k: "'!()*~" });
    expect(new URL(`https://h.example/i?${query}`).search).toBe(`?${query}`);
  });

  it('accepts a list of pairs, duplicates and all', () => {
    expect(encodeParams([['a', '1'], ['a', '2'], ['0', '']])).toBe('a=1&a=2&0=');
  });

  it('gives an empty string for no params', () => {
    expect(encodeParams({})).toBe('');
    expect(encodeParams([])).toBe('');
  });

  it('never throws on a lone surrogate: it becomes U+FFFD', () => {
    expect(encodeParams({ k: 'a\uD800b' })).toBe(`k=a${encodeURIComponent('\uFFFD')}b`);
    expect(encodeComponent('\uDC00')).toBe(encodeURIComponent('\uFFFD'));
    expect(toWellFormed('x\uD83D\uDE00\uDE00')).toBe('x\uD83D\uDE00\uFFFD');
  });

  it('output contains only unreserved characters, % escapes, & and =', () => {
    fc.assert(
      fc.property(fc.dictionary(tricky, tricky), (p) => {
        expect(encodeParams(p)).toMatch(/^[A-Za-z0-9\-_.~%&=]*$/);
      }),
    );
  });
});

describe('decodeParams', () => {
  it('is the inverse of encodeParams, key order included', () => {
    fc.assert(
      fc.property(fc.dictionary(tricky, tricky, { maxKeys: 20 }), (p) => {
        const back = decodeParams(encodeParams(p));
        expect(back).toEqual({ ...p });
        expect(Object.keys(back)).toEqual(Object.keys(p));
      }),
    );
  });

  it('keeps a key named __proto__ as an own property', () => {
    const back = decodeParams('__proto__=x&a=1');
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it('tolerates a leading ?, empty segments and segments without =', () => {
    expect(decodeParams('?a=1&&b&c=x=y')).toEqual({ a: '1', b: '', c: 'x=y' });
    expect(decodeParams('')).toEqual({});
    expect(decodeParams('?')).toEqual({});
  });

  it('does not turn + into a space', () => {
    expect(decodeParams('a=1+2')).toEqual({ a: '1+2' });
  });

  it('lets a later duplicate win; decodeParamList keeps them all', () => {
    expect(decodeParams('a=1&a=2')).toEqual({ a: '2' });
    expect(decodeParamList('a=1&a=2')).toEqual([
      ['a', '1'],
      ['a', '2'],
    ]);
  });

  it('keeps malformed escapes as raw text and still decodes the valid ones', () => {
    expect(decodeParams('a=100%&b=%ZZ&c=%41%FF&d=%41%20%FF%42')).toEqual({
      a: '100%',
      b: '%ZZ',
      c: '%41%FF',
      d: '%41%20%FF%42',
    });
    expect(decodeComponent('50%25%2')).toBe('50%25%2'.replace('%25', '%'));
    expect(decodeComponent('%E2%82%AC %E2%82')).toBe('€ %E2%82');
  });

  it('never throws on any input', () => {
    fc.assert(
      fc.property(tricky, (q) => {
        expect(() => decodeParams(q)).not.toThrow();
      }),
    );
  });

  it('round-trips lists of pairs, duplicates and order kept', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(tricky, tricky)), (list) => {
        expect(decodeParamList(encodeParams(list))).toEqual(list.map(([k, v]) => [toWellFormed(k), toWellFormed(v)]));
      }),
    );
  });
});
