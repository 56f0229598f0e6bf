/**
 * The health-check machine as a whole (spec 001: Health Checks):
 *
 * - model: shortest and simple paths from `xstate/graph` for each kind of boot (enabled,
 *   disabled, temporary ID, malformed storage), replayed; after each step: at most one
 *   report and only at start, only when allowed; counters cleared only by a `result` answer;
 *   writes only on a save trigger, an acknowledgement, or a malformed boot; cbom ≤ bom.
 * - properties: the counters after any sequence equal a one-line-per-rule reference model
 *   (so cbom ≥ every consecutive run); an acknowledgement leaves exactly what was counted
 *   after the report left.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { transition } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { judge } from '../../../src/domain/response.js';
import { EMPTY_COUNTERS, MAX_ERROR_MESSAGE, restoreCounters, serializeCounters, type HealthCounters } from '../../../src/features/health-check/counters.js';
import { healthCheckMachine, type HealthCheckEvent, type HealthCheckInput } from '../../../src/features/health-check/machine.js';
import { emittedCommands } from '../../helpers/machines.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { answered, backoff, failed, input, problems, response, run, save, type Cmd, type Snap } from './helpers.js';

const stored = serializeCounters({ el: 1, wl: 1, sc: 500, em: 'x', bom: 1, cbom: 1 });

const MODEL_EVENTS: HealthCheckEvent[] = [
  problems(0, 1),
  response(503, 'down'),
  response(),
  backoff,
  save('session.updating'),
  save('session.ending'),
  save('app.hidden'),
  save('sdk.stopping'),
  answered(),
  answered(200, '{"ok":true}'),
  failed('network'),
  failed('withheld'),
  answered(200, '{"result":"Success"}', 'rc:1'),
];

const INPUTS: Record<string, HealthCheckInput> = {
  enabled: input({ stored }),
  disabled: input({ enabled: false, stored }),
  temporary: input({ temporaryId: true, stored }),
  malformed: input({ stored: '{oops' }),
};

/** Counts beyond 1 (runs beyond 2) add nothing to the chart: the shortest paths' abstraction. */
const fine = (s: Snap): string => {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    dirty: c.dirty,
    sent: c.sent,
    outcome: c.outcome,
    run: Math.min(c.run, 2),
    runEnding: c.runEnding,
    wl: Math.min(c.counters.wl, 1),
    failed: c.counters.sc !== -1,
    // What an acknowledgement leaves (the fresh counts) decides the state after it.
    fresh: c.fresh === null ? null : { wl: Math.min(c.fresh.wl, 1), failed: c.fresh.sc !== -1 },
  });
};

/** The report's life only: the simple paths' abstraction (finer ones have millions of simple paths). */
const coarse = (s: Snap): string =>
  JSON.stringify({
    value: s.value,
    dirty: s.context.dirty,
    sent: s.context.sent,
    outcome: s.context.outcome,
    failed: s.context.counters.sc !== -1,
    fresh: s.context.fresh === null ? null : { wl: s.context.fresh.wl > 0, failed: s.context.fresh.sc !== -1 },
  });
const SIMPLE_EVENTS = MODEL_EVENTS.filter((e) => e.type !== 'backoff.started' && !(e.type === 'session.updating'));

const covered = new Set<string>();

