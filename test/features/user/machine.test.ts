/**
 * User profiles (spec: User Profiles, 001 l. 3725–3944): unit tests of the pure transitions,
 * every shortest and simple path of the statechart, and fast-check properties that the
 * `user_details` sent equal a small model of the modifier semantics (accumulation, deletion,
 * conflicts, `clear`, `upcl`) and have the same effect on a server as the calls themselves.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { DEFAULT_LIMITS } from '../../../src/config.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { MODIFIERS, sanitizeModifier, sanitizeSet, type Modifier, type Scalar, type UserChange } from '../../../src/domain/user-profile.js';
import { userMachine, type UserCommand, type UserEvent, type UserInput } from '../../../src/features/user/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof userMachine>;
const at = instantAt(Date.UTC(2026, 0, 1));
const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): UserCommand[] =>
  emittedCommands<UserCommand>(actions);
const requests = (cmds: readonly UserCommand[]): Array<Record<string, unknown>> =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [JSON.parse(c.params.user_details!) as Record<string, unknown>] : []));

const input = (over: Partial<UserInput> = {}): UserInput => ({ consent: true, settings: {}, initial: [], initialWarnings: [], ...over });
const set = (key: string, value: unknown): UserChange => sanitizeSet(key, value, DEFAULT_LIMITS).value!;
const mod = (op: Modifier, key: string, value: unknown): UserChange => sanitizeModifier(op, key, value, DEFAULT_LIMITS).value!;
const change = (...changes: UserChange[]): UserEvent => ({ type: 'user.change', fn: 'test', changes, at });
const save: UserEvent = { type: 'user.save', at };
const clear: UserEvent = { type: 'user.clear' };
const consent = (users: boolean): UserEvent => ({ type: 'consent.changed', before: allConsent(!users), after: withConsent(allConsent(!users), ['users'], users) });
const settings = (s: BehaviorSettings): UserEvent => ({ type: 'settings.updated', settings: s });

function run(init: UserInput, ...events: UserEvent[]): { snap: Snap; cmds: UserCommand[] } {
  const [first, startActions] = initialTransition(userMachine, init);
  let snap = first;
  const cmds: UserCommand[] = emitted(startActions);
  for (const e of events) {
    const [next, actions] = transition(userMachine, snap, e);
    snap = next;
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

describe('user machine: transitions', () => {
  it('holds changes until save, then sends one user_details: predefined at the top, the rest under custom', () => {
    const held = run(input(), change(set('name', 'Jane'), set('byear', 1990), set('level', 5)));
    expect(requests(held.cmds)).toEqual([]);
    const { cmds, snap } = run(input(), change(set('name', 'Jane'), set('byear', 1990), set('level', 5)), save);
    expect(cmds.filter((c) => c.type === 'request.enqueue')).toEqual([
      { type: 'request.enqueue', params: { user_details: '{"name":"Jane","byear":1990,"custom":{"level":5}}' }, at },
    ]);
    expect(snap.context.pending.count).toBe(0);
    expect(requests(run(input(), change(set('name', 'Jane')), save, save).cmds)).toHaveLength(1);
  });

  it('"" deletes (JSON null), for predefined and custom keys', () => {
    expect(requests(run(input(), change(set('email', ''), set('level', '')), save).cmds)).toEqual([{ email: null, custom: { level: null } }]);
  });

  it('accumulates the same modifier per key; array modifiers send arrays', () => {
    const { cmds } = run(
      input(),
      change(mod('$inc', 'score', 1), mod('$inc', 'score', 10), mod('$mul', 'm', 2), mod('$mul', 'm', 3)),
      change(mod('$max', 'hi', 5), mod('$max', 'hi', 3), mod('$min', 'lo', 5), mod('$min', 'lo', 3), mod('$setOnce', 'first', 'a'), mod('$setOnce', 'first', 'b')),
      change(mod('$push', 'p', 'x'), mod('$push', 'p', 'x'), mod('$addToSet', 'u', 'x'), mod('$addToSet', 'u', 'x'), mod('$addToSet', 'u', 'y'), mod('$pull', 'r', 'z')),
      save,
    );
    expect(requests(cmds)).toEqual([
      {
        custom: {
          $inc: { score: 11 },
          $mul: { m: 6 },
          $max: { hi: 5 },
          $min: { lo: 3 },
          $setOnce: { first: 'a' },
          $push: { p: ['x', 'x'] },
          $addToSet: { u: ['x', 'y'] },
          $pull: { r: ['z'] },
        },
      },
    ]);
  });

  it('a plain set replaces what is pending for its key; a modifier after a set or another modifier saves first', () => {
    expect(requests(run(input(), change(mod('$inc', 'k', 1), set('k', 7)), save).cmds)).toEqual([{ custom: { k: 7 } }]);
    expect(requests(run(input(), change(set('a', 1), set('k', 7), mod('$inc', 'k', 1)), save).cmds)).toEqual([{ custom: { a: 1, k: 7 } }, { custom: { $inc: { k: 1 } } }]);
    expect(requests(run(input(), change(mod('$push', 'k', 'a'), mod('$pull', 'k', 'b')), save).cmds)).toEqual([{ custom: { $push: { k: ['a'] } } }, { custom: { $pull: { k: ['b'] } } }]);
  });

  it('saves before a session begins, updates, ends, before events are batched, on flush and before a device-ID change', () => {
    const pending = change(set('name', 'J'));
    for (const e of [
      { type: 'session.beginning', at },
      { type: 'session.updating', at },
      { type: 'session.ending', at },
      { type: 'events.batching', at },
      { type: 'flush.requested', at },
    ] as UserEvent[]) {
      expect(run(input(), pending, e).cmds.filter((c) => c.type === 'request.enqueue')).toEqual([{ type: 'request.enqueue', params: { user_details: '{"name":"J"}' }, at }]);
    }
    // No moment on identity.changing: the queue effect stamps it now, with the old ID.
    expect(run(input(), pending, { type: 'identity.changing', from: 'a', to: 'b' }).cmds).toEqual([{ type: 'request.enqueue', params: { user_details: '{"name":"J"}' } }]);
  });

  it('clear discards what is pending', () => {
    expect(requests(run(input(), change(set('name', 'J')), clear, save).cmds)).toEqual([]);
  });

  it('without "users" consent refuses changes with a warning; removing it drops what is pending', () => {
    const denied = run(input({ consent: false }), change(set('name', 'J')), save);
    expect(denied.snap.value).toBe('denied');
    expect(denied.cmds).toEqual([
      { type: 'log', level: 'warning', module: 'UserProfile', message: 'test, no "users" consent; call ignored' },
      { type: 'log', level: 'warning', module: 'UserProfile', message: 'save, no "users" consent; nothing sent' },
    ]);
    const dropped = run(input(), change(set('name', 'J')), consent(false), consent(true), save);
    expect(requests(dropped.cmds)).toEqual([]);
    expect(requests(run(input({ consent: false }), consent(true), change(set('name', 'J')), save).cmds)).toEqual([{ name: 'J' }]);
  });

  it('upcl forces a save when that many changes are pending (default 100)', () => {
    const many = Array.from({ length: 100 }, (_, i) => set(`k${i}`, i));
    expect(requests(run(input(), change(...many.slice(0, 99))).cmds)).toHaveLength(0);
    expect(requests(run(input(), change(...many)).cmds)).toHaveLength(1);
    expect(requests(run(input({ settings: { upcl: 2 } }), change(set('a', 1)), change(set('b', 2), set('c', 3))).cmds)).toEqual([{ custom: { a: 1, b: 2 } }]);
    // A lower limit from the server applies to what is pending.
    expect(requests(run(input(), change(set('a', 1), set('b', 2)), settings({ upcl: 2 })).cmds)).toEqual([{ custom: { a: 1, b: 2 } }]);
  });

  it('upb / upw drop keys before they are queued; the blacklist wins', () => {
    const calls = change(set('name', 'J'), set('a', 1), mod('$inc', 'b', 1));
    expect(requests(run(input({ settings: { upb: ['a', 'name'] } }), calls, save).cmds)).toEqual([{ custom: { $inc: { b: 1 } } }]);
    expect(requests(run(input({ settings: { upw: ['a'] } }), calls, save).cmds)).toEqual([{ custom: { a: 1 } }]);
    expect(requests(run(input({ settings: { upb: ['a'], upw: ['a'] } }), calls, save).cmds)).toEqual([{ name: 'J', custom: { $inc: { b: 1 } } }]);
    expect(requests(run(input(), settings({ upw: ['b'] }), calls, save).cmds)).toEqual([{ custom: { $inc: { b: 1 } } }]);
  });

  it('applies and sends the config userProperties at start, logging their warnings', () => {
    const { cmds, snap } = run(input({ initial: [set('name', 'J'), set('x', 1)], initialWarnings: ['value of [y] is null, ignored'] }));
    expect(snap.value).toBe('allowed');
    expect(cmds).toEqual([
      { type: 'log', level: 'warning', module: 'UserProfile', message: 'userProperties, value of [y] is null, ignored' },
      { type: 'request.enqueue', params: { user_details: '{"name":"J","custom":{"x":1}}' } },
    ]);
    expect(run(input({ consent: false, initial: [set('name', 'J')] })).cmds.map((c) => c.type)).toEqual(['log']);
  });
});

describe('user machine: paths', () => {
  const events: UserEvent[] = [change(set('name', 'J')), change(mod('$inc', 'k', 1)), save, clear, consent(false), consent(true), { type: 'session.beginning', at }, settings({ upcl: 1 })];

  it('every shortest and simple path keeps the rules: requests only with consent, nothing pending without it, save empties', () => {
    let paths = 0;
    for (const consented of [true, false]) {
      const init = input({ consent: consented });
      // The pending changes grow without bound: a state is its value, whether anything is pending, and the limit.
      const serializeState = (s: Snap): string => JSON.stringify([s.value, s.context.pending.count > 0, s.context.cacheLimit]);
      const options = { events, input: init, serializeState };
      for (const path of [...getShortestPaths(userMachine, options), ...getSimplePaths(userMachine, options)]) {
        paths++;
        let [snap] = initialTransition(userMachine, init);
        for (const step of path.steps) {
          const before = snap;
          const [next, actions] = transition(userMachine, snap, step.event as UserEvent);
          const cmds = emitted(actions);
          if (cmds.some((c) => c.type === 'request.enqueue')) expect(before.context.consent).toBe(true);
          if (next.value === 'denied') expect(next.context.pending.count).toBe(0);
          if (step.event.type === 'user.save' || step.event.type === 'session.beginning') expect(next.context.pending.count).toBe(0);
          expect(next.context.consent).toBe(next.value === 'allowed');
          snap = next;
        }
      }
    }
    expect(paths).toBeGreaterThan(10);
  });
});

// ---- properties -------------------------------------------------------------------------

type Op =
  | { t: 'set'; key: string; value: Scalar | '' }
  | { t: 'mod'; op: Modifier; key: string; value: Scalar }
  | { t: 'save' }
  | { t: 'clear' };

const NUM_KEYS = ['n1', 'n2'];
const ARR_KEYS = ['a1', 'a2'];
const ITEMS = ['x', 'y', 'z'];

/** Calls whose server effect is well defined: numeric keys get numbers, array keys get array operations. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('set' as const), key: fc.constantFrom(...NUM_KEYS), value: fc.oneof(fc.integer({ min: -9, max: 9 }), fc.constant('' as const)) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), key: fc.constantFrom('name', 'byear'), value: fc.oneof(fc.constantFrom('J', 'K'), fc.constant('' as const)) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), key: fc.constantFrom(...ARR_KEYS), value: fc.constant('' as const) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('mod' as const), op: fc.constantFrom<Modifier>('$inc', '$mul', '$max', '$min', '$setOnce'), key: fc.constantFrom(...NUM_KEYS), value: fc.integer({ min: -5, max: 5 }) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('mod' as const), op: fc.constantFrom<Modifier>('$push', '$addToSet', '$pull'), key: fc.constantFrom(...ARR_KEYS), value: fc.constantFrom(...ITEMS) }) },
  { weight: 2, arbitrary: fc.constant({ t: 'save' as const }) },
);

const toEvent = (op: Op): UserEvent => {
  if (op.t === 'save') return save;
  if (op.t === 'clear') return clear;
  // byear only takes integers: its "J"/"K" become years.
  const value = op.t === 'set' && op.key === 'byear' && op.value !== '' ? (op.value === 'J' ? 1990 : 2000) : op.value;
  return change(op.t === 'set' ? set(op.key, value) : mod(op.op, op.key, op.value));
};
const sent = (ops: readonly Op[], upcl: number): Array<Record<string, unknown>> => requests(run(input({ settings: { upcl } }), ...ops.map(toEvent)).cmds);

/** The model: batches of per-key operation lists, rendered the way the spec describes (001 l. 3921–3944). */
function model(ops: readonly Op[], upcl: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  let top = new Map<string, Scalar | null>();
  let custom = new Map<string, { kind: 'set'; value: Scalar | null } | { kind: Modifier; values: Scalar[] }>();
  let count = 0;
  const render = (): Record<string, unknown> => {
    const body: Record<string, unknown> = Object.fromEntries(top);
    const c: Record<string, unknown> = {};
    for (const [k, e] of custom) if (e.kind === 'set') c[k] = e.value;
    for (const m of MODIFIERS) {
      const entries = [...custom].filter(([, e]) => e.kind === m) as Array<[string, { kind: Modifier; values: Scalar[] }]>;
      if (entries.length === 0) continue;
      c[m] = Object.fromEntries(
        entries.map(([k, { values }]) => {
          const nums = values as number[];
          switch (m) {
            case '$inc': return [k, nums.reduce((a, b) => a + b, 0)];
            // `+ 0`: JSON has no -0 (0 × -5 goes on the wire as 0).
            case '$mul': return [k, nums.reduce((a, b) => a * b, 1) + 0];
            case '$max': return [k, Math.max(...nums)];
            case '$min': return [k, Math.min(...nums)];
            case '$setOnce': return [k, values[0]];
            case '$push': return [k, values];
            default: return [k, [...new Set(values)]];
          }
        }),
      );
    }
    if (Object.keys(c).length > 0) body.custom = c;
    return body;
  };
  const flush = (): void => {
    if (top.size + custom.size > 0) out.push(render());
    top = new Map();
    custom = new Map();
    count = 0;
  };
  for (const op of ops) {
    if (op.t === 'save') flush();
    else if (op.t === 'clear') [top, custom, count] = [new Map(), new Map(), 0];
    else {
      if (op.t === 'set' && (op.key === 'name' || op.key === 'byear')) top.set(op.key, op.value === '' ? null : op.key === 'byear' ? (op.value === 'J' ? 1990 : 2000) : op.value);
      else if (op.t === 'set') custom.set(op.key, { kind: 'set', value: op.value === '' ? null : op.value });
      else {
        const e = custom.get(op.key);
        if (e && e.kind === op.op) e.values.push(op.value);
        else {
          if (e) flush();
          custom.set(op.key, { kind: op.op, values: [op.value] });
        }
      }
      count++;
      if (count >= upcl) flush();
    }
  }
  return out;
}

