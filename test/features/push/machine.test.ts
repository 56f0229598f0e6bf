/**
 * Push (spec 001: Push Notifications l. 2291-2510; 000 l. 195-212): unit tests of the pure
 * transitions, every shortest and simple path of the statechart with its rules checked after
 * each step, fast-check properties of the timing (debounce and the wait after a session
 * begins) on a simulated clock, and the pure rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, SimulatedClock, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { pushMachine, type PushCommand, type PushEvent, type PushInput } from '../../../src/features/push/machine.js';
import {
  AFTER_SESSION_MS,
  DEBOUNCE_MS,
  decodeStoredToken,
  dueOf,
  providerOf,
  remember,
  tokenParams,
  type PushProvider,
} from '../../../src/features/push/rules.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof pushMachine>;
type Action = { type: string; params?: unknown };
const emitted = (actions: ReadonlyArray<Action>): PushCommand[] =>
  emittedCommands<PushCommand>(actions);
/** The timer the step armed, if any: its event and delay. */
const armed = (actions: ReadonlyArray<Action>): { event: PushEvent; delay: number } | undefined => {
  const raise = actions.find((a) => a.type === 'xstate.raise' && typeof (a.params as { delay?: unknown }).delay === 'number');
  return raise ? (raise.params as { event: PushEvent; delay: number }) : undefined;
};
const at = (ms: number) => ({ timestamp: ms, hour: 0, dow: 4, tz: 0 });
const TIMER: PushEvent = { type: 'xstate.after.untilDue.push.waiting' } as unknown as PushEvent;

const input = (over: Partial<PushInput> = {}): PushInput => ({
  consent: true,
  testMode: 0,
  provider: null,
  sendTokenAlways: false,
  locale: 'en-US',
  stored: null,
  now: 0,
  ...over,
});
const ev = {
  set: (token: string, ms: number, provider: PushProvider | null = null): PushEvent => ({ type: 'push.setToken', token, provider, at: at(ms) }),
  clear: (ms: number): PushEvent => ({ type: 'push.clearToken', at: at(ms) }),
  action: (ms: number, button = 1): PushEvent => ({ type: 'push.recordAction', notificationId: 'n1', button, at: at(ms), id: `e${ms}` }),
  began: (ms: number): PushEvent => ({ type: 'session.began', at: at(ms) }),
  consent: (given: boolean, ms?: number): PushEvent => ({
    type: 'consent.changed',
    before: allConsent(!given),
    after: withConsent(allConsent(!given), ['push'], given),
    ...(ms !== undefined ? { at: at(ms) } : {}),
  }),
  identity: (ms: number, merged = false, previousId: string | null = 'old'): PushEvent => ({
    type: 'identity.changed',
    deviceId: 'new',
    deviceIdType: 'DEVELOPER_SUPPLIED',
    merged,
    previousId,
    at: at(ms),
  }),
};

function run(i: PushInput, ...events: PushEvent[]): { snap: Snap; cmds: PushCommand[]; timer: ReturnType<typeof armed> } {
  let [snap, actions] = initialTransition(pushMachine, i);
  const cmds: PushCommand[] = [...emitted(actions)];
  let timer = armed(actions);
  for (const e of events) {
    [snap, actions] = transition(pushMachine, snap, e);
    cmds.push(...emitted(actions));
    timer = armed(actions) ?? (snap.matches('waiting') ? timer : undefined);
  }
  return { snap, cmds, timer };
}
const requests = (cmds: PushCommand[]) => cmds.filter((c) => c.type === 'request.enqueue').map((c) => (c as { params: Record<string, string> }).params);