function replay(inp: HealthCheckInput, steps: ReadonlyArray<{ event: HealthCheckEvent; state: Snap }>, abstractState: (s: Snap) => string): void {
  const allowed = inp.enabled && !inp.temporaryId;
  let snap = steps[0]!.state;
  let reports = 0;
  for (const [i, step] of steps.entries()) {
    let cmds: Cmd[];
    if (i === 0) {
      // The first step is the start (`xstate.init`): its commands are the machine's first ones.
      cmds = run(inp).first;
      snap = step.state;
    } else {
      for (const t of takenTransitions(healthCheckMachine, snap, step.event)) covered.add(t);
      const before = snap;
      const [next, actions] = transition(healthCheckMachine, snap, step.event);
      snap = next;
      cmds = emittedCommands<Cmd>(actions);
      const e = step.event;
      const acknowledged = before.value === 'reporting' && e.type === 'direct.answered' && e.tag === 'hc:init' && judge({ kind: 'response', status: e.status, body: e.body, elapsedMs: 0 }).kind === 'delivered';
      if (!acknowledged && !['log.problems', 'transport.succeeded', 'backoff.started'].includes(e.type)) {
        expect(snap.context.counters, 'only an acknowledgement clears').toEqual(before.context.counters);
      }
      const saving = ['session.updating', 'session.ending', 'app.hidden', 'sdk.stopping'].includes(e.type);
      for (const c of cmds.filter((x) => x.type === 'storage.set')) {
        expect(saving || acknowledged, `a write on ${e.type}`).toBe(true);
        expect(c.key).toBe('HEALTH_CHECK');
      }
      if (saving && cmds.length > 0) expect(restoreCounters(cmds[0]!.type === 'storage.set' ? cmds[0]!.value : '').counters).toEqual(snap.context.counters);
    }
    reports += cmds.filter((c) => c.type === 'direct.request').length;
    if (i === 0) expect(reports, 'the report goes at start when allowed').toBe(allowed ? 1 : 0);
    else expect(cmds.filter((c) => c.type === 'direct.request'), 'no report after start').toEqual([]);
    const c = snap.context.counters;
    expect(c.cbom).toBeLessThanOrEqual(c.bom);
    expect(c.em.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(abstractState(snap), 'the replay follows the model').toBe(abstractState(step.state));
  }
}

describe('healthCheckMachine: model-based paths', () => {
  for (const [name, inp] of Object.entries(INPUTS)) {
    it(`${name}: every shortest path keeps the invariants`, () => {
      const paths = getShortestPaths(healthCheckMachine, { input: inp, events: MODEL_EVENTS, serializeState: fine });
      expect(paths.length).toBeGreaterThan(5);
      for (const p of paths) replay(inp, p.steps, fine);
    });
    it(`${name}: every simple path keeps the invariants`, () => {
      const paths = getSimplePaths(healthCheckMachine, { input: inp, events: SIMPLE_EVENTS, serializeState: coarse });
      expect(paths.length).toBeGreaterThan(name === 'enabled' || name === 'malformed' ? 50 : 2);
      for (const p of paths) replay(inp, p.steps, coarse);
    });
  }

  it('the paths cover every event transition', () => {
    expect([...allTransitions(healthCheckMachine)].filter((t) => !covered.has(t))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Properties against a reference model.

type Op =
  | { op: 'problems'; errors: number; warnings: number }
  | { op: 'response'; status: number; body: string }
  /** A delivered response that triggered a backoff: the response, then the backoff machine's broadcast. */
  | { op: 'trigger' }
  | { op: 'save' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('problems' as const), errors: fc.nat(3), warnings: fc.nat(3) }),
  fc.record({
    op: fc.constant('response' as const),
    status: fc.constantFrom(200, 200, 0, 400, 503, 1000),
    body: fc.oneof(fc.constant('{"result":"Success"}'), fc.constant('{"ok":1}'), fc.string({ maxLength: 1500 })),
  }),
  fc.constant({ op: 'trigger' as const }),
  fc.constant({ op: 'trigger' as const }),
  fc.constant({ op: 'save' as const }),
);

const eventsOf = (ops: Op[]): HealthCheckEvent[] =>
  ops.flatMap((o): HealthCheckEvent[] =>
    o.op === 'problems' ? [problems(o.errors, o.warnings)] : o.op === 'response' ? [response(o.status, o.body)] : o.op === 'trigger' ? [response(), backoff] : [save()],
  );

/** The rules written the obvious way, knowing at once whether a response triggered; also every run's length. */
function reference(ops: Op[], start: HealthCounters = EMPTY_COUNTERS): { counters: HealthCounters; runs: number[] } {
  const c = { ...start };
  let runLength = 0;
  const runs: number[] = [];
  for (const o of ops) {
    if (o.op === 'problems') {
      c.el += o.errors;
      c.wl += o.warnings;
    } else if (o.op === 'trigger') {
      c.bom += 1;
      runLength += 1;
      c.cbom = Math.max(c.cbom, runLength);
    } else if (o.op === 'response') {
      const v = judge({ kind: 'response', status: o.status, body: o.body, elapsedMs: 0 });
      if (v.kind !== 'delivered' && o.status > 0 && o.status < 1000) Object.assign(c, { sc: o.status, em: o.body.slice(0, 1000) });
      let delivered = false;
      try {
        const b = JSON.parse(o.body) as unknown;
        delivered = o.status >= 200 && o.status < 300 && typeof b === 'object' && b !== null && !Array.isArray(b) && 'result' in b;
      } catch {
        delivered = false;
      }
      if (delivered) {
        runs.push(runLength);
        runLength = 0;
      }
    }
  }
  runs.push(runLength);
  return { counters: c, runs };
}

/** Bodies of single code units: the reference's plain `slice` is then the spec's truncation. */
const plain = (ops: Op[]): Op[] => ops.map((o) => (o.op === 'response' ? { ...o, body: o.body.replace(/[\ud800-\udfff]/g, '?') } : o));

describe('healthCheckMachine: properties', () => {
  it('counters equal the reference model; cbom ≥ every consecutive run', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }).map(plain), (ops) => {
        const { snap } = run(input({ enabled: false, stored }), ...eventsOf(ops));
        const ref = reference(ops, restoreCounters(stored).counters);
        expect(snap.context.counters).toEqual(ref.counters);
        for (const r of ref.runs) expect(snap.context.counters.cbom).toBeGreaterThanOrEqual(r);
      }),
    );
  });

  it('an acknowledgement leaves exactly what was counted after the report left; any other answer keeps all', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }).map(plain), fc.array(opArb, { maxLength: 10 }).map(plain), fc.boolean(), (inFlight, after, ack) => {
        const answer = ack ? answered() : answered(200, '{"ok":true}');
        const { snap } = run(input({ stored }), ...eventsOf(inFlight), answer, ...eventsOf(after));
        const base = ack ? EMPTY_COUNTERS : restoreCounters(stored).counters;
        // The run counter is shared, so the after-part's runs continue the in-flight part's.
        const whole = reference([...inFlight, ...after], base).counters;
        if (!ack) expect(snap.context.counters).toEqual(whole);
        else expect(snap.context.counters).toEqual(reference([...inFlight, ...after]).counters);
      }),
    );
  });
});
