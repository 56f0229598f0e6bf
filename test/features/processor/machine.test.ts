/**
 * The request processor: one send at a time, in queue order, removal only after delivery
 * (spec: Request Queue), cool-down after a failure, holds, and `queue.flush()` (API.md).
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands
 * - actor: `createActor` with a simulated clock, to follow the cool-down delay
 * - model: every shortest and simple path of the statechart replayed on an actor, checking
 *   the invariants after each step
 * - property: random traffic against a small queue model that plays the transport effect
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type AnyEventObject, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import {
  requestProcessorListensTo,
  requestProcessorMachine,
  type Hold,
  type RequestProcessorCommand,
  type RequestProcessorContext,
  type RequestProcessorEvent,
  type RequestProcessorInput,
} from '../../../src/features/processor/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof requestProcessorMachine>;
type Cmd = RequestProcessorCommand;

const COOLDOWN = 60_000;
const OK_BODY = '{"result":"Success"}';
const AFTER_COOLDOWN = 'xstate.after.retryCooldown.requestProcessor.coolingDown';

const input = (over: Partial<RequestProcessorInput> = {}): RequestProcessorInput => ({
  retryCooldownMs: COOLDOWN,
  queueLength: 0,
  ...over,
});

const succeeded = (seq: number, status = 200, body = OK_BODY): RequestProcessorEvent => ({
  type: 'transport.succeeded',
  seq,
  status,
  body,
  elapsedMs: 5,
  createdAt: 0,
  completedAt: 5,
  queueLength: 1,
});
const failed = (seq: number, reason = 'timeout'): RequestProcessorEvent => ({
  type: 'transport.failed',
  seq,
  reason,
  elapsedMs: 5,
  createdAt: 0,
  completedAt: 5,
  queueLength: 1,
});
const idle: RequestProcessorEvent = { type: 'transport.idle', queueLength: 0 };
/** The effect did not send: a hard hold arrived before the bytes left. */
const WITHHELD: RequestProcessorEvent = { ...(failed(0, 'withheld') as Extract<RequestProcessorEvent, { type: 'transport.failed' }>), withheld: true };
const changed = (requests: number): RequestProcessorEvent => ({ type: 'queue.changed', requests, events: 0 });
const flush = (flushId: number): RequestProcessorEvent => ({ type: 'processor.flush', flushId });
const hold = (reason: Hold): RequestProcessorEvent => ({ type: 'processor.hold', reason });
const release = (reason: Hold): RequestProcessorEvent => ({ type: 'processor.release', reason });

/** The commands among the actions `transition()` returned. */
function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

/** Feeds events one after the other through the pure transition function. */
function run(inp: RequestProcessorInput, ...events: RequestProcessorEvent[]): { snap: Snap; cmds: Cmd[]; last: Cmd[] } {
  const [s0, a0] = initialTransition(requestProcessorMachine, inp);
  let snap = s0;
  let last = commands(a0);
  const cmds = [...last];
  for (const e of events) {
    const [next, actions] = transition(requestProcessorMachine, snap, e);
    snap = next;
    last = commands(actions);
    cmds.push(...last);
  }
  return { snap, cmds, last };
}

const types = (cmds: Cmd[]): string[] => cmds.map((c) => (c.type === 'broadcast' ? `broadcast:${c.event.type}` : c.type));
const finishedOf = (cmds: Cmd[]) =>
  cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'flush.finished' ? [c.event] : []));
const hardHeld = (c: RequestProcessorContext): boolean => c.holds.some((h) => h !== 'backoff');

/** An actor on a simulated clock, with every command it emits collected. */
function startActor(inp: RequestProcessorInput) {
  const clock = simulatedClock();
  const actor = createActor(requestProcessorMachine, { clock, input: inp });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  return { actor, clock, cmds };
}

