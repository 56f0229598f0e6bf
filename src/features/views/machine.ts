/**
 * View tracking (spec: View Tracking): auto-stopped and manual views, pause/resume,
 * segmentation, the background/foreground restart, and `[CLY]_orientation` events.
 *
 * Views are recorded as `[CLY]_view` internal events through the events feature
 * (`event.record`): a start event (`visit` "1", `start` "1" on the first view of a running
 * session) and an end event with `dur` in seconds, paused time excluded. The view ID is
 * the event ID; `pvid` is the previous view ID when the event is recorded.
 *
 * States: `active.foreground` ⇄ `active.background` (views stopped on background are
 * restarted on foreground) and `inactive` (no `views` consent, or view tracking turned
 * off by the server). Orientation, global segmentation and the lifecycle counter are
 * handled in every state.
 *
 * A remembered (suspended) view is still the host's view: `stopById`/`stopByName`/`stopAll`
 * forget it (it already ended, so nothing is recorded), `pause`/`resume` flip its paused
 * flag (it restarts paused, clock stopped) and `addSegmentation*` adds to the end event of
 * the restarted view.
 */
import { enqueueActions, setup } from 'xstate';
import type { Limits, ResolvedConfig } from '../../config.js';
import { sanitizeSegmentation, truncateKey } from '../../domain/limits.js';
import type { ConsentState, Instant, PlatformFacts, Segmentation } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import { param } from '../../log.js';

type Orientation = NonNullable<PlatformFacts['orientation']>;

export const VIEW_EVENT_KEY = '[CLY]_view';
export const ORIENTATION_EVENT_KEY = '[CLY]_orientation';

/** spec: View Tracking > View Structure — custom segmentation cannot override these. */
export const RESERVED_VIEW_KEYS: readonly string[] = Object.freeze(['name', 'visit', 'start', 'segment', 'bounce', 'exit', 'view', 'domain', 'dur']);

export interface ViewInput {
  /** The `segment` of view events (the platform name). */
  platformName: string;
  consent: ConsentState;
  limits: Limits;
  globalSegmentation: Segmentation;
  restartManualViews: boolean;
  trackOrientation: boolean;
  /** experimental.previousNameRecording: `cly_pvn` on view events. */
  previousNameRecording: boolean;
  /** Whether the app is in the foreground at init. */
  foreground: boolean;
  /** The orientation at init, when the platform has one. */
  orientation: Orientation | null;
  /** A random string the IDs of restarted views and orientation events are made from. */
  idSeed: string;
  /** Behavior settings known at boot (`vt`, `tracking`, `lkl`, `lvs`, `lsv`). */
  settings?: Record<string, unknown>;
}

/** What `viewInputFrom` needs besides config, platform and consent. */
export interface ViewBoot {
  /** A fresh random string (`crypto.randomUUID()`): machine-made event IDs start with it. */
  idSeed?: string;
  settings?: Record<string, unknown>;
}

export interface RunningView {
  /** The current view ID (the event ID of its start and end events). */
  id: string;
  /** The ID `start` returned; a restarted view gets a new `id` but still answers to this one. */
  originalId: string;
  /** The name as recorded (cut to maxKeyLength). */
  name: string;
  autoStopped: boolean;
  paused: boolean;
  /** When the current running stretch began (ms); null while paused. */
  resumedAtMs: number | null;
  /** Running time before the current stretch (ms). */
  elapsedMs: number;
  /** The segmentation given at start: re-applied when the view restarts. */
  startSegmentation: Segmentation;
  /** Start segmentation plus what `addSegmentation*` added: recorded with the end event. */
  segmentation: Segmentation;
}

/** A view stopped by going to the background (or a device-ID change), to start again. */
export interface SuspendedView {
  /** The ID of the view that ended on suspension (still accepted by `stopById` and the like). */
  id: string;
  originalId: string;
  name: string;
  autoStopped: boolean;
  /** Paused when suspended, or by `pause` since: the view restarts paused. */
  paused: boolean;
  startSegmentation: Segmentation;
  /** Start segmentation plus what `addSegmentation*` added while remembered: the restarted view's end segmentation. */
  segmentation: Segmentation;
}

