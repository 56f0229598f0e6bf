/** Shared fixtures of the backoff machine tests: inputs, responses, pure runs and actors on a simulated clock. */
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { backoffMachine, type BackoffCommand, type BackoffEvent, type BackoffInput } from '../../../src/features/backoff/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof backoffMachine>;
export type Cmd = BackoffCommand;

export const T0 = Date.UTC(2026, 0, 1);
export const OK_BODY = '{"result":"Success"}';
export const AFTER_PAUSE = 'xstate.after.backoffDuration.backoff.backingOff.pausing';

export const input = (over: Partial<BackoffInput> = {}): BackoffInput => ({ enabled: true, maxQueueSize: 1000, ...over });

export interface Response {
  elapsedMs?: number;
  queueLength?: number;
  /** completedAt − createdAt */
  ageMs?: number;
  status?: number;
  body?: string;
  completedAt?: number;
}
/** A response; by default one that triggers the backoff with the default settings. */
export const response = (r: Response = {}): BackoffEvent => {
  const completedAt = r.completedAt ?? T0;
  return {
    type: 'transport.succeeded',
    seq: 1,
    status: r.status ?? 200,
    body: r.body ?? OK_BODY,
    elapsedMs: r.elapsedMs ?? 10_000,
    createdAt: completedAt - (r.ageMs ?? 1000),
    completedAt,
    queueLength: r.queueLength ?? 0,
  };
};
export const slow = (over: Response = {}) => response(over);
export const fast = (over: Response = {}) => response({ elapsedMs: 50, ...over });
/** Settings arrive decoded (test/domain/behavior-settings.test.ts covers invalid values). */
export const settings = (s: BehaviorSettings): BackoffEvent => ({ type: 'settings.updated', settings: s });

export function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

export function run(inp: BackoffInput, ...events: BackoffEvent[]): { snap: Snap; cmds: Cmd[]; last: Cmd[] } {
  const [s0, a0] = initialTransition(backoffMachine, inp);
  let snap = s0;
  let last = commands(a0);
  const cmds = [...last];
  for (const e of events) {
    const [next, actions] = transition(backoffMachine, snap, e);
    snap = next;
    last = commands(actions);
    cmds.push(...last);
  }
  return { snap, cmds, last };
}

export const broadcasts = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event] : []));
export const logs = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'log' ? [c] : []));

export function startActor(inp: BackoffInput) {
  const clock = simulatedClock(T0);
  const actor = createActor(backoffMachine, { clock, input: inp });
  const seen: Array<{ at: number; cmd: Cmd }> = [];
  actor.on('*', (c) => seen.push({ at: clock.now(), cmd: c as Cmd }));
  actor.start();
  return { actor, clock, seen };
}