describe('requestProcessorMachine: unit', () => {
  it('listens to the hold and backoff broadcasts', () => {
    expect([...requestProcessorListensTo].sort()).toEqual(['app.exiting', 'backoff.ended', 'backoff.started', 'sending.hold', 'sending.release', 'settings.updated']);
  });

  it('starts idle with an empty queue and sends nothing', () => {
    const { snap, cmds } = run(input());
    expect(snap.value).toBe('idle');
    expect(cmds).toEqual([]);
    expect(snap.context).toMatchObject({ holds: [], queueLength: 0, delivered: 0, lastFailure: null, flushes: [] });
  });

  it('starts sending the head when requests were queued at boot', () => {
    const { snap, cmds } = run(input({ queueLength: 3 }));
    expect(snap.value).toBe('sending');
    expect(cmds).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
  });

  it('stays held while booting and starts once released', () => {
    const booting = run(input({ queueLength: 3, holds: ['booting'] }));
    expect(booting.snap.value).toBe('held');
    expect(booting.cmds).toEqual([]);
    const ready = run(input({ queueLength: 3, holds: ['booting'] }), release('booting'));
    expect(ready.snap.value).toBe('sending');
    expect(ready.last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
  });

  it('cleans the input: duplicate and unknown holds dropped, bad numbers replaced', () => {
    const { snap } = run({
      retryCooldownMs: Number.NaN,
      queueLength: -4,
      holds: ['offline', 'offline', 'nope' as Hold, 'booting'],
    });
    expect(snap.context.holds).toEqual(['offline', 'booting']);
    expect(snap.context.retryCooldownMs).toBe(60_000);
    expect(snap.context.queueLength).toBe(0);
    expect(run({ retryCooldownMs: -1, queueLength: 1.5 }).snap.context).toMatchObject({ retryCooldownMs: 60_000, queueLength: 0 });
  });

  it('wakes from idle on queue.changed with requests, not with an empty queue', () => {
    expect(run(input(), changed(0)).snap.value).toBe('idle');
    const woken = run(input(), changed(2));
    expect(woken.snap.value).toBe('sending');
    expect(woken.last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
    expect(woken.snap.context.queueLength).toBe(2);
  });

  it('removes a delivered request, then asks for the next head (remove first)', () => {
    const { snap, last } = run(input({ queueLength: 2 }), succeeded(7));
    expect(last).toEqual([{ type: 'requests.remove', seq: 7 }, { type: 'transport.sendHead', dropAgeHours: 0 }]);
    expect(snap.value).toBe('sending');
    expect(snap.context.delivered).toBe(1);
  });

  it.each([
    [201, '{"result":1,"other":true}'],
    [204, '{"result":"Error"}'],
    [299, '{"result":null}'],
  ])('a %i with %s is delivered (any "result" value counts)', (status, body) => {
    expect(run(input({ queueLength: 1 }), succeeded(3, status, body)).last[0]).toEqual({ type: 'requests.remove', seq: 3 });
  });

  it('goes idle when the effect finds the queue empty', () => {
    const { snap, last } = run(input({ queueLength: 1 }), succeeded(1), idle);
    expect(snap.value).toBe('idle');
    expect(last).toEqual([]);
    expect(snap.context.queueLength).toBe(0);
  });

  it.each([
    ['a 2xx without "result"', succeeded(4, 200, '{"ok":1}'), 'status 200, response has no "result"'],
    ['a 500', succeeded(4, 500, OK_BODY), 'HTTP status 500'],
    ['a 199', succeeded(4, 199, OK_BODY), 'HTTP status 199'],
    ['a 300', succeeded(4, 300, OK_BODY), 'HTTP status 300'],
    ['a 2xx with a non-JSON body', succeeded(4, 200, '<html>'), 'status 200, response is not JSON'],
    ['a 2xx with a JSON array', succeeded(4, 200, '[]'), 'status 200, response is not a JSON object'],
    ['a transport failure', failed(4, 'network error [reset]'), 'network error [reset]'],
  ])('keeps the request after %s and cools down', (_, result, reason) => {
    const { snap, last } = run(input({ queueLength: 1 }), result);
    expect(snap.value).toBe('coolingDown');
    expect(types(last)).toEqual(['log']);
    expect(last[0]).toMatchObject({ level: 'debug', module: 'RequestProcessor' });
    expect((last[0] as { message: string }).message).toContain(reason);
    expect(snap.context.lastFailure).toBe(reason);
    expect(snap.context.delivered).toBe(0);
  });

  it('clears the last failure once a request is delivered', () => {
    const { snap } = run(input({ queueLength: 1 }), failed(1), flush(1), succeeded(1));
    expect(snap.context.lastFailure).toBeNull();
  });

  it('remembers wake-ups while sending and sends again after an empty answer', () => {
    const { snap, cmds } = run(input(), changed(1), changed(2), idle);
    expect(types(cmds)).toEqual(['transport.sendHead', 'transport.sendHead']);
    expect(snap.value).toBe('sending');
  });

  it('never asks twice while a send is outstanding', () => {
    const { cmds } = run(input({ queueLength: 1 }), changed(2), flush(1), release('offline'), changed(3));
    expect(types(cmds)).toEqual(['transport.sendHead']);
  });

  it('ignores results with no send outstanding', () => {
    for (const e of [succeeded(3), failed(3), idle]) {
      const { snap, last } = run(input(), e);
      expect(snap.value).toBe('idle');
      expect(types(last)).toEqual(['log']);
      expect((last[0] as { message: string }).message).toContain('no send outstanding');
    }
  });

  describe('holds', () => {
    it('a hold while idle moves to held; release returns to idle with an empty queue', () => {
      const held = run(input(), hold('offline'));
      expect(held.snap.value).toBe('held');
      expect(run(input(), hold('offline'), release('offline')).snap.value).toBe('idle');
    });

    it('queued requests wait while held and go out on release', () => {
      const { snap, cmds } = run(input(), { type: 'sending.hold', reason: 'temporary-id' }, changed(3));
      expect(snap.value).toBe('held');
      expect(cmds).toEqual([]);
      const released = run(input(), { type: 'sending.hold', reason: 'temporary-id' }, changed(3), {
        type: 'sending.release',
        reason: 'temporary-id',
      });
      expect(released.last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
    });

    it('stays held until every hold is released', () => {
      const { snap } = run(input({ queueLength: 2 }), hold('offline'), succeeded(1), hold('networking-disabled'), release('offline'));
      expect(snap.value).toBe('held');
      expect(snap.context.holds).toEqual(['networking-disabled']);
    });

    it('a hold during a send lets that send finish, then holds', () => {
      const { snap, last } = run(input({ queueLength: 2 }), hold('offline'), succeeded(1));
      expect(last).toEqual([{ type: 'requests.remove', seq: 1 }]);
      expect(snap.value).toBe('held');
    });

    it('records the backoff pause as a hold and resumes when it ends', () => {
      const started = run(input({ queueLength: 3 }), { type: 'backoff.started', untilMs: 1234 }, succeeded(1));
      expect(started.snap.value).toBe('held');
      expect(started.snap.context).toMatchObject({ holds: ['backoff'], backoffUntilMs: 1234 });
      const ended = run(input({ queueLength: 3 }), { type: 'backoff.started', untilMs: 1234 }, succeeded(1), { type: 'backoff.ended' });
      expect(ended.last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
      expect(ended.snap.context).toMatchObject({ holds: [], backoffUntilMs: null });
    });

    it('a second hold with the same reason is kept once', () => {
      const { snap } = run(input(), hold('offline'), { type: 'sending.hold', reason: 'offline' });
      expect(snap.context.holds).toEqual(['offline']);
    });

    it('warns about an unknown hold reason and changes nothing', () => {
      const h = run(input(), { type: 'processor.hold', reason: 'lunch' as Hold });
      expect(h.snap.context.holds).toEqual([]);
      expect(h.last).toEqual([
        { type: 'log', level: 'warning', module: 'RequestProcessor', message: 'hold, unknown reason [lunch] ignored' },
      ]);
      const r = run(input(), hold('offline'), { type: 'processor.release', reason: 'lunch' as Hold });
      expect(r.snap.context.holds).toEqual(['offline']);
      expect((r.last[0] as { message: string }).message).toBe('release, unknown reason [lunch] ignored');
    });
  });

  describe('flush', () => {
    it('from idle: sends until the queue is empty, then reports the deliveries', () => {
      const { snap, cmds } = run(input(), flush(1), succeeded(1), succeeded(2), idle);
      expect(types(cmds)).toEqual([
        'transport.sendHead',
        'requests.remove',
        'transport.sendHead',
        'requests.remove',
        'transport.sendHead',
        'broadcast:flush.finished',
      ]);
      expect(finishedOf(cmds)).toEqual([{ type: 'flush.finished', flushId: 1, delivered: 2, failed: false }]);
      expect(snap.value).toBe('idle');
      expect(snap.context.flushes).toEqual([]);
    });

    it('stops at the first failed send and reports it', () => {
      const { snap, cmds } = run(input(), flush(9), succeeded(1), failed(2));
      expect(finishedOf(cmds)).toEqual([{ type: 'flush.finished', flushId: 9, delivered: 1, failed: true }]);
      expect(snap.value).toBe('coolingDown');
    });

    it('skips the cool-down', () => {
      const { snap, last } = run(input({ queueLength: 1 }), failed(1), flush(1));
      expect(snap.value).toBe('sending');
      expect(last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
    });

    it('skips the backoff pause, and the pause holds again once the flush is done', () => {
      const s = run(input({ queueLength: 2 }), { type: 'backoff.started', untilMs: 5 }, succeeded(1));
      expect(s.snap.value).toBe('held');
      const f = run(input({ queueLength: 2 }), { type: 'backoff.started', untilMs: 5 }, succeeded(1), flush(1));
      expect(f.last).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
      const done = run(input({ queueLength: 2 }), { type: 'backoff.started', untilMs: 5 }, succeeded(1), flush(1), succeeded(2), idle);
      expect(finishedOf(done.last)).toEqual([{ type: 'flush.finished', flushId: 1, delivered: 1, failed: false }]);
      expect(done.snap.value).toBe('held');
    });

    it.each<Hold>(['temporary-id', 'offline', 'networking-disabled', 'booting'])(
      'sends nothing under the %s hold and finishes at once',
      (reason) => {
        const { snap, last } = run(input({ queueLength: 4, holds: [reason] }), flush(3));
        expect(snap.value).toBe('held');
        expect(types(last)).toEqual(['log', 'broadcast:flush.finished']);
        expect(last[0]).toMatchObject({ level: 'debug', message: `flush, nothing sent while held [${reason}]` });
        expect(finishedOf(last)).toEqual([{ type: 'flush.finished', flushId: 3, delivered: 0, failed: false }]);
      },
    );

    it('a hard hold during a flush ends it after the outstanding send', () => {
      const { snap, cmds, last } = run(input(), flush(1), succeeded(1), hold('offline'), succeeded(2));
      expect(types(last)).toEqual(['requests.remove', 'log', 'broadcast:flush.finished']);
      expect(finishedOf(cmds)).toEqual([{ type: 'flush.finished', flushId: 1, delivered: 2, failed: false }]);
      expect(snap.value).toBe('held');
    });

    it('a hard hold during a failing flush send ends the waiting flush too', () => {
      const { snap, cmds } = run(input(), flush(1), flush(2), hold('offline'), failed(1));
      expect(finishedOf(cmds)).toEqual([
        { type: 'flush.finished', flushId: 1, delivered: 0, failed: true },
        { type: 'flush.finished', flushId: 2, delivered: 0, failed: false },
      ]);
      expect(snap.value).toBe('coolingDown');
      expect(snap.context.flushes).toEqual([]);
    });

    it('a flush asked for during a send covers the next sends, not that one', () => {
      // The send under way fails; the flush still makes its own attempt, at once.
      const { snap, cmds } = run(input({ queueLength: 1 }), flush(5), failed(1));
      expect(finishedOf(cmds)).toEqual([]);
      expect(types(cmds)).toEqual(['transport.sendHead', 'log', 'transport.sendHead']);
      expect(snap.value).toBe('sending');
      const done = run(input({ queueLength: 1 }), flush(5), failed(1), succeeded(1), idle);
      expect(finishedOf(done.cmds)).toEqual([{ type: 'flush.finished', flushId: 5, delivered: 1, failed: false }]);
    });

    it('an empty answer to a send that predates a flush does not end it', () => {
      const { cmds, snap } = run(input(), changed(1), flush(2), idle);
      expect(finishedOf(cmds)).toEqual([]);
      expect(snap.value).toBe('sending');
      expect(snap.context.flushes).toEqual([{ flushId: 2, delivered: 0, armed: true }]);
    });

    it('overlapping flushes each get their own report', () => {
      const { cmds } = run(input(), flush(1), flush(2), succeeded(1), succeeded(2), idle);
      expect(finishedOf(cmds)).toEqual([
        { type: 'flush.finished', flushId: 1, delivered: 2, failed: false },
        { type: 'flush.finished', flushId: 2, delivered: 1, failed: false },
      ]);
    });

    it('a failure ends the covering flush and lets the newer one try at once', () => {
      const { cmds, snap } = run(input(), flush(1), flush(2), failed(1), succeeded(1), idle);
      expect(finishedOf(cmds)).toEqual([
        { type: 'flush.finished', flushId: 1, delivered: 0, failed: true },
        { type: 'flush.finished', flushId: 2, delivered: 1, failed: false },
      ]);
      expect(snap.value).toBe('idle');
    });
  });
});

describe('requestProcessorMachine: actor with a simulated clock', () => {
  it('waits the cool-down before trying the same request again', () => {
    const { actor, clock, cmds } = startActor(input({ queueLength: 1 }));
    actor.send(failed(1));
    expect(actor.getSnapshot().value).toBe('coolingDown');
    clock.advance(COOLDOWN - 1);
    expect(types(cmds)).toEqual(['transport.sendHead', 'log']);
    clock.advance(1);
    expect(types(cmds)).toEqual(['transport.sendHead', 'log', 'transport.sendHead']);
    actor.send(succeeded(1));
    expect(cmds.at(-2)).toEqual({ type: 'requests.remove', seq: 1 });
    actor.stop();
  });

  it('a flush during the cool-down cancels it: no second send when it would have ended', () => {
    const { actor, clock, cmds } = startActor(input({ queueLength: 1 }));
    actor.send(failed(1));
    actor.send(flush(1));
    expect(types(cmds).filter((t) => t === 'transport.sendHead')).toHaveLength(2);
    clock.advance(COOLDOWN * 2);
    expect(types(cmds).filter((t) => t === 'transport.sendHead')).toHaveLength(2);
    actor.stop();
  });

  it('a hold during the cool-down keeps it; afterwards the processor is held', () => {
    const { actor, clock, cmds } = startActor(input({ queueLength: 1 }));
    actor.send(failed(1));
    actor.send(hold('networking-disabled'));
    clock.advance(COOLDOWN);
    expect(actor.getSnapshot().value).toBe('held');
    actor.send(release('networking-disabled'));
    expect(types(cmds).filter((t) => t === 'transport.sendHead')).toHaveLength(2);
    actor.stop();
  });

  it('a release during the cool-down does not cut it short', () => {
    const { actor, clock, cmds } = startActor(input({ queueLength: 1 }));
    actor.send(failed(1));
    actor.send(hold('offline'));
    actor.send(release('offline'));
    expect(actor.getSnapshot().value).toBe('coolingDown');
    clock.advance(COOLDOWN);
    expect(types(cmds).filter((t) => t === 'transport.sendHead')).toHaveLength(2);
    actor.stop();
  });

  it('the queue emptied during the cool-down: nothing to retry', () => {
    const { actor, clock } = startActor(input({ queueLength: 1 }));
    actor.send(failed(1));
    actor.send(changed(0));
    clock.advance(COOLDOWN);
    expect(actor.getSnapshot().value).toBe('idle');
    actor.stop();
  });

  it('the cool-down comes from the input', () => {
    const { actor, clock, cmds } = startActor(input({ queueLength: 1, retryCooldownMs: 500 }));
    actor.send(failed(1));
    clock.advance(500);
    expect(types(cmds).filter((t) => t === 'transport.sendHead')).toHaveLength(2);
    actor.stop();
  });
});

// ---------------------------------------------------------------------------------------
// Model-based: walk the statechart's paths and replay each on an actor.

/** Representative events; flush ids and result seqs are made concrete by the replay. */
const MODEL_EVENTS: RequestProcessorEvent[] = [
  changed(1),
  changed(0),
  { type: 'sending.hold', reason: 'offline' },
  { type: 'sending.release', reason: 'offline' },
  { type: 'backoff.started', untilMs: 1 },
  { type: 'backoff.ended' },
  flush(0),
  succeeded(0),
  succeeded(0, 500),
  failed(0),
  WITHHELD,
  idle,
  { type: AFTER_COOLDOWN } as unknown as RequestProcessorEvent,
];
const RESULT_TYPES = new Set(['transport.succeeded', 'transport.failed', 'transport.idle']);

/** States that differ only in counters are the same state of the model. */
function abstractState(snap: Snap): string {
  const c = snap.context;
  return JSON.stringify({
    value: snap.value,
    holds: [...c.holds].sort(),
    wake: c.wake,
    flushes: c.flushes.map((f) => f.armed),
  });
}

const modelOptions = {
  input: input({ queueLength: 1 }),
  events: MODEL_EVENTS,
  serializeState: (s: Snap) => abstractState(s),
  // Results only answer a send; at most two flushes at once keep the model finite.
  filterEvents: (s: Snap, e: RequestProcessorEvent) => {
    if (RESULT_TYPES.has(e.type)) return s.value === 'sending';
    if ((e.type as string) === AFTER_COOLDOWN) return s.value === 'coolingDown';
    if (e.type === 'processor.flush') return s.context.flushes.length < 2;
    return true;
  },
};

interface Replay {
  cmds: Cmd[];
  flushesAsked: number[];
}

/** Replays one path on a live actor, checking the invariants after every step. */
function replay(steps: ReadonlyArray<{ event: RequestProcessorEvent; state: Snap }>): Replay {
  const { actor, clock, cmds } = startActor(modelOptions.input);
  let outstanding = cmds.filter((c) => c.type === 'transport.sendHead').length;
  let nextSeq = 1;
  let head = nextSeq; // the seq the outstanding send carries
  let nextFlush = 1;
  const flushesAsked: number[] = [];
  const check = (before: number, step: AnyEventObject, delivered: number | null) => {
    const fresh = cmds.slice(before);
    const snap = actor.getSnapshot();
    const sends = fresh.filter((c) => c.type === 'transport.sendHead').length;
    if (RESULT_TYPES.has(step.type)) outstanding -= 1;
    outstanding += sends;
    expect(outstanding, 'at most one send outstanding').toBeLessThanOrEqual(1);
    expect(outstanding, 'no result without a send').toBeGreaterThanOrEqual(0);
    if (sends > 0) expect(hardHeld(snap.context), 'nothing sent while a hard hold is active').toBe(false);
    const removes = fresh.filter((c) => c.type === 'requests.remove');
    if (delivered === null) expect(removes, 'remove only after a delivered result').toEqual([]);
    else expect(removes).toEqual([{ type: 'requests.remove', seq: delivered }]);
    if (snap.context.flushes.length > 0) expect(snap.value, 'flushes run only while sending').toBe('sending');
    expect(snap.value === 'sending').toBe(outstanding === 1);
  };
  for (const step of steps) {
    const before = cmds.length;
    let delivered: number | null = null;
    const e = step.event;
    if ((e.type as string) === AFTER_COOLDOWN) {
      clock.advance(COOLDOWN);
    } else if (e.type === 'processor.flush') {
      flushesAsked.push(nextFlush);
      actor.send(flush(nextFlush++));
    } else if (e.type === 'transport.succeeded') {
      const ev = { ...e, seq: head };
      if (e.status === 200) {
        delivered = head;
        head = ++nextSeq;
      }
      actor.send(ev);
    } else if (e.type === 'transport.failed') {
      actor.send({ ...e, seq: head });
    } else {
      actor.send(e);
    }
    check(before, e, delivered);
    expect(abstractState(actor.getSnapshot()), 'the actor follows the model').toBe(abstractState(step.state));
  }
  // Drain: answer every send with an empty queue; every flush must then be over.
  for (let i = 0; i < 5 && outstanding === 1; i++) {
    const before = cmds.length;
    actor.send(idle);
    outstanding = cmds.slice(before).filter((c) => c.type === 'transport.sendHead').length;
  }
  expect(outstanding).toBe(0);
  const snap = actor.getSnapshot();
  expect(snap.context.flushes).toEqual([]);
  actor.stop();
  return { cmds, flushesAsked };
}

function checkFlushes({ cmds, flushesAsked }: Replay): void {
  const ids = finishedOf(cmds).map((f) => f.flushId);
  expect([...ids].sort((a, b) => a - b), 'every flush ends with exactly one flush.finished').toEqual(flushesAsked);
}

describe('requestProcessorMachine: model-based paths', () => {
  const shortest = getShortestPaths(requestProcessorMachine, modelOptions);

  it('reaches every state of the chart', () => {
    const values = new Set(shortest.map((p) => String(p.state.value)));
    expect([...values].sort()).toEqual(['coolingDown', 'held', 'idle', 'sending']);
    expect(shortest.length).toBeGreaterThan(40);
  });

  it('every shortest path keeps the invariants', () => {
    for (const path of shortest) checkFlushes(replay(path.steps));
  });

  // Simple paths grow exponentially with the events: two smaller models, each complete.
  const CORE = MODEL_EVENTS.filter(
    (e) =>
      !['backoff.started', 'backoff.ended', 'processor.flush', 'transport.failed'].includes(e.type) &&
      !(e.type === 'queue.changed' && e.requests === 0),
  );
  // The withheld result is covered by the shortest paths; in simple paths it would only multiply them.
  const WITH = (...extra: RequestProcessorEvent['type'][]) =>
    MODEL_EVENTS.filter((e) => e !== WITHHELD && (CORE.includes(e) || extra.includes(e.type)));

  it('every simple path through holds and the backoff pause keeps the invariants', () => {
    const simple = getSimplePaths(requestProcessorMachine, { ...modelOptions, events: WITH('backoff.started', 'backoff.ended') });
    expect(simple.length).toBeGreaterThan(1000);
    for (const path of simple) checkFlushes(replay(path.steps));
  });

  it('every simple path with one flush at a time keeps the invariants', () => {
    const simple = getSimplePaths(requestProcessorMachine, {
      ...modelOptions,
      events: WITH('processor.flush', 'transport.failed'),
      filterEvents: (s: Snap, e: RequestProcessorEvent) =>
        modelOptions.filterEvents(s, e) && (e.type !== 'processor.flush' || s.context.flushes.length === 0),
    });
    expect(simple.length).toBeGreaterThan(500);
    for (const path of simple) checkFlushes(replay(path.steps));
  });
});

// ---------------------------------------------------------------------------------------
// Properties: random traffic against a queue model that plays the transport effect.

const STATUSES = [200, 201, 204, 299, 199, 300, 301, 400, 404, 429, 500, 503];
const BODIES = ['{"result":"Success"}', '{"result":0,"x":[1]}', '{}', '[]', 'null', '', 'Success', '{"error":"x"}', '"result"'];

/** The success rule written independently of the machine (spec: Request Queue). */
function oracleDelivered(status: number, body: string): boolean {
  if (status < 200 || status > 299) return false;
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && 'result' in v;
  } catch {
    return false;
  }
}

type Op =
  | { op: 'enqueue'; n: number }
  | { op: 'hold'; reason: Hold; broadcast: boolean }
  | { op: 'release'; reason: Hold; broadcast: boolean }
  | { op: 'respond'; status: number; body: string }
  | { op: 'fail' }
  | { op: 'flush' }
  | { op: 'advance'; ms: number };

const holdArb = fc.constantFrom<Hold>('temporary-id', 'offline', 'networking-disabled', 'backoff', 'booting');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((n) => ({ op: 'enqueue' as const, n })) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('hold' as const), reason: holdArb, broadcast: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), reason: holdArb, broadcast: fc.boolean() }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('respond' as const), status: fc.constantFrom(...STATUSES), body: fc.constantFrom(...BODIES) }),
  },
  { weight: 2, arbitrary: fc.constant({ op: 'fail' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 * COOLDOWN }).map((ms) => ({ op: 'advance' as const, ms })) },
);