export interface ViewContext {
  platformName: string;
  consent: ConsentState;
  limits: Limits;
  globalSegmentation: Segmentation;
  restartManualViews: boolean;
  trackOrientation: boolean;
  previousNameRecording: boolean;
  /** Server settings `vt` and `tracking`. */
  viewTracking: boolean;
  tracking: boolean;
  /** Running views in start order. */
  running: RunningView[];
  suspended: SuspendedView[];
  currentViewId: string;
  previousViewId: string;
  currentViewName: string;
  previousViewName: string;
  sessionRunning: boolean;
  /** The next view started while a session runs is its first (`start` "1"). */
  firstView: boolean;
  /** Visible components (the same lifecycle counter as automatic sessions). */
  visible: number;
  orientation: Orientation | null;
  idSeed: string;
  nextSeq: number;
  /** The latest moment the machine was told about: the stand-in for broadcasts without `at`. */
  lastAt: Instant | null;
}

type WithOptionalAt<T> = T & { at?: Instant };

export type ViewBroadcast =
  | Extract<Broadcast, { type: 'app.visible' | 'app.hidden' | 'session.began' | 'session.ended' }>
  | WithOptionalAt<Extract<Broadcast, { type: 'consent.changing' | 'consent.changed' | 'identity.changing' | 'identity.changed' | 'settings.updated' }>>;

export type ViewEvent =
  | { type: 'views.startAutoStopped'; id: string; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.start'; id: string; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.stopByName'; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.stopById'; id: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.pause'; id: string; at: Instant }
  | { type: 'views.resume'; id: string; at: Instant }
  | { type: 'views.stopAll'; segmentation?: Segmentation; at: Instant }
  | { type: 'views.addSegmentationById'; id: string; segmentation: Segmentation }
  | { type: 'views.addSegmentationByName'; name: string; segmentation: Segmentation }
  | { type: 'views.setGlobalSegmentation'; segmentation: Segmentation }
  | { type: 'views.updateGlobalSegmentation'; segmentation: Segmentation }
  /** The platform's orientation changed (`id`: the event ID, made from the seed when absent). */
  | { type: 'orientation.changed'; mode: Orientation; at: Instant; id?: string }
  | ViewBroadcast;

export type ViewCommand = Extract<Command, { type: 'event.record' | 'broadcast' | 'log' }>;

/** The broadcasts the router must deliver to the view machine. */
export const viewListensTo: readonly Broadcast['type'][] = Object.freeze([
  'app.visible',
  'app.hidden',
  'session.began',
  'session.ended',
  'consent.changing',
  'consent.changed',
  'identity.changing',
  'identity.changed',
  'settings.updated',
]);

const MODULE = 'Views';

/** The view input from the resolved config and the platform at boot. */
export function viewInputFrom(config: ResolvedConfig, platform: PlatformFacts, consent: ConsentState, boot?: ViewBoot): ViewInput {
  const { foreground, orientation } = platform;
  return {
    platformName: platform.name,
    consent,
    limits: config.limits,
    globalSegmentation: config.views.globalSegmentation,
    restartManualViews: config.views.restartManualViews,
    trackOrientation: config.views.trackOrientation,
    previousNameRecording: config.experimental.previousNameRecording,
    foreground,
    orientation,
    idSeed: boot?.idSeed ?? 'cly',
    settings: boot?.settings ?? {},
  };
}

interface ViewSettings {
  vt?: boolean;
  tracking?: boolean;
  limits: Partial<Limits>;
}

const LIMIT_KEYS = { lkl: 'maxKeyLength', lvs: 'maxValueSize', lsv: 'maxSegmentationValues' } as const;

/** Reads `vt`, `tracking` and the segmentation limits; invalid values are named in `rejected`. */
export function readViewSettings(raw: Record<string, unknown>): { settings: ViewSettings; rejected: string[] } {
  const settings: ViewSettings = { limits: {} };
  const rejected: string[] = [];
  for (const key of ['vt', 'tracking'] as const) {
    if (!(key in raw)) continue;
    if (typeof raw[key] === 'boolean') settings[key] = raw[key];
    else rejected.push(key);
  }
  for (const [key, limit] of Object.entries(LIMIT_KEYS)) {
    if (!(key in raw)) continue;
    const v = raw[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1) settings.limits[limit] = v;
    else rejected.push(key);
  }
  return { settings, rejected };
}

