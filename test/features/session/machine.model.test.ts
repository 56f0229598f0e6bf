/**
 * The session machine as a whole (spec: Sessions).
 *
 * - model: every shortest path of the chart (per mode, foreground or not at init) replayed on
 *   an actor, checking the request sequence, the broadcast before every request and the
 *   durations after each step; every transition of the chart is taken
 * - property: random lifecycle (through a stand-in of the lifecycle machine's 0→1 / 1→0
 *   rule), manual calls, consent, identity, settings and clock moves: the session requests
 *   form a valid sequence and the durations add up
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { instantAt } from '../../../src/protocol/time.js';
import { sessionMachine, type SessionEvent, type SessionInput, type SessionMode } from '../../../src/features/session/machine.js';
import { ALL, at, consent, ev, input, running, startActor, TICK, type Cmd, type Snap } from './helpers.js';

// ---- model-based ---------------------------------------------------------------------

const MODEL_INTERVAL = 3600;
const STEP_MS = 1234;

function modelEvents(snap: Snap): SessionEvent[] {
  const c = snap.context;
  const withoutSessions = consent(true, { sessions: false });
  const list: SessionEvent[] = [
    ev.begin(0),
    ev.update(0),
    ev.end(0),
    ev.fg(0),
    ev.bg(0),
    ev.idChanging(0),
    ev.idChanged(false, 0),
    ev.idChanged(true, 0),
    ev.settings({ st: false }, 0),
    ev.settings({ st: true }, 0),
    { type: 'location.changed', params: { location: '' } },
  ];
  if (c.consent.sessions) {
    list.push({ type: 'consent.changing', before: ALL, after: withoutSessions, at: at(0) });
    list.push({ type: 'consent.changed', before: ALL, after: withoutSessions, at: at(0) });
    list.push({ type: 'consent.changed', before: consent(true, { users: false }), after: ALL, at: at(0) });
  } else list.push(ev.giveSessions(0));
  if (running(snap) && c.mode !== 'manual') list.push({ type: TICK } as unknown as SessionEvent);
  return list;
}

function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    foreground: c.foreground,
    consent: c.consent.sessions,
    tracking: c.sessionTracking,
    location: c.location,
  });
}

interface Ledger {
  open: { beganAt: number; reported: number } | null;
  sessions: Array<{ ms: number; reported: number }>;
}

/** Checks the new commands against the request rules and books the durations. */
function book(ledger: Ledger, cmds: Cmd[]): void {
  cmds.forEach((c, i) => {
    if (c.type === 'request.enqueue') {
      const p = c.params;
      if (p.begin_session) {
        expect(ledger.open, 'begin never twice without end').toBeNull();
        expect(c.at).toBeDefined();
        // The queue effect adds the metrics, read at that moment: the machine only asks.
        expect(c.metrics, 'a begin asks for fresh metrics').toBe(true);
        expect(p.metrics).toBeUndefined();
        expect(cmds[i - 1], 'session.beginning comes right before every begin_session').toEqual({
          type: 'broadcast',
          event: { type: 'session.beginning', at: c.at },
        });
        ledger.open = { beganAt: c.at!.timestamp, reported: 0 };
      } else {
        expect(ledger.open, 'no update or end without begin').not.toBeNull();
        expect(c.metrics, 'only a begin asks for metrics').toBeUndefined();
        const seconds = Number(p.session_duration);
        expect(Number.isInteger(seconds) && seconds >= 0).toBe(true);
        ledger.open!.reported += seconds;
        if (p.end_session === undefined) {
          expect(cmds[i - 1], 'session.updating comes right before every update').toMatchObject({ type: 'broadcast', event: { type: 'session.updating' } });
        }
        if (p.end_session) {
          expect(c.at, 'the end carries its moment').toBeDefined();
          expect(cmds[i - 1], 'session.ending comes right before every end_session').toEqual({
            type: 'broadcast',
            event: { type: 'session.ending', at: c.at },
          });
          ledger.sessions.push({ ms: c.at!.timestamp - ledger.open!.beganAt, reported: ledger.open!.reported });
          ledger.open = null;
        }
      }
    }
  });
}

function replay(inp: SessionInput, steps: ReadonlyArray<{ event: SessionEvent; state: Snap }>): Ledger {
  const { actor, clock, cmds } = startActor(inp);
  const ledger: Ledger = { open: null, sessions: [] };
  book(ledger, cmds);
  for (const step of steps) {
    const before = cmds.length;
    if ((step.event.type as string) === TICK) clock.advance(MODEL_INTERVAL * 1000);
    else {
      clock.advance(STEP_MS);
      const e = step.event;
      actor.send('at' in e && e.at ? ({ ...e, at: instantAt(clock.now()) } as SessionEvent) : e);
    }
    const fresh = cmds.slice(before);
    book(ledger, fresh);
    const snap = actor.getSnapshot();
    expect(abstractState(snap), 'the actor follows the model').toBe(abstractState(step.state));
    expect(running(snap), 'running exactly while a session is open').toBe(ledger.open !== null);
    const began = fresh.filter((c) => c.type === 'broadcast' && c.event.type === 'session.began').length;
    const begins = fresh.filter((c) => c.type === 'request.enqueue' && c.params.begin_session).length;
    expect(began).toBe(begins);
  }
  // Close what is open, so every session's parts are checked.
  clock.advance(STEP_MS);
  const end = instantAt(clock.now());
  const before = cmds.length;
  if (inp.mode === 'automatic') {
    if (actor.getSnapshot().context.foreground) actor.send({ type: 'app.hidden', at: end });
  }
  else actor.send({ type: 'session.end', at: end });
  book(ledger, cmds.slice(before));
  expect(ledger.open).toBeNull();
  for (const s of ledger.sessions) expect(s.reported, 'the parts add up to the session').toBe(Math.round(s.ms / 1000));
  actor.stop();
  return ledger;
}

