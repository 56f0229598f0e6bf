/**
 * The AppMetrica uploader (src/integrations/appmetrica/machine.ts):
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands;
 * - model: every shortest and simple path from `xstate/graph`, replayed on an actor with a
 *   simulated clock, checking after each step that the store holds exactly the pending rows,
 *   that a batch is on the wire exactly while `sending`, and that refusals stay bounded;
 * - property: random arrivals, answers, flushes and clock moves: every accepted row is
 *   acknowledged at most once, nothing stale is ever sent, and nothing is lost silently.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { StorageOp } from '../../../src/adapters/types.js';
import { classify, cooldownMs, DEFAULT_UPLOADER, QUEUE, uploaderMachine, type UploaderCommand, type UploaderEvent } from '../../../src/integrations/appmetrica/machine.js';
import { fresh, SEVEN_DAYS_MS, type AppMetricaRow } from '../../../src/integrations/appmetrica/rows.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof uploaderMachine>;
const T0 = Date.UTC(2026, 0, 1);
const AFTER_COOLDOWN = 'xstate.after.cooldown.appmetricaUploader.coolingDown';
const emitted = (a: ReadonlyArray<{ type: string; params?: unknown }>): UploaderCommand[] => emittedCommands<UploaderCommand>(a);

let n = 0;
const row = (atMs = T0, name = `e${++n}`): AppMetricaRow => ({ profile_id: 'p', event_name: name, event_timestamp: String(Math.floor(atMs / 1000)) });
const accepted = (rows: AppMetricaRow[], at = T0): UploaderEvent => ({ type: 'rows.accepted', rows, at });
const loaded = (rows: Array<{ seq: number; row: AppMetricaRow }> = [], at = T0): UploaderEvent => ({ type: 'store.loaded', rows, at });
const answered = (status: number, at = T0): UploaderEvent => ({ type: 'upload.answered', status, body: '{}', at });

function run(...events: UploaderEvent[]): { snap: Snap; cmds: UploaderCommand[] } {
  let [snap, actions] = initialTransition(uploaderMachine, { options: { batchSize: 2 } });
  const cmds = emitted(actions);
  for (const e of events) {
    [snap, actions] = transition(uploaderMachine, snap, e);
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

describe('uploader: transitions', () => {
  it('keeps rows accepted while loading and appends them after the stored ones', () => {
    const a = row();
    const stored = { seq: 7, row: row() };
    const { snap, cmds } = run(accepted([a]), loaded([stored]));
    expect(snap.value).toBe('sending');
    expect(cmds).toEqual([
      { type: 'store.write', ops: [{ op: 'append', queue: QUEUE, seq: 8, data: JSON.stringify(a), json: true }] },
      { type: 'upload.send', rows: [stored.row, a] },
    ]);
  });

  it('an empty store goes idle; an accepted row is written, then sent', () => {
    const a = row();
    const { snap, cmds } = run(loaded(), accepted([a]));
    expect(snap.value).toBe('sending');
    expect(cmds.map((c) => c.type)).toEqual(['store.write', 'upload.send']);
  });

  it('sends at most batchSize rows; a 2xx removes them and sends the rest', () => {
    const rows = [row(), row(), row()];
    const { snap, cmds } = run(loaded(), accepted(rows), answered(200));
    const sends = cmds.filter((c) => c.type === 'upload.send');
    expect(sends).toEqual([{ type: 'upload.send', rows: rows.slice(0, 2) }, { type: 'upload.send', rows: rows.slice(2) }]);
    expect(cmds).toContainEqual({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: [1, 2] }] });
    expect(snap.value).toBe('sending');
    expect(snap.context.inFlight).toBe(1);
  });

  it('drops rows older than seven days (minus the margin) with a warning, on arrival and at load', () => {
    const old = row(T0 - SEVEN_DAYS_MS);
    const { snap, cmds } = run(loaded([{ seq: 1, row: old }]), accepted([row(T0 - SEVEN_DAYS_MS + 1000)]));
    expect(snap.value).toBe('idle');
    expect(cmds).toEqual([
      { type: 'log', level: 'warning', message: 'load, 1 event(s) older than seven days dropped: the Post API refuses them' },
      { type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: [1] }] },
      { type: 'log', level: 'warning', message: 'export, 1 event(s) older than seven days dropped: the Post API refuses them' },
    ]);
  });

  it('5xx and network failures cool down, then send the same batch again', () => {
    const a = row();
    const { snap, cmds } = run(loaded(), accepted([a]), answered(503));
    expect(snap.value).toBe('coolingDown');
    expect(snap.context.failures).toBe(1);
    expect(cmds.at(-1)).toEqual({ type: 'log', level: 'warning', message: 'upload, failed (status 503); trying again in 5 s' });
    const [after, actions] = transition(uploaderMachine, snap, { type: AFTER_COOLDOWN } as unknown as UploaderEvent);
    expect(after.value).toBe('sending');
    expect(emitted(actions)).toEqual([{ type: 'upload.send', rows: [a] }]);
    const failed = transition(uploaderMachine, after, { type: 'upload.failed', reason: 'ECONNREFUSED', at: T0 })[0];
    expect(failed.context.failures).toBe(2);
  });

  it('400/403 are configuration errors: logged, tried maxRefusals times, then dropped', () => {
    const a = row();
    const after = { type: AFTER_COOLDOWN } as unknown as UploaderEvent;
    const { snap, cmds } = run(loaded(), accepted([a]), answered(403), after, answered(400), after, answered(403));
    const errors = cmds.filter((c) => c.type === 'log' && c.level === 'error');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({ message: expect.stringContaining('configuration error') });
    expect(errors[2]).toMatchObject({ message: expect.stringContaining('1 event(s) dropped') });
    expect(cmds.at(-1)).toEqual({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: [1] }] });
    expect(snap.value).toBe('idle');
    expect(snap.context.rows).toEqual([]);
  });

  it('flush in a cool-down tries at once; stop is final', () => {
    const { snap } = run(loaded(), accepted([row()]), answered(500), { type: 'upload.flush', at: T0 });
    expect(snap.value).toBe('sending');
    const [stopped] = transition(uploaderMachine, snap, { type: 'uploader.stop' });
    expect(stopped.status).toBe('done');
  });

  it('a full queue drops its oldest rows not on the wire, with a warning', () => {
    let [snap] = initialTransition(uploaderMachine, { options: { batchSize: 1, maxQueueSize: 2 } });
    const [a, b, c] = [row(), row(), row()];
    [snap] = transition(uploaderMachine, snap, loaded());
    [snap] = transition(uploaderMachine, snap, accepted([a, b]));
    const [next, actions] = transition(uploaderMachine, snap, accepted([c]));
    expect(next.context.rows.map((r) => r.row)).toEqual([a, c]);
    expect(emitted(actions)).toEqual([
      { type: 'log', level: 'warning', message: 'export, the queue holds 2 events; the 1 oldest waiting dropped' },
      { type: 'store.write', ops: [{ op: 'append', queue: QUEUE, seq: 3, data: JSON.stringify(c), json: true }, { op: 'remove', queue: QUEUE, seqs: [2] }] },
    ]);
  });

  it('policy: answers and cool-downs', () => {
    expect([200, 204, 400, 403, 404, 408, 429, 500, 503].map(classify)).toEqual(['ok', 'ok', 'refused', 'refused', 'refused', 'retry', 'retry', 'retry', 'retry']);
    expect([1, 2, 3, 10, 1000].map((f) => cooldownMs(DEFAULT_UPLOADER, f))).toEqual([5000, 10000, 20000, 300000, 300000]);
  });
});

// ---------------------------------------------------------------------------------------
// Model-based paths.

const MODEL_EVENTS: UploaderEvent[] = [
  loaded(),
  loaded([{ seq: 1, row: row() }, { seq: 2, row: row(T0 - SEVEN_DAYS_MS) }]),
  accepted([row()]),
  accepted([row(T0 - SEVEN_DAYS_MS)]),
  { type: 'upload.flush', at: T0 },
  answered(200),
  answered(403),
  answered(503),
  { type: 'upload.failed', reason: 'timeout', at: T0 },
  { type: AFTER_COOLDOWN } as unknown as UploaderEvent,
  { type: 'uploader.stop' },
];

const abstract = (s: Snap): string =>
  JSON.stringify({ v: s.value, rows: s.context.rows.map((r) => r.row.event_name), early: s.context.early.map((r) => r.event_name), refusals: s.context.refusals, failed: s.context.failures > 0 });

/** `maxRows` bounds the queue so the abstraction stays exact and the simple paths few. */
const modelOptions = (events: UploaderEvent[], maxRows: number) => ({
  input: { options: { batchSize: 1 } },
  events,
  serializeState: abstract,
  filterEvents: (s: Snap, e: UploaderEvent) => {
    const t = e.type as string;
    if (t === 'upload.answered' || t === 'upload.failed') return s.matches('sending');
    if (t === AFTER_COOLDOWN) return s.matches('coolingDown');
    if (t === 'store.loaded') return s.matches('loading');
    if (t === 'rows.accepted') return s.matches('loading') ? s.context.early.length === 0 : s.context.rows.length < maxRows;
    return true;
  },
});
const SHORTEST = modelOptions(MODEL_EVENTS, 2);
/** Fewer events for the simple paths: one load, no flush, one kind of failure. */
const SIMPLE = modelOptions(MODEL_EVENTS.filter((e, i) => i !== 1 && e.type !== 'upload.flush' && e.type !== 'upload.failed'), 1);