/** Global segmentation from config: reserved keys dropped, limits applied (silently: config was validated). */
function globalFromConfig(seg: Segmentation, limits: Limits): Segmentation {
  const out: ViewCommand[] = [];
  return cleanSegmentation('init', seg, { limits } as ViewContext, out);
}

export function initialViewContext(input: ViewInput): ViewContext {
  const { settings } = readViewSettings(input.settings ?? {});
  const limits = { ...input.limits, ...settings.limits };
  const visible = input.foreground ? 1 : 0;
  return {
    platformName: input.platformName,
    consent: input.consent,
    limits,
    globalSegmentation: globalFromConfig(input.globalSegmentation, limits),
    restartManualViews: input.restartManualViews,
    trackOrientation: input.trackOrientation,
    previousNameRecording: input.previousNameRecording,
    viewTracking: settings.vt ?? true,
    tracking: settings.tracking ?? true,
    running: [],
    suspended: [],
    currentViewId: '',
    previousViewId: '',
    currentViewName: '',
    previousViewName: '',
    sessionRunning: false,
    firstView: true,
    visible,
    orientation: input.orientation,
    idSeed: input.idSeed,
    nextSeq: 1,
    lastAt: null,
  };
}

// ---- pure steps: (context, ...) → new context + commands -------------------------------

interface Step {
  context: ViewContext;
  commands: ViewCommand[];
}

const warning = (message: string): ViewCommand => ({ type: 'log', level: 'warning', module: MODULE, message });
/** Forgetting a remembered view is a valid call: logged at debug level only. */
const forgotten = (fn: string, message: string): ViewCommand => ({ type: 'log', level: 'debug', module: MODULE, message: `${fn}, ${message}` });

/** Drops reserved keys (as given and as cut), applies the limits, with a warning for each change. */
function cleanSegmentation(fn: string, raw: unknown, c: ViewContext, out: ViewCommand[]): Segmentation {
  const reserved = (key: string): boolean => {
    if (!RESERVED_VIEW_KEYS.includes(key)) return false;
    out.push(warning(`${fn}, segmentation key ${param(key)} is reserved for views and was dropped`));
    return true;
  };
  let source = raw;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    source = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([key]) => !reserved(key)));
  }
  const { segmentation, warnings } = sanitizeSegmentation(source, c.limits);
  for (const w of warnings) out.push(warning(`${fn}, ${w}`));
  // A key cut to maxKeyLength may become a reserved one.
  return Object.fromEntries(Object.entries(segmentation).filter(([key]) => !reserved(key))) as Segmentation;
}

const durationMs = (v: RunningView, atMs: number): number => v.elapsedMs + (v.resumedAtMs === null ? 0 : Math.max(0, atMs - v.resumedAtMs));

/** Records the end event of a view and removes it. */
function endView(c: ViewContext, view: RunningView, at: Instant, extra: Segmentation): Step {
  const segmentation: Segmentation = {
    ...c.globalSegmentation,
    ...view.segmentation,
    ...extra,
    name: view.name,
    segment: c.platformName,
  };
  if (c.previousNameRecording) segmentation.cly_pvn = c.previousViewName;
  const command: ViewCommand = {
    type: 'event.record',
    key: VIEW_EVENT_KEY,
    count: 1,
    // spec: View Tracking — duration in seconds, paused time excluded.
    dur: Math.round(durationMs(view, at.timestamp) / 1000),
    segmentation,
    at,
    id: view.id,
    extra: { pvid: c.previousViewId },
  };
  return { context: { ...c, running: c.running.filter((v) => v.id !== view.id) }, commands: [command] };
}