/** The queue effect and transport effect, played on an array of seqs. */
class Harness {
  readonly clock = simulatedClock();
  readonly actor;
  queue: number[] = [];
  nextSeq = 1;
  /** The seq the outstanding send carries; `null` for an empty read; `undefined` for none. */
  inflight: number | null | undefined = undefined;
  removed: number[] = [];
  flushesAsked: number[] = [];
  finished = new Map<number, number>();
  nextFlush = 1;
  /** The seq of the last delivered result not yet followed by its removal. */
  expectRemove: number | null = null;
  private readonly pending: RequestProcessorEvent[] = [];
  private pumping = false;

  constructor(holds: Hold[]) {
    this.actor = createActor(requestProcessorMachine, { clock: this.clock, input: { retryCooldownMs: COOLDOWN, queueLength: 0, holds } });
    this.actor.on('*', (c) => this.perform(c as Cmd));
    this.actor.start();
  }

  /** Broken invariants, collected: a listener must not throw into the actor. */
  readonly violations: string[] = [];
  private must(ok: boolean, what: string): void {
    if (!ok) this.violations.push(what);
  }

  private perform(c: Cmd): void {
    const ctx = this.actor.getSnapshot().context;
    switch (c.type) {
      case 'transport.sendHead':
        this.must(this.inflight === undefined, 'at most one outstanding send');
        this.must(!hardHeld(ctx), 'no send while hard held');
        this.must(!ctx.holds.includes('backoff') || ctx.flushes.length > 0, 'backoff holds unless flushing');
        this.inflight = this.queue[0] ?? null;
        // The effect answers an empty read by itself.
        if (this.inflight === null) this.later({ type: 'transport.idle', queueLength: 0 });
        break;
      case 'requests.remove':
        this.must(c.seq === this.expectRemove, `remove ${c.seq} only right after a delivered result for it`);
        this.must(this.queue[0] === c.seq, `FIFO: only the head leaves, not ${c.seq}`);
        this.expectRemove = null;
        this.queue.shift();
        this.removed.push(c.seq);
        this.later({ type: 'queue.changed', requests: this.queue.length, events: 0 });
        break;
      case 'broadcast':
        if (c.event.type === 'flush.finished') {
          const id = c.event.flushId;
          this.finished.set(id, (this.finished.get(id) ?? 0) + 1);
        }
        break;
      case 'log':
        break;
    }
  }