/** A server applying `user_details` the way Countly's MongoDB update does (000 l. 103–136, 003 l. 96–137). */
type ServerUser = Map<string, Scalar | Scalar[]>;
function applyOne(state: ServerUser, op: 'set' | Modifier, key: string, value: Scalar | null): void {
  const cur = state.get(key);
  const arr = (): Scalar[] => (Array.isArray(cur) ? [...cur] : []);
  switch (op) {
    case 'set': if (value === null) state.delete(key); else state.set(key, value); break;
    case '$inc': state.set(key, ((cur as number | undefined) ?? 0) + (value as number)); break;
    case '$mul': state.set(key, ((cur as number | undefined) ?? 0) * (value as number) + 0); break; // JSON has no -0
    case '$max': state.set(key, cur === undefined ? (value as number) : Math.max(cur as number, value as number)); break;
    case '$min': state.set(key, cur === undefined ? (value as number) : Math.min(cur as number, value as number)); break;
    case '$setOnce': if (cur === undefined) state.set(key, value as Scalar); break;
    case '$push': state.set(key, [...arr(), value as Scalar]); break;
    case '$addToSet': state.set(key, arr().includes(value as Scalar) ? arr() : [...arr(), value as Scalar]); break;
    case '$pull': if (Array.isArray(cur)) state.set(key, cur.filter((v) => v !== value)); break;
  }
}
function applyDetails(state: ServerUser, details: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(details)) if (k !== 'custom') applyOne(state, 'set', `top.${k}`, v as Scalar | null);
  const custom = (details.custom ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(custom)) {
    if (!k.startsWith('$')) applyOne(state, 'set', k, v as Scalar | null);
    else for (const [key, value] of Object.entries(v as Record<string, Scalar | Scalar[]>)) for (const item of Array.isArray(value) ? value : [value]) applyOne(state, k as Modifier, key, item);
  }
}