/** Records the start event of a view and makes it the current view. */
function beginView(
  c: ViewContext,
  view: { id: string; originalId: string; name: string; autoStopped: boolean; startSegmentation: Segmentation },
  at: Instant,
  restarted?: { paused: boolean; segmentation: Segmentation },
): Step {
  const segmentation: Segmentation = {
    ...c.globalSegmentation,
    ...view.startSegmentation,
    name: view.name,
    visit: '1',
    segment: c.platformName,
  };
  // spec: View Tracking > First View Flag — only while a session runs, once per session.
  const first = c.sessionRunning && c.firstView;
  if (first) segmentation.start = '1';
  if (c.previousNameRecording) segmentation.cly_pvn = c.currentViewName;
  const paused = restarted?.paused ?? false;
  const running: RunningView = {
    id: view.id,
    originalId: view.originalId,
    name: view.name,
    autoStopped: view.autoStopped,
    startSegmentation: view.startSegmentation,
    paused,
    resumedAtMs: paused ? null : at.timestamp,
    elapsedMs: 0,
    segmentation: { ...(restarted?.segmentation ?? view.startSegmentation) },
  };
  const next: ViewContext = {
    ...c,
    running: [...c.running, running],
    firstView: first ? false : c.firstView,
    previousViewId: c.currentViewId,
    currentViewId: view.id,
    previousViewName: c.currentViewName,
    currentViewName: view.name,
  };
  return {
    context: next,
    commands: [
      { type: 'event.record', key: VIEW_EVENT_KEY, count: 1, segmentation, at, id: view.id, extra: { pvid: c.currentViewId } },
      {
        type: 'broadcast',
        event: {
          type: 'view.changed',
          currentViewId: next.currentViewId,
          previousViewId: next.previousViewId,
          currentViewName: next.currentViewName,
          previousViewName: next.previousViewName,
        },
      },
    ],
  };
}

function chain(first: Step, next: (c: ViewContext) => Step): Step {
  const second = next(first.context);
  return { context: second.context, commands: [...first.commands, ...second.commands] };
}

/** A running view, or else a remembered one: what a view call applies to. */
type Target = { kind: 'running'; view: RunningView } | { kind: 'suspended'; view: SuspendedView } | undefined;

const answersTo = (v: { id: string; originalId: string }, id: string): boolean => v.id === id || v.originalId === id;

function findById(c: ViewContext, id: string): Target {
  const running = c.running.find((v) => answersTo(v, id));
  if (running) return { kind: 'running', view: running };
  const suspended = c.suspended.find((v) => answersTo(v, id));
  return suspended ? { kind: 'suspended', view: suspended } : undefined;
}

const lastNamed = <V extends { name: string }>(views: readonly V[], name: string): V | undefined => {
  for (let i = views.length - 1; i >= 0; i -= 1) {
    const v = views[i];
    if (v && v.name === name) return v;
  }
  return undefined;
};

/** The last started running view with that name; else the last remembered one. */
function findByName(c: ViewContext, name: string): Target {
  const recorded = truncateKey(name, c.limits).value;
  const running = lastNamed(c.running, recorded);
  if (running) return { kind: 'running', view: running };
  const suspended = lastNamed(c.suspended, recorded);
  return suspended ? { kind: 'suspended', view: suspended } : undefined;
}

/** Replaces (or, with null, forgets) a remembered view; its `id` is unique like a running view's. */
const withSuspended = (c: ViewContext, view: SuspendedView, update: SuspendedView | null): ViewContext => ({
  ...c,
  suspended: update ? c.suspended.map((v) => (v.id === view.id ? update : v)) : c.suspended.filter((v) => v.id !== view.id),
});

function startView(c: ViewContext, event: Extract<ViewEvent, { type: 'views.start' | 'views.startAutoStopped' }>): Step {
  const fn = event.type === 'views.start' ? 'start' : 'startAutoStopped';
  const commands: ViewCommand[] = [];
  // A remembered view still answers to its IDs.
  if (c.running.some((v) => answersTo(v, event.id)) || c.suspended.some((v) => answersTo(v, event.id))) {
    return { context: c, commands: [warning(`${fn}, view ID ${param(event.id)} is already in use; call ignored`)] };
  }
  const name = truncateKey(event.name, c.limits);
  for (const w of name.warnings) commands.push(warning(`${fn}, view name ${w}`));
  const startSegmentation = cleanSegmentation(fn, event.segmentation, c, commands);
  let step: Step = { context: c, commands };
  if (event.type === 'views.startAutoStopped') {
    // spec: startAutoStoppedView — only one auto-stopped view at a time.
    const previous = c.running.find((v) => v.autoStopped);
    if (previous) step = chain(step, (ctx) => endView(ctx, previous, event.at, {}));
  }
  return chain(step, (ctx) =>
    beginView(ctx, { id: event.id, originalId: event.id, name: name.value, autoStopped: event.type === 'views.startAutoStopped', startSegmentation }, event.at),
  );
}

