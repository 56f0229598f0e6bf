/** Shared fixtures of the session machine tests: inputs, events, pure runs and actors on a simulated clock. */
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { ConsentFeatures, type ConsentState, type Instant } from '../../../src/domain/types.js';
import { instantAt } from '../../../src/protocol/time.js';
import { sessionMachine, type SessionCommand, type SessionEvent, type SessionInput } from '../../../src/features/session/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof sessionMachine>;
export type Cmd = SessionCommand;

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
export const at = (ms: number): Instant => instantAt(T0 + ms);
export const consent = (given: boolean, over: Partial<ConsentState> = {}): ConsentState =>
  ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, given])), ...over }) as ConsentState;
export const ALL = consent(true);
export const NONE = consent(false);
export const TICK = 'xstate.after.updateInterval.session.running.timed';

export const input = (over: Partial<SessionInput> = {}): SessionInput => ({
  mode: 'automatic',
  updateIntervalSeconds: 60,
  foreground: true,
  startedAt: at(0),
  consent: ALL,
  location: {},
  settings: {},
  ...over,
});

const optionalAt = (ms?: number) => (ms === undefined ? {} : { at: at(ms) });

export const ev = {
  begin: (ms: number): SessionEvent => ({ type: 'session.begin', at: at(ms) }),
  update: (ms: number): SessionEvent => ({ type: 'session.update', at: at(ms) }),
  end: (ms: number): SessionEvent => ({ type: 'session.end', at: at(ms) }),
  /** `app.visible` / `app.hidden`: what the lifecycle machine broadcasts on 0→1 / 1→0. */
  fg: (ms: number): SessionEvent => ({ type: 'app.visible', at: at(ms) }),
  bg: (ms: number): SessionEvent => ({ type: 'app.hidden', at: at(ms) }),
  removeSessions: (ms?: number): SessionEvent[] => [
    { type: 'consent.changing', before: ALL, after: consent(true, { sessions: false }), ...optionalAt(ms) },
    { type: 'consent.changed', before: ALL, after: consent(true, { sessions: false }), ...optionalAt(ms) },
  ],
  giveSessions: (ms?: number): SessionEvent => ({ type: 'consent.changed', before: consent(true, { sessions: false }), after: ALL, ...optionalAt(ms) }),
  idChanging: (ms?: number): SessionEvent => ({ type: 'identity.changing', from: 'a', to: 'b', ...optionalAt(ms) }),
  idChanged: (merged: boolean, ms?: number): SessionEvent => ({
    type: 'identity.changed',
    deviceId: 'b',
    deviceIdType: 'DEVELOPER_SUPPLIED',
    merged,
    previousId: 'a',
    ...optionalAt(ms),
  }),
  /** Settings arrive decoded (invalid values: test/domain/behavior-settings.test.ts). */
  settings: (settings: BehaviorSettings, ms?: number): SessionEvent => ({ type: 'settings.updated', settings, ...optionalAt(ms) }),
};

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

/** Pure: feeds events through `transition()`. */
export function run(inp: SessionInput, ...events: SessionEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(sessionMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(sessionMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

/** An actor on a simulated clock starting at T0. */
export function startActor(inp: SessionInput) {
  const clock = simulatedClock(T0);
  const actor = createActor(sessionMachine, { clock, input: inp });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const now = () => instantAt(clock.now());
  return { actor, clock, cmds, now };
}

/** The session requests, as short strings. */
export function requests(cmds: Cmd[]): string[] {
  return cmds.flatMap((c) => {
    if (c.type !== 'request.enqueue') return [];
    const p = c.params;
    if (p.begin_session) return ['begin'];
    if (p.end_session) return [`end ${p.session_duration}`];
    return [`update ${p.session_duration}`];
  });
}
export const broadcasts = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event.type] : []));
export const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
export const running = (snap: { value: unknown }): boolean => typeof snap.value === 'object' && snap.value !== null && 'running' in snap.value;