describe('user machine: properties', () => {
  it('property: the user_details sent equal the model (accumulation, deletion, conflicts, clear, upcl)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 12, arbitrary: opArb }, { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) }), { maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (ops, upcl) => {
        expect(sent([...ops, { t: 'save' }], upcl)).toEqual(model([...ops, { t: 'save' }], upcl));
      }),
      { numRuns: 500 },
    );
  });

  it('property: a server applying the requests ends where it would applying every call in order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 1, max: 100 }), (ops, upcl) => {
        const direct: ServerUser = new Map();
        for (const op of ops) {
          if (op.t !== 'set' && op.t !== 'mod') continue;
          const key = op.key === 'name' || op.key === 'byear' ? `top.${op.key}` : op.key;
          const value = op.t === 'set' && op.key === 'byear' && op.value !== '' ? (op.value === 'J' ? 1990 : 2000) : op.value;
          applyOne(direct, op.t === 'set' ? 'set' : op.op, key, value === '' ? null : value);
        }
        const viaSdk: ServerUser = new Map();
        for (const details of sent([...ops, { t: 'save' }], upcl)) applyDetails(viaSdk, details);
        expect(Object.fromEntries(viaSdk)).toEqual(Object.fromEntries(direct));
      }),
      { numRuns: 500 },
    );
  });

  it('property: no filtered key is ever sent, and nothing is sent without consent', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), fc.subarray([...NUM_KEYS, ...ARR_KEYS, 'name']), fc.boolean(), (ops, blocked, consented) => {
        const { cmds } = run(input({ consent: consented, settings: { upb: blocked } }), ...ops.map(toEvent), save);
        const bodies = requests(cmds);
        if (!consented) expect(bodies).toEqual([]);
        for (const b of bodies) {
          const keys = [...Object.keys(b), ...Object.entries((b.custom ?? {}) as Record<string, unknown>).flatMap(([k, v]) => (k.startsWith('$') ? Object.keys(v as object) : [k]))];
          for (const k of blocked) expect(keys).not.toContain(k);
        }
      }),
    );
  });
});