function stopView(c: ViewContext, fn: string, target: Target, what: string, raw: unknown, at: Instant): Step {
  if (!target) return { context: c, commands: [warning(`${fn}, no running view with ${what}; call ignored`)] };
  const commands: ViewCommand[] = [];
  const extra = cleanSegmentation(fn, raw, c, commands);
  // A remembered view already ended (with its duration) when it was suspended: it is only
  // forgotten, so it neither ends twice nor starts again.
  if (target.kind === 'suspended') {
    commands.push(forgotten(fn, `view ${param(target.view.originalId)} already ended when it was suspended; forgotten, it will not start again`));
    return { context: withSuspended(c, target.view, null), commands };
  }
  return chain({ context: c, commands }, (ctx) => endView(ctx, target.view, at, extra));
}

/** Ends every running view; those `remember` accepts are kept to start again. */
function stopAll(c: ViewContext, extra: Segmentation, at: Instant, remember: (v: RunningView) => boolean): Step {
  let step: Step = { context: c, commands: [] };
  const suspended: SuspendedView[] = [];
  for (const view of c.running) {
    step = chain(step, (ctx) => endView(ctx, view, at, extra));
    if (remember(view)) {
      suspended.push({
        id: view.id,
        originalId: view.originalId,
        name: view.name,
        autoStopped: view.autoStopped,
        paused: view.paused,
        startSegmentation: view.startSegmentation,
        // What was added before suspension went with this end event; the restarted view starts over.
        segmentation: { ...view.startSegmentation },
      });
    }
  }
  return { context: { ...step.context, suspended: [...step.context.suspended, ...suspended] }, commands: step.commands };
}

/**
 * Starts the remembered views again, with their original start segmentation and new IDs
 * (spec: Background/Foreground View Management). A view remembered as paused records its
 * start event like the others (it is shown again) but its clock waits for `resume`.
 */
function restartSuspended(c: ViewContext, at: Instant): Step {
  let step: Step = { context: { ...c, suspended: [] }, commands: [] };
  for (const view of c.suspended) {
    step = chain(step, (ctx) => {
      const id = `${ctx.idSeed}-${ctx.nextSeq}`;
      return beginView({ ...ctx, nextSeq: ctx.nextSeq + 1 }, { ...view, id }, at, { paused: view.paused, segmentation: view.segmentation });
    });
  }
  return step;
}

function setPaused(c: ViewContext, fn: 'pause' | 'resume', id: string, at: Instant): Step {
  const target = findById(c, id);
  if (!target) return { context: c, commands: [warning(`${fn}, no running view with ID ${param(id)}; call ignored`)] };
  const pause = fn === 'pause';
  if (target.view.paused === pause) {
    return { context: c, commands: [warning(`${fn}, view ${param(id)} is ${pause ? 'already paused' : 'not paused'}; call ignored`)] };
  }
  // A remembered view has no clock: only its flag changes, for the restart.
  if (target.kind === 'suspended') return { context: withSuspended(c, target.view, { ...target.view, paused: pause }), commands: [] };
  const view = target.view;
  const updated: RunningView = pause
    ? { ...view, paused: true, elapsedMs: durationMs(view, at.timestamp), resumedAtMs: null }
    : { ...view, paused: false, resumedAtMs: at.timestamp };
  return { context: { ...c, running: c.running.map((v) => (v.id === view.id ? updated : v)) }, commands: [] };
}

function addSegmentation(c: ViewContext, fn: string, target: Target, what: string, raw: unknown): Step {
  if (!target) return { context: c, commands: [warning(`${fn}, no running or remembered view with ${what} to add segmentation to; call ignored`)] };
  const commands: ViewCommand[] = [];
  const extra = cleanSegmentation(fn, raw, c, commands);
  if (target.kind === 'suspended') {
    const view = target.view;
    return { context: withSuspended(c, view, { ...view, segmentation: { ...view.segmentation, ...extra } }), commands };
  }
  const view = target.view;
  const updated = { ...view, segmentation: { ...view.segmentation, ...extra } };
  return { context: { ...c, running: c.running.map((v) => (v.id === view.id ? updated : v)) }, commands };
}