describe('push machine: the token request', () => {
  it('setToken queues token_session=1 with the provider key, token_provider, locale and test_mode, and stores the token', () => {
    const { cmds, snap } = run(input({ testMode: 2 }), ev.set('tok', 5));
    expect(cmds).toEqual([
      { type: 'storage.set', key: 'pushToken', value: { token: 'tok', provider: 'FCM' } },
      { type: 'request.enqueue', params: { token_session: '1', android_token: 'tok', token_provider: 'FCM', locale: 'en-US', test_mode: '2' } },
    ]);
    expect(snap.value).toBe('idle');
  });

  it('the provider picks the token key: APNS → ios_token, HMS → android_token; the config provider is the default', () => {
    expect(requests(run(input(), ev.set('t', 0, 'APNS')).cmds)[0]).toMatchObject({ ios_token: 't', token_provider: 'APNS' });
    expect(requests(run(input(), ev.set('t', 0, 'HMS')).cmds)[0]).toMatchObject({ android_token: 't', token_provider: 'HMS' });
    expect(requests(run(input({ provider: 'APNS' }), ev.set('t', 0)).cmds)[0]).toMatchObject({ ios_token: 't', token_provider: 'APNS' });
  });

  it('no locale known: the param is left out', () => {
    expect(requests(run(input({ locale: undefined }), ev.set('t', 0)).cmds)[0]).not.toHaveProperty('locale');
  });

  it('clearToken sends an empty token with the current provider and forgets the stored one (spec l. 2402, 2504)', () => {
    const { cmds } = run(input(), ev.set('t', 0, 'APNS'), ev.clear(1));
    expect(cmds.slice(2)).toEqual([
      { type: 'storage.delete', key: 'pushToken' },
      { type: 'request.enqueue', params: { token_session: '1', ios_token: '', token_provider: 'APNS', locale: 'en-US', test_mode: '0' } },
    ]);
  });

  it('the same token/provider within 60 s is not sent again; after 60 s it is (spec l. 2388)', () => {
    expect(requests(run(input(), ev.set('t', 0), ev.set('t', DEBOUNCE_MS - 1)).cmds)).toHaveLength(1);
    expect(requests(run(input(), ev.set('t', 0), ev.set('t', DEBOUNCE_MS)).cmds)).toHaveLength(2);
    // Another provider is another registration.
    expect(requests(run(input(), ev.set('t', 0), ev.set('t', 1, 'HMS')).cmds)).toHaveLength(2);
  });

  it('A, B, A within 60 s: B goes at once, the second A waits for the end of A\'s window, then goes', () => {
    const { cmds, snap, timer } = run(input(), ev.set('A', 0), ev.set('B', 1_000), ev.set('A', 2_000));
    expect(requests(cmds).map((p) => p.android_token)).toEqual(['A', 'B']);
    expect(snap.value).toBe('waiting');
    expect(timer?.delay).toBe(DEBOUNCE_MS - 2_000);
    const [after, actions] = transition(pushMachine, snap, TIMER);
    expect(requests(emitted(actions)).map((p) => p.android_token)).toEqual(['A']);
    expect(after.value).toBe('idle');
  });

  it('a token set within 10 s of a session begin waits until 10 s after it (spec l. 2502)', () => {
    const { cmds, snap, timer } = run(input(), ev.began(1_000), ev.set('t', 3_000));
    expect(requests(cmds)).toEqual([]);
    expect(timer?.delay).toBe(AFTER_SESSION_MS - 2_000);
    const [, actions] = transition(pushMachine, snap, TIMER);
    expect(requests(emitted(actions))).toHaveLength(1);
    // Waiting, a newer token replaces the older: only the latest goes.
    const r = run(input(), ev.began(0), ev.set('a', 1), ev.set('b', 2));
    expect(requests(emitted(transition(pushMachine, r.snap, TIMER)[1])).map((p) => p.android_token)).toEqual(['b']);
  });

  it('a session that begins while a token waits restarts the 10 s', () => {
    const { timer } = run(input(), ev.began(0), ev.set('t', 1_000), ev.began(5_000));
    expect(timer?.delay).toBe(AFTER_SESSION_MS);
  });
});

