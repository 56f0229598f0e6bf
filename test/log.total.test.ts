/**
 * Log formatting and the logger are total: `param(x)` returns a short string for any JS
 * value and the logger never lets a console or listener failure escape. A log line is
 * written from public methods and machine actions, where a throw breaks the no-throw
 * rule or puts an actor into its error state for good.
 *
 * The defects this pins (found by outside fuzzing): `param` fell back to `String(value)`,
 * which threw for a null-prototype object holding a BigInt (JSON.stringify throws on the
 * BigInt, String() finds no toString) and overflowed the stack for an array nested
 * 100,000 deep (JSON.stringify recursed, then String() -> Array#join recursed) — with no
 * log listener at all, since machines format their messages regardless.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, MAX_PARAM_LENGTH, param } from '../src/log.js';

/** `[` + at most MAX_PARAM_LENGTH chars + `…` + `]`. */
const MAX_RENDERED = MAX_PARAM_LENGTH + 3;

const boom = (what: string) => (): never => {
  throw new Error(what);
};
/** A proxy handler whose every trap throws. */
const throwingTraps: ProxyHandler<object> = new Proxy({}, { get: () => boom('trap') });

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

/**
 * Values fuzzing found or that break a naive formatter. Built fresh per call: fast-check
 * probes every generated value for a clone method, which a throwing proxy fails, so the
 * properties below generate indexes into this list and build the values themselves.
 */
function hostileValues(): Array<[string, unknown]> {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [1];
  cyclicArray.push(cyclicArray);
  const sparse: unknown[] = [];
  sparse.length = 2 ** 32 - 1;
  const manyKeys = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
  const endlessToJSON = (): object => ({ toJSON: endlessToJSON, x: 1 });
  const endlessGetter = (): object => ({
    get next() {
      return endlessGetter();
    },
  });
  const iteratorless = [1, 2];
  Object.defineProperty(iteratorless, Symbol.iterator, { get: boom('iterator') });
  const badIndex: unknown[] = [];
  Object.defineProperty(badIndex, '0', { get: boom('index'), enumerable: true });
  const badLength = new Uint8Array(4);
  Object.defineProperty(badLength, 'length', { get: boom('length') });
  const badMessage = new Error('x');
  Object.defineProperty(badMessage, 'message', { get: boom('message') });
  const fakeMap = { [Symbol.toStringTag]: 'Map', size: 1 };
  return [
    ['a BigInt', 10n ** 40n],
    ['a Symbol', Symbol('s')],
    ['a null-prototype object holding a BigInt', Object.assign(Object.create(null) as object, { n: 1n })],
    ['an empty null-prototype object', Object.create(null)],
    ['a throwing toString', { toString: boom('toString') }],
    ['a throwing Symbol.toPrimitive', { [Symbol.toPrimitive]: boom('toPrimitive') }],
    ['a throwing toJSON', { toJSON: boom('toJSON') }],
    ['a throwing getter', { ok: 1, get bad() { return boom('getter')(); } }],
    ['a throwing toStringTag getter', { get [Symbol.toStringTag]() { return boom('tag')(); } }],
    ['a proxy throwing on every trap', new Proxy({}, throwingTraps)],
    ['an array proxy throwing on every trap', new Proxy([], throwingTraps)],
    ['a function proxy throwing on every trap', new Proxy(() => 1, throwingTraps)],
    ['a revoked proxy', revocable.proxy],
    ['a cyclic object', cyclic],
    ['a cyclic array', cyclicArray],
    ['an array nested 100,000 deep', nested(100_000, (v) => [v])],
    ['an object nested 100,000 deep', nested(100_000, (v) => ({ v }))],
    ['a huge string', 'x'.repeat(1_000_000)],
    ['a huge key', { ['k'.repeat(1_000_000)]: 1 }],
    ['a sparse array of length 2^32−1', sparse],
    ['an array with a throwing iterator', iteratorless],
    ['an array with a throwing index getter', badIndex],
    ['a large typed array', new Float64Array(1_000_000)],
    ['a typed array with a throwing length', badLength],
    ['a BigInt64Array', new BigInt64Array([1n, -1n])],
    ['a DataView', new DataView(new ArrayBuffer(8))],
    ['a Map with object keys', new Map<unknown, unknown>([[{ a: 1 }, new Set([1n, Symbol('x')])]])],
    ['a Set holding itself', (() => { const s = new Set<unknown>(); s.add(s); return s; })()],
    ['a fake Map', fakeMap],
    ['an invalid Date', new Date(Number.NaN)],
    ['an Error', new Error('boom')],
    ['an Error with a throwing message getter', badMessage],
    ['a boxed Symbol', Object(Symbol('boxed'))],
    ['a boxed BigInt', Object(5n)],
    ['a spoofed String tag', { [Symbol.toStringTag]: 'String' }],
    ['a toJSON returning endless toJSON objects', endlessToJSON()],
    ['a getter returning endless fresh objects', endlessGetter()],
    ['an object with 100,000 keys', manyKeys],
    ['a lone surrogate', '\ud800'],
    ['NaN', Number.NaN],
    ['-0', -0],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
  ];
}

const expectBounded = (text: unknown): void => {
  expect(typeof text).toBe('string');
  expect((text as string).length).toBeLessThanOrEqual(MAX_RENDERED);
  expect((text as string).startsWith('[')).toBe(true);
  expect((text as string).endsWith(']')).toBe(true);
};

/** fc.anything with every kind of value fast-check can build. */
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});