  /** Effects answer asynchronously: results go in after the current step. */
  private later(e: RequestProcessorEvent): void {
    this.pending.push(e);
  }

  private send(e: RequestProcessorEvent): void {
    this.actor.send(e);
    if (this.pumping) return;
    this.pumping = true;
    while (this.pending.length > 0) {
      const next = this.pending.shift()!;
      if (next.type === 'transport.idle') this.inflight = undefined;
      this.actor.send(next);
    }
    this.pumping = false;
  }

  apply(op: Op): void {
    switch (op.op) {
      case 'enqueue':
        for (let i = 0; i < op.n; i++) this.queue.push(this.nextSeq++);
        this.send({ type: 'queue.changed', requests: this.queue.length, events: 0 });
        break;
      case 'hold':
        if (op.broadcast && (op.reason === 'offline' || op.reason === 'temporary-id'))
          this.send({ type: 'sending.hold', reason: op.reason });
        else if (op.broadcast && op.reason === 'backoff') this.send({ type: 'backoff.started', untilMs: this.clock.now() + 1000 });
        else this.send(hold(op.reason));
        break;
      case 'release':
        if (op.broadcast && (op.reason === 'offline' || op.reason === 'temporary-id'))
          this.send({ type: 'sending.release', reason: op.reason });
        else if (op.broadcast && op.reason === 'backoff') this.send({ type: 'backoff.ended' });
        else this.send(release(op.reason));
        break;
      case 'respond':
        this.respond(op.status, op.body);
        break;
      case 'fail':
        if (typeof this.inflight !== 'number') break;
        {
          const seq = this.inflight;
          this.inflight = undefined;
          this.send(failed(seq, 'timeout'));
        }
        break;
      case 'flush':
        this.flushesAsked.push(this.nextFlush);
        this.send(flush(this.nextFlush++));
        break;
      case 'advance':
        this.clock.advance(op.ms);
        break;
    }
  }