function recordOrientation(c: ViewContext, mode: Orientation, at: Instant, id: string | undefined): Step {
  // spec: View Tracking > Orientation Tracking — gated by "users" consent, not "views".
  if (!c.trackOrientation || !c.consent.users || !c.tracking) return { context: c, commands: [] };
  const eventId = id ?? `${c.idSeed}-${c.nextSeq}`;
  return {
    context: id ? c : { ...c, nextSeq: c.nextSeq + 1 },
    commands: [{ type: 'event.record', key: ORIENTATION_EVENT_KEY, count: 1, segmentation: { mode }, at, id: eventId }],
  };
}

const atOf = (event: ViewEvent): Instant | undefined => ('at' in event ? event.at : undefined);

/** The moment of an event; for a broadcast without `at`, the latest moment known. */
const momentOf = (c: ViewContext, event: ViewEvent): Instant | null => atOf(event) ?? c.lastAt;

const FN_OF: Record<string, string> = {
  'views.startAutoStopped': 'startAutoStopped',
  'views.start': 'start',
  'views.stopByName': 'stopByName',
  'views.stopById': 'stopById',
  'views.pause': 'pause',
  'views.resume': 'resume',
  'views.stopAll': 'stopAll',
  'views.addSegmentationById': 'addSegmentationById',
  'views.addSegmentationByName': 'addSegmentationByName',
};

const allowed = (c: ViewContext): boolean => c.consent.views && c.viewTracking && c.tracking;

function trackingAfter(c: ViewContext, raw: Record<string, unknown>): boolean {
  const { settings } = readViewSettings(raw);
  return (settings.vt ?? c.viewTracking) && (settings.tracking ?? c.tracking);
}

/** Runs a step and applies it: emits its commands, assigns its context. */
const apply = (step: (c: ViewContext, e: ViewEvent) => Step) =>
  enqueueActions<ViewContext, ViewEvent, undefined, ViewEvent, never, never, never, never, ViewCommand>(({ context, event, enqueue }) => {
    const at = atOf(event);
    const base = at ? { ...context, lastAt: at } : context;
    const result = step(base, event);
    enqueue.assign(result.context);
    for (const command of result.commands) enqueue.emit(command);
  });

