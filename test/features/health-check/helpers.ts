/** Shared fixtures of the health-check machine tests: inputs, events, pure runs. */
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import {
  healthCheckMachine,
  type HealthCheckCommand,
  type HealthCheckEvent,
  type HealthCheckInput,
} from '../../../src/features/health-check/machine.js';
import { HC_TAG } from '../../../src/features/health-check/counters.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof healthCheckMachine>;
export type Cmd = HealthCheckCommand;

export const input = (over: Partial<HealthCheckInput> = {}): HealthCheckInput => ({
  enabled: true,
  temporaryId: false,
  appVersion: '1.0.0',
  stored: undefined,
  ...over,
});

const AT = { timestamp: 1_767_225_600_000, hour: 0, dow: 4, tz: 0 };

/** A queued request's answer (default: delivered). */
export const response = (status = 200, body = '{"result":"Success"}'): HealthCheckEvent => ({
  type: 'transport.succeeded',
  seq: 1,
  status,
  body,
  elapsedMs: 10,
  createdAt: 0,
  completedAt: 10,
  queueLength: 0,
});
export const backoff: HealthCheckEvent = { type: 'backoff.started', untilMs: 60_000 };
export const problems = (errors: number, warnings: number): HealthCheckEvent => ({ type: 'log.problems', errors, warnings });
export const answered = (status = 200, body = '{"result":"Success"}', tag = HC_TAG): HealthCheckEvent => ({ type: 'direct.answered', tag, status, body });
export const failed = (kind: 'withheld' | 'network' = 'network', tag = HC_TAG): HealthCheckEvent => ({ type: 'direct.failed', tag, kind, reason: kind });
export const save = (type: 'session.updating' | 'session.ending' | 'app.hidden' | 'sdk.stopping' = 'session.updating'): HealthCheckEvent => ({ type, at: AT });

export function run(inp: HealthCheckInput, ...events: HealthCheckEvent[]): { snap: Snap; cmds: Cmd[]; first: Cmd[]; last: Cmd[] } {
  const [s0, a0] = initialTransition(healthCheckMachine, inp);
  let snap = s0;
  const first = emittedCommands<Cmd>(a0);
  let last = first;
  const cmds = [...first];
  for (const e of events) {
    const [next, actions] = transition(healthCheckMachine, snap, e);
    snap = next;
    last = emittedCommands<Cmd>(actions);
    cmds.push(...last);
  }
  return { snap, cmds, first, last };
}

export const requests = (cmds: Cmd[]) => cmds.filter((c) => c.type === 'direct.request');
export const writes = (cmds: Cmd[]) => cmds.filter((c) => c.type === 'storage.set');