  respond(status: number, body: string): void {
    if (typeof this.inflight !== 'number') return;
    const seq = this.inflight;
    this.inflight = undefined;
    if (oracleDelivered(status, body)) this.expectRemove = seq;
    const removedBefore = this.removed.length;
    this.send(succeeded(seq, status, body));
    // A delivered request leaves at once; any other answer keeps it.
    expect(this.removed.length - removedBefore).toBe(oracleDelivered(status, body) ? 1 : 0);
    expect(this.expectRemove).toBeNull();
  }

  /** The server heals and every hold is lifted: everything must go out, in order. */
  drain(): void {
    for (const h of ['temporary-id', 'offline', 'networking-disabled', 'backoff', 'booting'] as Hold[]) this.send(release(h));
    for (let i = 0; i < 1000 && (this.queue.length > 0 || this.inflight !== undefined); i++) {
      if (typeof this.inflight === 'number') this.respond(200, OK_BODY);
      else this.clock.advance(COOLDOWN);
    }
  }
}

describe('requestProcessorMachine: properties', () => {
  it('FIFO, nothing lost, one send at a time, no send while held, every flush resolves', () => {
    fc.assert(
      fc.property(fc.subarray<Hold>(['booting', 'offline'], { minLength: 0 }), fc.array(opArb, { maxLength: 60 }), (holds, ops) => {
        const h = new Harness(holds);
        for (const op of ops) {
          h.apply(op);
          expect(h.violations).toEqual([]);
          const snap = h.actor.getSnapshot();
          expect(snap.status).toBe('active');
          // Nothing lost: every seq is either removed or still queued, in order.
          expect([...h.removed, ...h.queue]).toEqual(Array.from({ length: h.nextSeq - 1 }, (_, i) => i + 1));
          // A flush is open only while its send is out.
          if (snap.context.flushes.length > 0) expect(snap.value).toBe('sending');
        }
        h.drain();
        expect(h.violations).toEqual([]);
        expect(h.queue).toEqual([]);
        expect(h.removed).toEqual(Array.from({ length: h.nextSeq - 1 }, (_, i) => i + 1));
        expect(h.actor.getSnapshot().value).toBe('idle');
        expect(h.actor.getSnapshot().context.delivered).toBe(h.removed.length);
        // Every flush asked for finished exactly once.
        for (const id of h.flushesAsked) expect(h.finished.get(id), `flush ${id}`).toBe(1);
        expect([...h.finished.keys()].sort((a, b) => a - b)).toEqual(h.flushesAsked);
        h.actor.stop();
      }),
      { numRuns: 300 },
    );
  });

  it('a flush with no hard hold delivers everything queued when the server answers well', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.boolean(), (n, backoff) => {
        const h = new Harness(backoff ? ['backoff'] : []);
        h.apply({ op: 'enqueue', n: Math.max(n, 1) });
        h.apply({ op: 'flush' });
        for (let i = 0; i < 20 && h.inflight !== undefined; i++) h.respond(200, OK_BODY);
        expect(h.finished.get(1)).toBe(1);
        expect(h.queue).toEqual([]);
        h.actor.stop();
      }),
      { numRuns: 50 },
    );
  });
});