function replay(steps: ReadonlyArray<{ event: UploaderEvent; state: Snap }>): void {
  const clock = simulatedClock(T0);
  const actor = createActor(uploaderMachine, { input: SHORTEST.input, clock });
  const store = new Map<number, string>();
  let loadedYet = false;
  actor.on('*', (c) => {
    const cmd = c as UploaderCommand;
    if (cmd.type === 'store.write') for (const op of cmd.ops) applyOp(store, op);
  });
  actor.start();
  for (const step of steps) {
    const e = step.event;
    if ((e.type as string) === AFTER_COOLDOWN) clock.advance(cooldownMs(actor.getSnapshot().context.options, actor.getSnapshot().context.failures));
    else {
      if (e.type === 'store.loaded') for (const r of e.rows) store.set(r.seq, JSON.stringify(r.row));
      actor.send(e);
    }
    const snap = actor.getSnapshot();
    if (e.type === 'store.loaded') loadedYet = true;
    if (loadedYet && snap.status === 'active') {
      expect([...store.keys()], 'the store holds exactly the pending rows').toEqual(snap.context.rows.map((r) => r.seq));
    }
    if (snap.status === 'active') {
      expect(snap.context.inFlight > 0, 'a batch is on the wire exactly while sending').toBe(snap.matches('sending'));
      expect(snap.context.refusals).toBeLessThan(snap.context.options.maxRefusals);
    }
    expect(abstract(snap)).toBe(abstract(step.state));
  }
  actor.stop();
}

