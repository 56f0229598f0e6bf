/**
 * Shared helpers of the view machine tests: inputs, event builders, pure runs of the
 * machine, readers of the commands, and the ledger that checks recorded view events.
 */
import { expect } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { DEFAULT_LIMITS } from '../../../src/config.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { ConsentFeatures, type ConsentState, type Instant, type Segmentation } from '../../../src/domain/types.js';
import type { RecordInternalEventCommand } from '../../../src/effects/commands.js';
import { viewMachine, type ViewCommand, type ViewEvent, type ViewInput } from '../../../src/features/views/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof viewMachine>;
export type Cmd = ViewCommand;

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
export const at = (ms: number): Instant => instantAt(T0 + ms);
export const consent = (given: boolean, over: Partial<ConsentState> = {}): ConsentState =>
  ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, given])), ...over }) as ConsentState;
export const ALL = consent(true);
export const NO_VIEWS = consent(true, { views: false });

export const input = (over: Partial<ViewInput> = {}): ViewInput => ({
  platformName: 'Android',
  consent: ALL,
  limits: { ...DEFAULT_LIMITS },
  globalSegmentation: {},
  restartManualViews: true,
  trackOrientation: true,
  previousNameRecording: false,
  foreground: true,
  orientation: null,
  idSeed: 'seed',
  settings: {},
  ...over,
});

export const ev = {
  auto: (id: string, name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.startAutoStopped',
    id,
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  start: (id: string, name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.start',
    id,
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  stopByName: (name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.stopByName',
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  stopById: (id: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.stopById',
    id,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  pause: (id: string, ms: number): ViewEvent => ({ type: 'views.pause', id, at: at(ms) }),
  resume: (id: string, ms: number): ViewEvent => ({ type: 'views.resume', id, at: at(ms) }),
  stopAll: (ms: number, segmentation?: Segmentation): ViewEvent => ({ type: 'views.stopAll', at: at(ms), ...(segmentation ? { segmentation } : {}) }),
  began: (ms: number): ViewEvent => ({ type: 'session.began', at: at(ms) }),
  ended: (ms: number): ViewEvent => ({ type: 'session.ended', at: at(ms) }),
  fg: (ms: number): ViewEvent => ({ type: 'app.visible', at: at(ms) }),
  bg: (ms: number): ViewEvent => ({ type: 'app.hidden', at: at(ms) }),
  removeViews: (ms?: number): ViewEvent[] => [
    { type: 'consent.changing', before: ALL, after: NO_VIEWS, ...(ms === undefined ? {} : { at: at(ms) }) },
    { type: 'consent.changed', before: ALL, after: NO_VIEWS, ...(ms === undefined ? {} : { at: at(ms) }) },
  ],
  giveViews: (ms?: number): ViewEvent => ({ type: 'consent.changed', before: NO_VIEWS, after: ALL, ...(ms === undefined ? {} : { at: at(ms) }) }),
  settings: (settings: BehaviorSettings, ms?: number): ViewEvent => ({
    type: 'settings.updated',
    settings,
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
  idChanging: (ms?: number): ViewEvent => ({ type: 'identity.changing', from: 'a', to: 'b', ...(ms === undefined ? {} : { at: at(ms) }) }),
  idChanged: (merged: boolean, ms?: number): ViewEvent => ({
    type: 'identity.changed',
    deviceId: 'b',
    deviceIdType: 'DEVELOPER_SUPPLIED',
    merged,
    previousId: 'a',
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
};

export function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

export function run(inp: ViewInput, ...events: ViewEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(viewMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(viewMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

export const records = (cmds: Cmd[], key = '[CLY]_view'): RecordInternalEventCommand[] =>
  cmds.flatMap((c) => (c.type === 'event.record' && c.key === key ? [c] : []));
/** `start name` / `end name dur`, for reading sequences at a glance. */
export const story = (cmds: Cmd[]): string[] =>
  records(cmds).map((r) => (r.dur === undefined ? `start ${String(r.segmentation?.name)}` : `end ${String(r.segmentation?.name)} ${r.dur}`));
export const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [c.message] : []));
export const changes = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'view.changed' ? [c.event] : []));
export const warnings = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' && c.level === 'warning' ? [c.message] : []));

export interface ViewLedger {
  started: Set<string>;
  ended: Set<string>;
  startFlags: number;
}

/** Checks recorded view events: each view ends at most once, after its start; one start flag per session. */
export function check(ledger: ViewLedger, cmds: Cmd[], active: boolean): void {
  for (const c of cmds) {
    if (c.type === 'broadcast' && c.event.type === 'session.began') ledger.startFlags = 0;
    if (c.type !== 'event.record' || c.key !== '[CLY]_view') continue;
    if (c.dur === undefined) {
      expect(Object.keys(c), 'a start event has no dur and no sum').not.toEqual(expect.arrayContaining(['dur']));
      expect(c.sum).toBeUndefined();
      expect(ledger.started.has(c.id), 'a view ID starts once').toBe(false);
      expect(c.segmentation?.visit).toBe('1');
      ledger.started.add(c.id);
      if (c.segmentation?.start === '1') ledger.startFlags += 1;
      expect(ledger.startFlags, 'start "1" at most once per session').toBeLessThanOrEqual(1);
    } else {
      expect(ledger.started.has(c.id), 'a view ends after it started').toBe(true);
      expect(ledger.ended.has(c.id), 'a view ends at most once').toBe(false);
      expect(c.dur).toBeGreaterThanOrEqual(0);
      expect(c.segmentation?.visit).toBeUndefined();
      expect(c.segmentation?.start).toBeUndefined();
      ledger.ended.add(c.id);
    }
  }
  if (!active) expect(cmds.filter((c) => c.type === 'event.record' && c.key === '[CLY]_view' && c.dur === undefined)).toEqual([]);
}