export const viewMachine = setup({
  types: {
    context: {} as ViewContext,
    events: {} as ViewEvent,
    input: {} as ViewInput,
    emitted: {} as ViewCommand,
  },
  guards: {
    isAllowed: ({ context }) => allowed(context),
    isVisible: ({ context }) => context.visible > 0,
    unbalanced: ({ context }) => context.visible === 0,
    goesToBackground: ({ context }) => context.visible === 1,
    losesViews: ({ event }) => event.type === 'consent.changing' && event.before.views && !event.after.views,
    lacksViews: ({ event }) => event.type === 'consent.changed' && !event.after.views,
    gainsViews: ({ context, event }) => event.type === 'consent.changed' && event.after.views && context.viewTracking && context.tracking,
    settingsStop: ({ context, event }) => event.type === 'settings.updated' && !trackingAfter(context, event.settings),
    settingsStart: ({ context, event }) => event.type === 'settings.updated' && trackingAfter(context, event.settings) && context.consent.views,
    newIdentity: ({ event }) => event.type === 'identity.changed' && !event.merged,
  },
  actions: {
    start: apply((c, e) => startView(c, e as Extract<ViewEvent, { type: 'views.start' | 'views.startAutoStopped' }>)),
    stopByName: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.stopByName' }>;
      return stopView(c, 'stopByName', findByName(c, ev.name), `name ${param(ev.name)}`, ev.segmentation, ev.at);
    }),
    stopById: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.stopById' }>;
      return stopView(c, 'stopById', findById(c, ev.id), `ID ${param(ev.id)}`, ev.segmentation, ev.at);
    }),
    pause: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.pause' }>;
      return setPaused(c, 'pause', ev.id, ev.at);
    }),
    resume: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.resume' }>;
      return setPaused(c, 'resume', ev.id, ev.at);
    }),
    stopAll: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.stopAll' }>;
      const commands: ViewCommand[] = [];
      const extra = cleanSegmentation('stopAll', ev.segmentation, c, commands);
      // Remembered views already ended: they are forgotten, not ended again.
      if (c.suspended.length > 0) commands.push(forgotten('stopAll', `${c.suspended.length} remembered view(s) forgotten; they will not start again`));
      return chain({ context: { ...c, suspended: [] }, commands }, (ctx) => stopAll(ctx, extra, ev.at, () => false));
    }),
    addSegmentationById: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.addSegmentationById' }>;
      return addSegmentation(c, 'addSegmentationById', findById(c, ev.id), `ID ${param(ev.id)}`, ev.segmentation);
    }),
    addSegmentationByName: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.addSegmentationByName' }>;
      return addSegmentation(c, 'addSegmentationByName', findByName(c, ev.name), `name ${param(ev.name)}`, ev.segmentation);
    }),
    setGlobalSegmentation: apply((c, e) => {
      const ev = e as Extract<ViewEvent, { type: 'views.setGlobalSegmentation' | 'views.updateGlobalSegmentation' }>;
      const replace = ev.type === 'views.setGlobalSegmentation';
      const commands: ViewCommand[] = [];
      const seg = cleanSegmentation(replace ? 'setGlobalSegmentation' : 'updateGlobalSegmentation', ev.segmentation, c, commands);
      return { context: { ...c, globalSegmentation: replace ? seg : { ...c.globalSegmentation, ...seg } }, commands };
    }),
    refuse: apply((c, e) => {
      const fn = FN_OF[e.type] ?? e.type;
      const reason = !c.consent.views ? '"views" consent is not given' : 'view tracking is disabled by the server settings';
      return { context: c, commands: [warning(`${fn}, ${reason}; call ignored`)] };
    }),
    countForeground: apply((c) => ({ context: { ...c, visible: c.visible + 1 }, commands: [] })),
    countBackground: apply((c) => ({ context: { ...c, visible: c.visible - 1 }, commands: [] })),
    ignore: apply((c) => ({ context: c, commands: [] })),
    /** spec: Background/Foreground View Management — stop, remember, restart on foreground. */
    suspendForBackground: apply((c, e) => {
      const at = momentOf(c, e);
      if (!at) return { context: c, commands: [] };
      return stopAll(c, {}, at, (v) => v.autoStopped || c.restartManualViews);
    }),
    suspendForIdentity: apply((c, e) => {
      const at = momentOf(c, e);
      if (!at) return { context: c, commands: [] };
      return stopAll(c, {}, at, () => true);
    }),
    restart: apply((c, e) => {
      const at = momentOf(c, e);
      if (!at) return { context: c, commands: [] };
      return restartSuspended(c, at);
    }),
    /** spec: View Tracking > Storage — views consent removed: every view stops, none restarts. */
    stopForGood: apply((c, e) => {
      const at = momentOf(c, e);
      const step = at ? stopAll(c, {}, at, () => false) : { context: { ...c, running: [] }, commands: [] };
      return { context: { ...step.context, suspended: [] }, commands: step.commands };
    }),
    forgetSuspended: apply((c) => ({ context: { ...c, suspended: [] }, commands: [] })),
    storeConsent: apply((c, e) => ({ context: e.type === 'consent.changed' ? { ...c, consent: e.after } : c, commands: [] })),
    applySettings: apply((c, e) => {
      if (e.type !== 'settings.updated') return { context: c, commands: [] };
      const { settings, rejected } = readViewSettings(e.settings);
      return {
        context: {
          ...c,
          viewTracking: settings.vt ?? c.viewTracking,
          tracking: settings.tracking ?? c.tracking,
          limits: { ...c.limits, ...settings.limits },
        },
        commands: rejected.map((key) => warning(`settings, invalid ${key} ${param((e.settings as Record<string, unknown>)[key])} ignored`)),
      };
    }),
    sessionBegan: apply((c, e) => {
      if (e.type !== 'session.began') return { context: c, commands: [] };
      // spec: View Tracking > First View Flag — reset when a new session begins; the initial
      // orientation is reported on session begin.
      const next = { ...c, sessionRunning: true, firstView: true };
      return next.orientation ? recordOrientation(next, next.orientation, e.at, undefined) : { context: next, commands: [] };
    }),
    sessionEnded: apply((c) => ({ context: { ...c, sessionRunning: false }, commands: [] })),
    orientationChanged: apply((c, e) => {
      if (e.type !== 'orientation.changed' || e.mode === c.orientation) return { context: c, commands: [] };
      return recordOrientation({ ...c, orientation: e.mode }, e.mode, e.at, e.id);
    }),
  },
}).createMachine({
  id: 'views',
  context: ({ input }) => initialViewContext(input),
  initial: 'booting',
  on: {
    'views.setGlobalSegmentation': { actions: 'setGlobalSegmentation' },
    'views.updateGlobalSegmentation': { actions: 'setGlobalSegmentation' },
    'session.began': { actions: 'sessionBegan' },
    'session.ended': { actions: 'sessionEnded' },
    'orientation.changed': { actions: 'orientationChanged' },
    'app.visible': { actions: 'countForeground' },
    'app.hidden': [{ guard: 'unbalanced', actions: 'ignore' }, { actions: 'countBackground' }],
  },
  states: {
    booting: {
      always: [{ guard: 'isAllowed', target: 'active' }, { target: 'inactive' }],
    },
    active: {
      initial: 'choosing',
      on: {
        'views.startAutoStopped': { actions: 'start' },
        'views.start': { actions: 'start' },
        'views.stopByName': { actions: 'stopByName' },
        'views.stopById': { actions: 'stopById' },
        'views.pause': { actions: 'pause' },
        'views.resume': { actions: 'resume' },
        'views.stopAll': { actions: 'stopAll' },
        'views.addSegmentationById': { actions: 'addSegmentationById' },
        'views.addSegmentationByName': { actions: 'addSegmentationByName' },
        // Two-phase consent: views end while consent still holds, then nothing more.
        'consent.changing': { guard: 'losesViews', target: 'inactive', actions: 'stopForGood' },
        // Should a removal arrive without its `changing` phase, the views still end.
        'consent.changed': [{ guard: 'lacksViews', target: 'inactive', actions: ['stopForGood', 'storeConsent'] }, { actions: 'storeConsent' }],
        'settings.updated': [{ guard: 'settingsStop', target: 'inactive', actions: ['applySettings', 'stopForGood'] }, { actions: 'applySettings' }],
      },
      states: {
        choosing: {
          always: [{ guard: 'isVisible', target: 'foreground' }, { target: 'background' }],
        },
        foreground: {
          on: {
            // In the foreground at least one component is visible.
            'app.hidden': [
              { guard: 'goesToBackground', target: 'background', actions: ['suspendForBackground', 'countBackground'] },
              { actions: 'countBackground' },
            ],
            // Views recorded under the old device ID end before it changes, and start again under the new one.
            'identity.changing': { actions: 'suspendForIdentity' },
            'identity.changed': { guard: 'newIdentity', actions: 'restart' },
          },
        },
        background: {
          on: {
            // In the background no component is visible: the first one brings the views back.
            'app.visible': { target: 'foreground', actions: ['countForeground', 'restart'] },
            'identity.changing': { actions: 'suspendForIdentity' },
          },
        },
      },
    },
    inactive: {
      entry: 'forgetSuspended',
      on: {
        'views.startAutoStopped': { actions: 'refuse' },
        'views.start': { actions: 'refuse' },
        'views.stopByName': { actions: 'refuse' },
        'views.stopById': { actions: 'refuse' },
        'views.pause': { actions: 'refuse' },
        'views.resume': { actions: 'refuse' },
        'views.stopAll': { actions: 'refuse' },
        'views.addSegmentationById': { actions: 'refuse' },
        'views.addSegmentationByName': { actions: 'refuse' },
        'consent.changed': [{ guard: 'gainsViews', target: 'active', actions: 'storeConsent' }, { actions: 'storeConsent' }],
        'settings.updated': [{ guard: 'settingsStart', target: 'active', actions: 'applySettings' }, { actions: 'applySettings' }],
      },
    },
  },
});