describe('requestProcessorMachine: a send withheld by a hold', () => {
  it('is no failure: no cool-down, no lost flush as failed; the head goes when the hold is released', () => {
    const clock = simulatedClock();
    const actor = createActor(requestProcessorMachine, { input: { retryCooldownMs: 60_000, queueLength: 1 }, clock });
    const cmds: RequestProcessorCommand[] = [];
    actor.on('*', (c) => cmds.push(c as RequestProcessorCommand));
    actor.start();
    expect(actor.getSnapshot().value).toBe('sending');
    actor.send({ type: 'processor.flush', flushId: 7 });
    actor.send({ type: 'sending.hold', reason: 'temporary-id' });
    actor.send({ ...WITHHELD, seq: 1 });
    expect(actor.getSnapshot().value).toBe('held');
    expect(actor.getSnapshot().context.lastFailure).toBeNull();
    expect(cmds).toContainEqual({ type: 'broadcast', event: { type: 'flush.finished', flushId: 7, delivered: 0, failed: false } });
    const before = cmds.filter((c) => c.type === 'transport.sendHead').length;
    actor.send({ type: 'sending.release', reason: 'temporary-id' });
    // At once, not after the 60 s cool-down.
    expect(actor.getSnapshot().value).toBe('sending');
    expect(cmds.filter((c) => c.type === 'transport.sendHead').length).toBe(before + 1);
    actor.stop();
  });
});
