/** Fixtures of the content zone tests: inputs, events, pure runs and actors on a simulated clock. */
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { ConsentState, Instant } from '../../../src/domain/types.js';
import { ConsentFeatures } from '../../../src/domain/types.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { contentMachine, type ContentEmitted, type ContentEvent, type ContentInput } from '../../../src/features/content/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof contentMachine>;
export type Cmd = ContentEmitted;

export const T0 = Date.UTC(2026, 0, 1);
export const SERVER = 'https://countly.example.com';
export const BLOCK = { html: 'https://countly.example.com/content/1', geo: { p: { x: 0, y: 0, w: 360, h: 640 }, l: { x: 0, y: 0, w: 640, h: 360 } } };
export const BLOCK_BODY = JSON.stringify(BLOCK);
export const NO_CONTENT = JSON.stringify({ result: 'No content block found!' });
export const AFTER_FETCH = 'xstate.after.untilFetch.content.waiting';
export const AFTER_RETRY = 'xstate.after.journeyRetry.content.retrying';
export const AFTER_RESIZE = 'xstate.after.resizeDebounce.content.showing.resizing';

export const instant = (ms: number): Instant => ({ timestamp: ms, hour: 0, dow: 4, tz: 0 });
export const consentOf = (given: boolean): ConsentState => Object.fromEntries(ConsentFeatures.map((f) => [f, given])) as ConsentState;

export const input = (over: Partial<ContentInput> = {}): ContentInput => ({
  consent: true,
  temporaryId: false,
  intervalSeconds: 30,
  settings: {},
  allowedOrigins: [],
  bootAt: T0,
  idSeed: 'seed',
  ...over,
});

export const enter = (ms = T0 + 1_000): ContentEvent => ({ type: 'content.enter', at: instant(ms) });
export const exit = (ms = T0 + 10_000): ContentEvent => ({ type: 'content.exit', at: instant(ms) });
export const refresh = (ms = T0 + 10_000): ContentEvent => ({ type: 'content.refresh', at: instant(ms) });
export const preview = (contentId = 'c1', ms = T0 + 10_000): ContentEvent => ({ type: 'content.preview', contentId, at: instant(ms) });
export const journey = (key = 'purchase', ms = T0 + 10_000): ContentEvent => ({ type: 'journey.triggered', key, at: instant(ms) });
export const fetched = (tag: string, body = BLOCK_BODY, status = 200, at = T0 + 10_000): ContentEvent => ({ type: 'content.fetched', tag, status, body, at });
export const fetchFailed = (tag: string, at = T0 + 10_000): ContentEvent => ({ type: 'content.fetchFailed', tag, reason: 'network', at });
export const flushed = (tag: string, delivered = true, at = T0 + 10_000): ContentEvent => ({ type: 'content.flushed', tag, delivered, at });
export const closed = (showId: number, at = T0 + 10_000): ContentEvent => ({ type: 'content.closed', showId, at });
export const messaged = (showId: number, message: unknown, origin = SERVER): ContentEvent => ({ type: 'content.messaged', showId, message, origin, serverUrl: SERVER, at: instant(T0 + 10_000) });
export const settings = (s: BehaviorSettings): ContentEvent => ({ type: 'settings.updated', settings: s });
export const consent = (given: boolean): ContentEvent => ({ type: 'consent.changed', before: consentOf(!given), after: consentOf(given) });
export const overlay = (shown: boolean, by: 'feedback' | 'content' = 'feedback'): ContentEvent => ({ type: shown ? 'overlay.shown' : 'overlay.closed', by });
export const newDeviceId = (merged = false): ContentEvent => ({ type: 'identity.changed', deviceId: 'new', deviceIdType: 'DEVELOPER_SUPPLIED', merged, previousId: 'old' });
export const tempId = (): ContentEvent => ({ type: 'identity.changed', deviceId: 'CLYTemporaryDeviceID', deviceIdType: 'TEMPORARY_ID', merged: false, previousId: 'old' });

export const commands = (actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] => emittedCommands<Cmd>(actions);

/** Pure run: the snapshot after the events, every command, and the last step's. */
export function run(inp: ContentInput, ...events: ContentEvent[]): { snap: Snap; cmds: Cmd[]; last: Cmd[] } {
  const [s0, a0] = initialTransition(contentMachine, inp);
  let snap = s0;
  let last = commands(a0);
  const cmds = [...last];
  for (const e of events) {
    const [next, actions] = transition(contentMachine, snap, e);
    snap = next;
    last = commands(actions);
    cmds.push(...last);
  }
  return { snap, cmds, last };
}

/** The tag of the last fetch / flush command among `cmds`. */
export const lastTag = (cmds: Cmd[], type: 'content.fetch' | 'content.flush' = 'content.fetch'): string => {
  const c = cmds.filter((x) => x.type === type).at(-1);
  if (!c || !('tag' in c)) throw new Error(`no ${type}`);
  return c.tag;
};

export const ofType = <T extends Cmd['type']>(cmds: Cmd[], type: T): Array<Extract<Cmd, { type: T }>> => cmds.filter((c): c is Extract<Cmd, { type: T }> => c.type === type);

/** An actor on a simulated clock, every command kept with the moment it was emitted. */
export function startActor(inp: ContentInput = input()) {
  const clock = simulatedClock(T0);
  const actor = createActor(contentMachine, { clock, input: inp });
  const seen: Array<{ at: number; cmd: Cmd }> = [];
  actor.on('*', (c) => seen.push({ at: clock.now(), cmd: c as Cmd }));
  actor.start();
  return { actor, clock, seen };
}