describe('push machine: consent, identity, boot', () => {
  it('without push consent every call is refused with a warning naming it, and nothing is stored', () => {
    const { cmds } = run(input({ consent: false }), ev.set('t', 0), ev.clear(1), ev.action(2));
    expect(cmds).toEqual([
      { type: 'log', level: 'warning', module: 'Push', message: 'setToken, no "push" consent; call ignored' },
      { type: 'log', level: 'warning', module: 'Push', message: 'clearToken, no "push" consent; call ignored' },
      { type: 'log', level: 'warning', module: 'Push', message: 'recordAction, no "push" consent; call ignored' },
    ]);
  });

  it('consent given at run time sends the known token (spec l. 2510); removed, a waiting token is dropped', () => {
    const stored = { token: 's', provider: 'FCM' as const };
    expect(requests(run(input({ consent: false, stored }), ev.consent(true, 10)).cmds)).toHaveLength(1);
    const waiting = run(input(), ev.began(0), ev.set('t', 1), ev.consent(false, 2));
    expect(waiting.snap.value).toBe('idle');
    expect(waiting.snap.context.pending).toBeNull();
  });

  it('a device-ID change without merge re-sends the token for the new ID; a merge or the boot broadcast does not', () => {
    expect(requests(run(input(), ev.set('t', 0), ev.identity(1)).cmds)).toHaveLength(2);
    expect(requests(run(input(), ev.set('t', 0), ev.identity(1, true)).cmds)).toHaveLength(1);
    expect(requests(run(input(), ev.set('t', 0), ev.identity(1, false, null)).cmds)).toHaveLength(1);
  });

  it('the stored token is re-sent at init only with sendTokenAlways', () => {
    const stored = { token: 's', provider: 'HMS' as const };
    expect(requests(run(input({ stored }), ev.set('s', 0, 'HMS')).cmds)).toHaveLength(1);
    expect(requests(run(input({ stored, sendTokenAlways: true })).cmds)).toEqual([
      { token_session: '1', android_token: 's', token_provider: 'HMS', locale: 'en-US', test_mode: '0' },
    ]);
  });

  it('recordAction records [CLY]_push_action {i, b, p} through the events machine (spec l. 2450-2461)', () => {
    const { cmds } = run(input(), ev.set('t', 0, 'APNS'), ev.action(7, 2));
    expect(cmds.find((c) => c.type === 'event.record')).toEqual({
      type: 'event.record',
      key: '[CLY]_push_action',
      count: 1,
      segmentation: { i: 'n1', b: '2', p: 'i' },
      at: at(7),
      id: 'e7',
    });
    expect(run(input(), ev.action(1, 0)).cmds[0]).toMatchObject({ segmentation: { i: 'n1', b: '0', p: 'a' } });
  });
});

describe('push machine: every path', () => {
  const events: PushEvent[] = [ev.set('A', 1_000), ev.set('B', 2_000), ev.clear(3_000), ev.began(4_000), ev.consent(true), ev.consent(false), ev.identity(5_000), ev.action(6_000), TIMER];
  // States are told apart by what decides: the state, consent, the token known and the one waiting.
  const serializeState = (s: Snap): string =>
    JSON.stringify([s.value, s.context.consent, s.context.current, s.context.pending, s.context.recent.map((r) => r.token)]);

  it('keeps the rules after every step: a request only with consent, of the latest token, never the same one twice in 60 s', () => {
    let paths = 0;
    for (const consent of [true, false]) {
      const i = input({ consent, stored: { token: 'S', provider: 'FCM' } });
      // Simple paths over every event are too many to walk: they take the events that move the timing.
      const timing = [events[0]!, events[1]!, events[3]!, events[4]!, events[5]!, TIMER];
      for (const path of [...getShortestPaths(pushMachine, { events, input: i, serializeState }), ...getSimplePaths(pushMachine, { events: timing, input: i, serializeState })]) {
        paths++;
        let [snap] = initialTransition(pushMachine, i);
        for (const step of path.steps) {
          const before = snap;
          const [next, actions] = transition(pushMachine, snap, step.event as PushEvent);
          const sent = requests(emitted(actions));
          if (!before.context.consent && step.event.type !== 'consent.changed') expect(sent).toEqual([]);
          for (const p of sent) {
            const token = p.android_token ?? p.ios_token;
            // What goes out is the latest token set.
            expect(token).toBe(next.context.current?.token);
            const earlier = before.context.recent.find((r) => r.token === token && r.provider === p.token_provider);
            // A new device ID without merge is a new user on the server: its first registration is not a repeat.
            if (earlier && step.event.type !== 'identity.changed') expect(next.context.recent.at(-1)!.at - earlier.at).toBeGreaterThanOrEqual(DEBOUNCE_MS);
          }
          // Waiting exactly when a token waits.
          expect(next.matches('waiting')).toBe(next.context.pending !== null);
          snap = next;
        }
      }
    }
    expect(paths).toBeGreaterThan(20);
  });
});