describe('param is total', () => {
  it.each(hostileValues())('renders %s as a bounded string', (_, value) => {
    expectBounded(param(value));
  });

  it('renders the values that threw before (regressions)', () => {
    expect(param(Object.assign(Object.create(null) as object, { n: 1n }))).toBe('[{"n":1}]');
    // Five levels shown, the sixth cut: `[` + `[[[[[` + `[…]` + `]]]]]` + `]`.
    expect(param(nested(100_000, (v) => [v]))).toBe('[[[[[[[…]]]]]]]');
  });

  it('renders hostile values as something readable', () => {
    expect(param(10n)).toBe('[10]');
    expect(param(Symbol('s'))).toBe('[Symbol(s)]');
    expect(param({ ok: 1, get bad() { return boom('getter')(); } })).toBe('[{"ok":1,"bad":<unreadable>}]');
    expect(param(new Proxy({}, throwingTraps))).toBe('[<unreadable>]');
    expect(param(new Error('boom'))).toBe('[Error: boom]');
    expect(param(new Date(Number.NaN))).toBe('[null]');
    expect(param(new Map([['a', 1]]))).toBe('[Map {"a"=>1}]');
    expect(param(new Uint8Array([1, 2]))).toBe('[[1,2]]');
    expect(param(Number.NaN)).toBe('[NaN]');
    expect(param('x'.repeat(5000))).toBe(`[${'x'.repeat(MAX_PARAM_LENGTH)}…]`);
  });

  it('cuts long output without splitting a surrogate pair', () => {
    const text = param(`${'x'.repeat(MAX_PARAM_LENGTH - 1)}😀😀`);
    expect(text).toBe(`[${'x'.repeat(MAX_PARAM_LENGTH - 1)}…]`);
  });

  it('property: any value from fc.anything renders bounded, without throwing', () => {
    fc.assert(fc.property(anything, (value) => expectBounded(param(value))), { numRuns: 2000 });
  });

  it('property: deep and wide nesting (fc.letrec) renders bounded', () => {
    const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
      tree: fc.oneof({ depthSize: 'large', withCrossShrink: true }, anything, tie('node')),
      node: fc.oneof(
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('tree'), { maxKeys: 4 }),
        tie('tree').map((v) => new Map([[v, v]])),
        tie('tree').map((v) => Object.assign(Object.create(null) as object, { v })),
      ),
    }));
    fc.assert(fc.property(tree, (value) => expectBounded(param(value))), { numRuns: 500 });
  });

  it('property: hostile values anywhere inside ordinary structures render bounded', () => {
    const hostile = hostileValues();
    type Recipe = { plain: unknown } | { hostile: number } | { array: Recipe[] } | { record: Array<[string, Recipe]> };
    const build = (r: Recipe): unknown => {
      if ('plain' in r) return r.plain;
      if ('hostile' in r) return hostile[r.hostile]?.[1];
      if ('array' in r) return r.array.map(build);
      return Object.fromEntries(r.record.map(([k, v]) => [k, build(v)]));
    };
    const recipe = fc.letrec<{ recipe: Recipe }>((tie) => ({
      recipe: fc.oneof(
        { depthSize: 'small' },
        fc.nat(hostile.length - 1).map((i) => ({ hostile: i })),
        anything.map((plain) => ({ plain })),
        fc.array(tie('recipe'), { maxLength: 3 }).map((array) => ({ array })),
        fc.array(fc.tuple(fc.string(), tie('recipe')), { maxLength: 3 }).map((record) => ({ record })),
      ),
    })).recipe;
    fc.assert(
      fc.property(recipe, (r) => {
        expectBounded(param(build(r)));
      }),
      { numRuns: 500 },
    );
  });

  it('property: JSON data within the bounds keeps the JSON.stringify format', () => {
    const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => typeof v !== 'string' && JSON.stringify(v).length <= MAX_PARAM_LENGTH);
    fc.assert(
      fc.property(json, (value) => {
        expect(param(value)).toBe(`[${JSON.stringify(value)}]`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the logger is total', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a throwing console method does not escape, and the listener still gets the line', () => {
    vi.spyOn(console, 'warn').mockImplementation(boom('console'));
    const seen: string[] = [];
    const log = createLogger({ console: true, listener: (m) => seen.push(m) });
    expect(() => log.warning('M', 'w')).not.toThrow();
    expect(seen).toEqual(['[Countly] [M] w']);
  });

  it('a console method replaced by a non-function does not escape', () => {
    const original = console.info;
    (console as unknown as Record<string, unknown>).info = 42;
    try {
      expect(() => createLogger({ console: true }).info('M', 'i')).not.toThrow();
    } finally {
      console.info = original;
    }
  });

  it('a listener throwing a non-Error, or recursing into the logger, does not escape', () => {
    const log = createLogger({
      console: false,
      listener: () => {
        throw Symbol('thrown');
      },
    });
    expect(() => log.error('M', 'e')).not.toThrow();
    const recursive = createLogger({ console: false, listener: () => recursive.info('M', 'again') });
    expect(() => recursive.info('M', 'once')).not.toThrow();
  });

  it('non-string module, message or level (untyped callers) are rendered, not thrown on', () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const seen: string[] = [];
    const log = createLogger({ console: true, listener: (m) => seen.push(m) });
    expect(() => log.log('nope' as never, Symbol('m') as never, Object.create(null) as never)).not.toThrow();
    expect(seen).toEqual(['[Countly] [Symbol(m)] {}']);
  });
});