describe('sessionMachine: model-based paths', () => {
  const modes: SessionMode[] = ['automatic', 'manual', 'hybrid'];
  const taken = new Set<string>();
  for (const mode of modes) {
    for (const foreground of [true, false]) {
      it(`every shortest path, and one more step of every event, keeps the rules (${mode}, ${foreground ? 'foreground' : 'background'} at init)`, () => {
        const inp = input({ mode, foreground, updateIntervalSeconds: MODEL_INTERVAL });
        // The lifecycle machine's contract: visible and hidden alternate.
        const filterEvents = (s: Snap, e: SessionEvent) =>
          !(e.type === 'app.visible' && s.context.foreground) && !(e.type === 'app.hidden' && !s.context.foreground);
        const paths = getShortestPaths(sessionMachine, { input: inp, events: modelEvents, serializeState: abstractState, filterEvents });
        expect(paths.length).toBeGreaterThan(8);
        const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
        expect(values).toContain('"idle"');
        expect(values).toContain(mode === 'manual' ? '{"running":"untimed"}' : '{"running":"timed"}');
        let sessions = 0;
        for (const path of paths) {
          sessions += replay(inp, path.steps).sessions.length;
          for (const event of modelEvents(path.state).filter((e) => filterEvents(path.state, e))) {
            for (const t of takenTransitions(sessionMachine, path.state, event)) taken.add(t);
            const [next] = transition(sessionMachine, path.state, event);
            replay(inp, [...path.steps, { event, state: next }]);
          }
        }
        expect(sessions).toBeGreaterThan(0);
      });
    }
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(sessionMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

// ---- properties ----------------------------------------------------------------------

type Op =
  | { op: 'fg' | 'bg' | 'begin' | 'update' | 'end' | 'removeConsent' | 'giveConsent' | 'changeId' | 'merge' | 'stOff' | 'stOn' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fg', 'bg').map((op) => ({ op }) as Op) },
  { weight: 2, arbitrary: fc.constantFrom('begin', 'update', 'end').map((op) => ({ op }) as Op) },
  { weight: 1, arbitrary: fc.constantFrom('removeConsent', 'giveConsent', 'changeId', 'merge', 'stOff', 'stOn').map((op) => ({ op }) as Op) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 200_000 }).map((ms) => ({ op: 'advance', ms }) as Op) },
);

describe('sessionMachine: properties', () => {
  it('any sequence gives valid session requests whose durations add up to the session time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SessionMode>('automatic', 'manual', 'hybrid'),
        fc.boolean(),
        fc.integer({ min: 1, max: 90 }),
        fc.array(opArb, { maxLength: 60 }),
        (mode, foreground, interval, ops) => {
          const { actor, clock, cmds, now } = startActor(input({ mode, foreground, updateIntervalSeconds: interval }));
          const ledger: Ledger = { open: null, sessions: [] };
          let given = true;
          let st = true;
          // An independent oracle of automatic sessions: open while visible, consented and tracked.
          let visible = foreground ? 1 : 0;
          let oracleMs = 0;
          let since = clock.now();
          const oracleOpen = () => mode === 'automatic' && visible > 0 && given && st;
          /** Books the time since the last change, then applies the change. */
          const track = (change: () => void) => {
            if (oracleOpen()) oracleMs += clock.now() - since;
            change();
            since = clock.now();
          };
          for (const o of ops) {
            const t = now();
            switch (o.op) {
              case 'advance':
                clock.advance(o.ms);
                break;
              // The lifecycle machine's broadcasts: only on 0→1 and 1→0 (an unbalanced background is dropped there).
              case 'fg':
                track(() => {
                  visible += 1;
                  if (visible === 1) actor.send({ type: 'app.visible', at: t });
                });
                break;
              case 'bg':
                track(() => {
                  if (visible === 0) return;
                  visible -= 1;
                  if (visible === 0) actor.send({ type: 'app.hidden', at: t });
                });
                break;
              case 'begin':
              case 'update':
              case 'end':
                actor.send({ type: `session.${o.op}`, at: t });
                break;
              case 'removeConsent':
              case 'giveConsent': {
                const before = consent(true, { sessions: given });
                const after = consent(true, { sessions: o.op === 'giveConsent' });
                track(() => {
                  actor.send({ type: 'consent.changing', before, after, at: t });
                  actor.send({ type: 'consent.changed', before, after, at: t });
                  given = after.sessions;
                });
                break;
              }
              case 'changeId':
                actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
                actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
                break;
              case 'merge':
                actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: true, previousId: 'a', at: t });
                break;
              case 'stOff':
              case 'stOn':
                track(() => {
                  st = o.op === 'stOn';
                  actor.send({ type: 'settings.updated', settings: { st }, at: t });
                });
                break;
            }
          }
          // Close what is open so every session is booked.
          track(() => undefined);
          const t = now();
          if (mode === 'automatic') {
            expect(actor.getSnapshot().context.foreground).toBe(visible > 0);
            if (visible > 0) actor.send({ type: 'app.hidden', at: t });
          } else actor.send({ type: 'session.end', at: t });
          book(ledger, cmds);
          expect(ledger.open).toBeNull();
          expect(running(actor.getSnapshot())).toBe(false);
          for (const s of ledger.sessions) expect(s.reported).toBe(Math.round(s.ms / 1000));
          if (mode === 'automatic') {
            expect(ledger.sessions.reduce((sum, s) => sum + s.ms, 0), 'sessions cover exactly the foreground time').toBe(oracleMs);
          }
          actor.stop();
        },
      ),
      { numRuns: 300 },
    );
  });
});