function applyOp(store: Map<number, string>, op: StorageOp): void {
  if (op.op === 'append') store.set(op.seq, op.data);
  else if (op.op === 'remove') for (const s of op.seqs) store.delete(s);
}

describe('uploader: model-based paths', () => {
  it('every shortest path keeps the invariants', () => {
    const paths = getShortestPaths(uploaderMachine, SHORTEST);
    const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(values).toEqual(new Set(['"loading"', '"idle"', '"sending"', '"coolingDown"', '"stopped"']));
    for (const p of paths) replay(p.steps);
  });

  it('every simple path keeps the invariants', () => {
    const paths = getSimplePaths(uploaderMachine, SIMPLE);
    expect(paths.length).toBeGreaterThan(20);
    for (const p of paths) replay(p.steps);
  });
});

// ---------------------------------------------------------------------------------------
// Property: random traffic on a simulated clock.

type Op =
  | { k: 'accept'; ages: number[] }
  | { k: 'answer'; status: number }
  | { k: 'fail' }
  | { k: 'flush' }
  | { k: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('accept' as const), ages: fc.array(fc.constantFrom(0, 1000, SEVEN_DAYS_MS - 30 * 60_000, SEVEN_DAYS_MS + 1), { minLength: 1, maxLength: 3 }) }),
  fc.record({ k: fc.constant('answer' as const), status: fc.constantFrom(200, 202, 400, 403, 429, 500, 503) }),
  fc.constant({ k: 'fail' as const }),
  fc.constant({ k: 'flush' as const }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.constantFrom(1000, 60_000, 3_600_000, 2 * 24 * 3_600_000) }),
);

describe('uploader: property', () => {
  it('acknowledged at most once, nothing stale sent, every row accounted for', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const clock = simulatedClock(T0);
        const actor = createActor(uploaderMachine, { input: { options: { batchSize: 2 } }, clock });
        const store = new Map<number, string>();
        let lastSend: AppMetricaRow[] = [];
        const acked = new Map<string, number>();
        let droppedLogged = 0;
        actor.on('*', (c) => {
          const cmd = c as UploaderCommand;
          if (cmd.type === 'store.write') for (const op of cmd.ops) applyOp(store, op);
          else if (cmd.type === 'upload.send') {
            lastSend = cmd.rows;
            for (const r of cmd.rows) expect(fresh(r, clock.now(), 0), 'nothing past seven days is sent').toBe(true);
          } else if (cmd.level !== 'debug') droppedLogged++;
        });
        actor.start();
        actor.send(loaded([], clock.now()));
        const all: string[] = [];
        for (const op of ops) {
          const s = actor.getSnapshot();
          if (op.k === 'accept') {
            const rows = op.ages.map((age) => row(clock.now() - age));
            all.push(...rows.map((r) => r.event_name!));
            actor.send(accepted(rows, clock.now()));
          } else if (op.k === 'answer' && s.matches('sending')) {
            if (classify(op.status) === 'ok') for (const r of lastSend) acked.set(r.event_name!, (acked.get(r.event_name!) ?? 0) + 1);
            actor.send(answered(op.status, clock.now()));
          } else if (op.k === 'fail' && s.matches('sending')) actor.send({ type: 'upload.failed', reason: 'x', at: clock.now() });
          else if (op.k === 'flush') actor.send({ type: 'upload.flush', at: clock.now() });
          else if (op.k === 'advance' && !s.matches('sending')) clock.advance(op.ms);
          const snap = actor.getSnapshot();
          expect([...store.keys()]).toEqual(snap.context.rows.map((r) => r.seq));
        }
        for (const count of acked.values()) expect(count).toBe(1);
        const pending = new Set(actor.getSnapshot().context.rows.map((r) => r.row.event_name));
        const gone = all.filter((name) => !pending.has(name) && !acked.has(name));
        // Whatever left the queue unsent was announced (a warning or an error per drop).
        if (gone.length > 0) expect(droppedLogged).toBeGreaterThan(0);
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });
});
