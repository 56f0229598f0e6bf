/**
 * The request processor beyond the spec's retry rule: a request refused by an answer that
 * cannot heal is retried a bounded number of times with a growing cool-down, then moved aside
 * (`requests.deadLetter`), counted and logged as an error, so the queue moves on. 5xx, timeouts
 * and network errors keep the spec rule (SDK guide l. 327). Also: the server's `tracking` flag
 * the machine owns (spec l. 4836).
 */
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import {
  requestProcessorMachine,
  type RequestProcessorCommand,
  type RequestProcessorEvent,
  type RequestProcessorInput,
} from '../../../src/features/processor/machine.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof requestProcessorMachine>;
type Cmd = RequestProcessorCommand;
const COOLDOWN = 1000;
const input = (over: Partial<RequestProcessorInput> = {}): RequestProcessorInput => ({ retryCooldownMs: COOLDOWN, queueLength: 1, ...over });
const answer = (seq: number, status: number, body = '{"result":"Rejected"}'): RequestProcessorEvent => ({
  type: 'transport.succeeded',
  seq,
  status,
  body,
  elapsedMs: 1,
  createdAt: 0,
  completedAt: 1,
  queueLength: 2,
});
const commands = (actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] =>
  emittedCommands<Cmd>(actions);

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
const AFTER = { type: 'xstate.after.retryCooldown.requestProcessor.coolingDown' } as unknown as RequestProcessorEvent;

describe('processor: requests refused for good', () => {
  it('a 400 three times: two growing cool-downs, then moved aside, counted, logged as an error, next head asked for', () => {
    const first = run(input(), answer(5, 400));
    expect(first.snap.value).toBe('coolingDown');
    expect(first.snap.context).toMatchObject({ cooldownMs: COOLDOWN, rejections: { seq: 5, attempts: 1 } });
    expect(first.last[0]).toMatchObject({ type: 'log', level: 'warning' });
    const second = run(input(), answer(5, 400), AFTER, answer(5, 400));
    expect(second.snap.context).toMatchObject({ cooldownMs: 2 * COOLDOWN, rejections: { seq: 5, attempts: 2 } });
    const third = run(input(), answer(5, 400), AFTER, answer(5, 400), AFTER, answer(5, 400));
    expect(third.last.map((c) => c.type)).toEqual(['requests.deadLetter', 'log', 'transport.sendHead']);
    expect(third.last[0]).toEqual({ type: 'requests.deadLetter', seq: 5, reason: 'HTTP status 400, "Rejected"' });
    expect(third.last[1]).toMatchObject({ level: 'error', module: 'RequestProcessor' });
    expect(third.snap.value).toBe('sending');
    expect(third.snap.context).toMatchObject({ deadLetters: 1, rejections: null, cooldownMs: COOLDOWN, delivered: 0 });
    expect(third.cmds.filter((c) => c.type === 'requests.remove')).toEqual([]);
  });

  it('the growing cool-down is a real delay on the clock', () => {
    const clock = simulatedClock();
    const actor = createActor(requestProcessorMachine, { clock, input: input() });
    const sent: Cmd[] = [];
    actor.on('*', (c) => sent.push(c as Cmd));
    actor.start();
    const sends = () => sent.filter((c) => c.type === 'transport.sendHead').length;
    expect(sends()).toBe(1);
    actor.send(answer(1, 404));
    clock.advance(COOLDOWN);
    expect(sends()).toBe(2);
    actor.send(answer(1, 404));
    clock.advance(COOLDOWN);
    expect(sends()).toBe(2); // 2 × cool-down now
    clock.advance(COOLDOWN);
    expect(sends()).toBe(3);
    actor.send(answer(1, 404));
    expect(sent.filter((c) => c.type === 'requests.deadLetter')).toHaveLength(1);
    expect(sends()).toBe(4);
    actor.stop();
  });

  it("the server's checksum answer is moved aside at once (it would leave the queue anyway)", () => {
    const { last, snap } = run(input(), answer(2, 200, '{"result":"Request does not match checksum"}'));
    expect(last.map((c) => c.type)).toEqual(['requests.deadLetter', 'log', 'transport.sendHead']);
    expect(snap.context.deadLetters).toBe(1);
  });

  it('refusals count per request: another head starts again at 1', () => {
    const { snap } = run(input(), answer(1, 400), AFTER, answer(1, 400), AFTER, answer(2, 400));
    expect(snap.context.rejections).toEqual({ seq: 2, attempts: 1 });
  });

  it.each([
    ['a 500', answer(1, 500)],
    ['a 503', answer(1, 503)],
    ['a 429', answer(1, 429)],
    ['a 408', answer(1, 408)],
  ])('%s never moves a request aside: the spec rule, the plain cool-down', (_, result) => {
    const events = Array.from({ length: 10 }, () => [result, AFTER]).flat();
    const { cmds, snap } = run(input(), ...events);
    expect(cmds.some((c) => c.type === 'requests.deadLetter')).toBe(false);
    expect(snap.context.cooldownMs).toBe(COOLDOWN);
  });

  it('timeouts and network errors keep the spec rule', () => {
    const failed: RequestProcessorEvent = { type: 'transport.failed', seq: 1, reason: 'timeout', elapsedMs: 1, createdAt: 0, completedAt: 1, queueLength: 1 };
    const { cmds } = run(input(), ...Array.from({ length: 6 }, () => [failed, AFTER]).flat());
    expect(cmds.some((c) => c.type === 'requests.deadLetter')).toBe(false);
  });

  it('a flush is not failed by a request moved aside: it goes on to the next head and finishes unfailed', () => {
    const { cmds, snap } = run(
      input(),
      answer(1, 400),
      AFTER,
      answer(1, 400),
      { type: 'processor.flush', flushId: 1 },
      answer(1, 400),
      answer(2, 200, '{"result":"Success"}'),
      { type: 'transport.idle', queueLength: 0 },
    );
    expect(snap.context.deadLetters).toBe(1);
    expect(cmds).toContainEqual({ type: 'broadcast', event: { type: 'flush.finished', flushId: 1, delivered: 1, failed: false } });
  });
});

describe("processor: the server's tracking flag (spec l. 4836)", () => {
  const settings = (s: Partial<BehaviorSettings>): RequestProcessorEvent => ({ type: 'settings.updated', settings: s as BehaviorSettings });

  it('is off by default and at boot when the settings say so', () => {
    expect(run(input()).snap.context.trackingDisabled).toBe(false);
    expect(run(input({ trackingDisabled: true })).snap.context.trackingDisabled).toBe(true);
  });

  it('follows settings.updated, with one info log per change; a missing key changes nothing', () => {
    const off = run(input(), settings({ tracking: false }));
    expect(off.snap.context.trackingDisabled).toBe(true);
    expect(off.last).toContainEqual(expect.objectContaining({ type: 'log', level: 'info' }));
    const same = run(input(), settings({ tracking: false }), settings({ tracking: false }), settings({}));
    expect(same.snap.context.trackingDisabled).toBe(true);
    expect(same.last.filter((c) => c.type === 'log')).toEqual([]);
    expect(run(input(), settings({ tracking: false }), settings({ tracking: true })).snap.context.trackingDisabled).toBe(false);
  });
});