describe('push machine: timing properties on a simulated clock', () => {
  type Op = { kind: 'set'; token: string; provider: PushProvider; wait: number } | { kind: 'began'; wait: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), token: fc.constantFrom('A', 'B', 'C'), provider: fc.constantFrom<PushProvider>('FCM', 'HMS'), wait: fc.integer({ min: 0, max: 90_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('began' as const), wait: fc.integer({ min: 0, max: 30_000 }) }) },
  );

  function play(ops: readonly Op[]) {
    const clock = new SimulatedClock();
    const actor = createActor(pushMachine, { input: input(), clock });
    // `seq` orders what happens in the same millisecond: a send before a begin is not after it.
    let seq = 0;
    const sent: Array<{ token: string; provider: string; at: number; seq: number }> = [];
    const begins: Array<{ at: number; seq: number }> = [];
    // The moment of each send is the machine's: a timer fires at its due time inside a longer `increment`.
    let seen: unknown = undefined;
    actor.subscribe((s) => {
      const last = s.context.recent.at(-1);
      if (last !== undefined && last !== seen) sent.push({ token: last.token, provider: last.provider, at: last.at, seq: seq++ });
      seen = last;
    });
    actor.start();
    let latest: { token: string; provider: string } | null = null;
    for (const o of ops) {
      if (o.kind === 'set') {
        actor.send({ type: 'push.setToken', token: o.token, provider: o.provider, at: at(clock.now()) });
        latest = { token: o.token, provider: o.provider };
      } else {
        begins.push({ at: clock.now(), seq: seq++ });
        actor.send({ type: 'session.began', at: at(clock.now()) });
      }
      clock.increment(o.wait);
    }
    clock.increment(DEBOUNCE_MS + AFTER_SESSION_MS);
    actor.stop();
    return { sent, begins, latest };
  }

  it('at most one request per token/provider per 60 s, and the last request is always the latest token', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { sent, latest } = play(ops);
        const last = new Map<string, number>();
        for (const s of sent) {
          const key = `${s.token}|${s.provider}`;
          const prev = last.get(key);
          if (prev !== undefined) expect(s.at - prev).toBeGreaterThanOrEqual(DEBOUNCE_MS);
          last.set(key, s.at);
        }
        if (latest === null) expect(sent).toEqual([]);
        else expect(sent.at(-1)).toMatchObject(latest);
      }),
    );
  });

  it('no request goes within 10 s after a session began', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { sent, begins } = play(ops);
        for (const s of sent) for (const b of begins) if (s.seq > b.seq) expect(s.at).toBeGreaterThanOrEqual(b.at + AFTER_SESSION_MS);
      }),
    );
  });
});

describe('push rules', () => {
  it('providerOf is case-insensitive and knows FCM, HMS, APNS only', () => {
    expect(providerOf('apns')).toBe('APNS');
    expect(providerOf(' fcm ')).toBe('FCM');
    for (const bad of ['', 'GCM', '__proto__', 'constructor', null, 1, {}]) expect(providerOf(bad)).toBeNull();
  });

  it('decodeStoredToken reads only a stored {token, provider}', () => {
    expect(decodeStoredToken({ token: 't', provider: 'APNS' })).toEqual({ token: 't', provider: 'APNS' });
    for (const bad of [null, 'x', [], { token: '' , provider: 'FCM' }, { token: 't', provider: 'X' }, { token: 1, provider: 'FCM' }]) expect(decodeStoredToken(bad)).toBeNull();
  });

  it('tokenParams: the key order of the spec example and test_mode as a string', () => {
    expect(Object.keys(tokenParams({ token: 't', provider: 'FCM' }, 'de', 1))).toEqual(['token_session', 'android_token', 'token_provider', 'locale', 'test_mode']);
  });

  it('property: dueOf never lets a token go within 60 s of its own send, nor within a session settle time', () => {
    const key = fc.record({ token: fc.constantFrom('a', 'b'), provider: fc.constantFrom<PushProvider>('FCM', 'APNS') });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.integer({ min: 0, max: 200_000 })), { maxLength: 10 }), key, fc.option(fc.integer({ min: 0, max: 200_000 })), fc.integer({ min: 0, max: 200_000 }), (sends, pending, settleAt, now) => {
        let recent: ReturnType<typeof remember> = [];
        for (const [k, t] of [...sends].sort((x, y) => x[1] - y[1])) if (t <= now) recent = remember(recent, { ...k, at: t });
        const due = dueOf(pending, recent, settleAt, now);
        const when = due.kind === 'now' ? now : due.kind === 'at' ? due.at : null;
        if (when === null) return;
        expect(when).toBeGreaterThanOrEqual(now);
        if (settleAt !== null) expect(when).toBeGreaterThanOrEqual(settleAt);
        for (const r of recent) if (r.token === pending.token && r.provider === pending.provider) expect(when - r.at).toBeGreaterThanOrEqual(DEBOUNCE_MS);
      }),
    );
  });
});
