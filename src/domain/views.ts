/**
 * View tracking as pure steps (spec 001: View Tracking, l.1604–1990): each step takes the
 * views' state and one input and returns the next state and what to do, as plain data —
 * `[CLY]_view` / `[CLY]_orientation` records, the `view.changed` fact, log lines. No clock,
 * no randomness: moments and IDs arrive in the input. The views machine
 * (`src/features/views/machine.ts`) decides which step runs when; these decide what it does.
 *
 * A view is recorded as two events with the view ID as event ID: a start event (`visit` "1",
 * `start` "1" on the first view of a running session; no `dur`, l.1923–1938) and an end event
 * with `dur` in seconds, paused time excluded (l.1940–1955). `pvid` is the previous view ID
 * when the event is recorded.
 */
import { param } from '../log.js';
import type { BehaviorSettings } from './behavior-settings.js';
import { truncateKey } from './limits.js';
import type { ConsentState, Instant, Segmentation } from './types.js';
import { cleanViewSegmentation, mergeViewSegmentation } from './view-segmentation.js';
import {
  ORIENTATION_EVENT_KEY,
  VIEW_EVENT_KEY,
  settingsLimits,
  type Orientation,
  type RunningView,
  type StartKind,
  type Step,
  type SuspendedView,
  type ViewCall,
  type ViewContext,
  type ViewOutput,
} from './view-state.js';

export * from './view-state.js';
export { RESERVED_VIEW_KEYS } from './view-segmentation.js';

const MODULE = 'Views';

// ---- helpers ----------------------------------------------------------------------------

const warning = (message: string): ViewOutput => ({ type: 'log', level: 'warning', module: MODULE, message });
/** Forgetting a remembered view is a valid call: logged at debug level only. */
const forgotten = (fn: string, message: string): ViewOutput => ({ type: 'log', level: 'debug', module: MODULE, message: `${fn}, ${message}` });
const unchanged = (c: ViewContext): Step => ({ context: c, commands: [] });

function clean(fn: string, raw: unknown, c: ViewContext, out: ViewOutput[]): Segmentation {
  const { segmentation, warnings } = cleanViewSegmentation(raw, c.limits);
  for (const w of warnings) out.push(warning(`${fn}, ${w}`));
  return segmentation;
}

/** The developer segmentation of one view event, capped as a whole (see `mergeViewSegmentation`). */
function merged(fn: string, c: ViewContext, name: string, layers: readonly Segmentation[], out: ViewOutput[]): Segmentation {
  const max = c.limits.maxSegmentationValues;
  const { segmentation, dropped } = mergeViewSegmentation(layers, max);
  if (dropped > 0) out.push(warning(`${fn}, segmentation of view ${param(name)} has more than ${max} entries (global, start, added and stop merged), ${dropped} dropped`));
  return segmentation;
}

function chain(first: Step, next: (c: ViewContext) => Step): Step {
  const second = next(first.context);
  return { context: second.context, commands: [...first.commands, ...second.commands] };
}

const durationMs = (v: RunningView, atMs: number): number => v.elapsedMs + (v.resumedAtMs === null ? 0 : Math.max(0, atMs - v.resumedAtMs));

/** Records the end event of a view and removes it. */
function endView(fn: string, c: ViewContext, view: RunningView, at: Instant, extra: Segmentation): Step {
  const commands: ViewOutput[] = [];
  const segmentation: Segmentation = { ...merged(fn, c, view.name, [c.globalSegmentation, view.segmentation, extra], commands), name: view.name, segment: c.platformName };
  if (c.previousNameRecording) segmentation.cly_pvn = c.previousViewName;
  // spec l.1911–1915: `dur` in seconds, an event-level field; paused time excluded.
  const dur = Math.round(durationMs(view, at.timestamp) / 1000);
  commands.push({ type: 'event.record', key: VIEW_EVENT_KEY, count: 1, dur, segmentation, at, id: view.id, extra: { pvid: c.previousViewId } });
  return { context: { ...c, running: c.running.filter((v) => v.id !== view.id) }, commands };
}

type NewView = Pick<RunningView, 'id' | 'originalId' | 'name' | 'autoStopped' | 'startSegmentation' | 'page'>;

/** Records the start event of a view (no `dur`, spec l.1904–1909) and makes it the current view. */
function beginView(fn: string, c: ViewContext, view: NewView, at: Instant, restarted?: { paused: boolean; segmentation: Segmentation }): Step {
  const commands: ViewOutput[] = [];
  const custom = merged(fn, c, view.name, [c.globalSegmentation, view.startSegmentation], commands);
  // An automatic page view also says where (`view`, `domain`: spec l.1863), after the developer's keys.
  const segmentation: Segmentation = { ...custom, name: view.name, visit: '1', segment: c.platformName, ...view.page };
  // spec l.1849 (First View Flag): only while a session runs, once per session.
  const first = c.sessionRunning && c.firstView;
  if (first) segmentation.start = '1';
  if (c.previousNameRecording) segmentation.cly_pvn = c.currentViewName;
  const paused = restarted?.paused ?? false;
  const running: RunningView = {
    ...view,
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
  const { currentViewId, previousViewId, currentViewName, previousViewName } = next;
  commands.push(
    { type: 'event.record', key: VIEW_EVENT_KEY, count: 1, segmentation, at, id: view.id, extra: { pvid: c.currentViewId } },
    { type: 'broadcast', event: { type: 'view.changed', currentViewId, previousViewId, currentViewName, previousViewName } },
  );
  return { context: next, commands };
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
  for (let i = views.length - 1; i >= 0; i -= 1) if (views[i]?.name === name) return views[i];
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

const withRunning = (c: ViewContext, view: RunningView, update: RunningView): ViewContext => ({
  ...c,
  running: c.running.map((v) => (v.id === view.id ? update : v)),
});

/** Ends every running view; those `remember` accepts are kept to start again. */
function endAll(fn: string, c: ViewContext, extra: Segmentation, at: Instant, remember: (v: RunningView) => boolean): Step {
  let step = unchanged(c);
  const suspended: SuspendedView[] = [];
  for (const view of c.running) {
    step = chain(step, (ctx) => endView(fn, ctx, view, at, extra));
    if (!remember(view)) continue;
    const { id, originalId, name, autoStopped, paused, startSegmentation, page } = view;
    // What was added before suspension went with this end event; the restarted view starts over.
    suspended.push({ id, originalId, name, autoStopped, paused, startSegmentation, segmentation: { ...startSegmentation }, ...(page ? { page } : {}) });
  }
  return { context: { ...step.context, suspended: [...step.context.suspended, ...suspended] }, commands: step.commands };
}

// ---- steps: the host's calls ------------------------------------------------------------

/** spec l.1689–1725: starts a view; a new auto-stopped view first ends the previous one. */
export function startView(c: ViewContext, call: { kind: StartKind; id: string; name: string; segmentation?: Segmentation; at: Instant; page?: Segmentation }): Step {
  const fn = call.kind;
  // A remembered view still answers to its IDs.
  if (c.running.some((v) => answersTo(v, call.id)) || c.suspended.some((v) => answersTo(v, call.id))) {
    return { context: c, commands: [warning(`${fn}, view ID ${param(call.id)} is already in use; call ignored`)] };
  }
  const commands: ViewOutput[] = [];
  const name = truncateKey(call.name, c.limits);
  for (const w of name.warnings) commands.push(warning(`${fn}, view name ${w}`));
  const startSegmentation = clean(fn, call.segmentation, c, commands);
  const autoStopped = call.kind === 'startAutoStopped';
  let step: Step = { context: c, commands };
  // spec l.1699–1700: only one auto-stopped view at a time.
  const previous = autoStopped ? c.running.find((v) => v.autoStopped) : undefined;
  if (previous) step = chain(step, (ctx) => endView(fn, ctx, previous, call.at, {}));
  // A remembered auto-stopped view (ended in the background) is replaced too, so it never restarts beside this one.
  if (autoStopped && c.suspended.some((v) => v.autoStopped)) step = { ...step, context: { ...step.context, suspended: step.context.suspended.filter((v) => !v.autoStopped) } };
  const view: NewView = { id: call.id, originalId: call.id, name: name.value, autoStopped, startSegmentation, ...(call.page ? { page: call.page } : {}) };
  return chain(step, (ctx) => beginView(fn, ctx, view, call.at));
}

function stopTarget(c: ViewContext, fn: 'stopById' | 'stopByName', target: Target, what: string, raw: unknown, at: Instant): Step {
  if (!target) return { context: c, commands: [warning(`${fn}, no running view with ${what}; call ignored`)] };
  const commands: ViewOutput[] = [];
  const extra = clean(fn, raw, c, commands);
  // A remembered view already ended (with its duration) when it was suspended: it is only
  // forgotten, so it neither ends twice nor starts again.
  if (target.kind === 'suspended') {
    commands.push(forgotten(fn, `view ${param(target.view.originalId)} already ended when it was suspended; forgotten, it will not start again`));
    return { context: withSuspended(c, target.view, null), commands };
  }
  return chain({ context: c, commands }, (ctx) => endView(fn, ctx, target.view, at, extra));
}

export const stopViewById = (c: ViewContext, call: { id: string; segmentation?: Segmentation; at: Instant }): Step =>
  stopTarget(c, 'stopById', findById(c, call.id), `ID ${param(call.id)}`, call.segmentation, call.at);

export const stopViewByName = (c: ViewContext, call: { name: string; segmentation?: Segmentation; at: Instant }): Step =>
  stopTarget(c, 'stopByName', findByName(c, call.name), `name ${param(call.name)}`, call.segmentation, call.at);

/** Stops (`pause`) or restarts (`resume`) a view's clock; a remembered view only flips its flag. */
export function setPaused(c: ViewContext, call: { fn: 'pause' | 'resume'; id: string; at: Instant }): Step {
  const { fn, id, at } = call;
  const target = findById(c, id);
  if (!target) return { context: c, commands: [warning(`${fn}, no running view with ID ${param(id)}; call ignored`)] };
  const pause = fn === 'pause';
  if (target.view.paused === pause) {
    return { context: c, commands: [warning(`${fn}, view ${param(id)} is ${pause ? 'already paused' : 'not paused'}; call ignored`)] };
  }
  // A remembered view has no clock: only its flag changes, for the restart.
  if (target.kind === 'suspended') return unchanged(withSuspended(c, target.view, { ...target.view, paused: pause }));
  const view = target.view;
  const updated: RunningView = pause
    ? { ...view, paused: true, elapsedMs: durationMs(view, at.timestamp), resumedAtMs: null }
    : { ...view, paused: false, resumedAtMs: at.timestamp };
  return unchanged(withRunning(c, view, updated));
}

/** spec l.1781–1791: ends every running view with `segmentation`; remembered views already ended and are forgotten. */
export function stopAllViews(c: ViewContext, call: { segmentation?: Segmentation; at: Instant }): Step {
  const commands: ViewOutput[] = [];
  const extra = clean('stopAll', call.segmentation, c, commands);
  if (c.suspended.length > 0) commands.push(forgotten('stopAll', `${c.suspended.length} remembered view(s) forgotten; they will not start again`));
  return chain({ context: { ...c, suspended: [] }, commands }, (ctx) => endAll('stopAll', ctx, extra, call.at, () => false));
}

function addTo(c: ViewContext, fn: 'addSegmentationById' | 'addSegmentationByName', target: Target, what: string, raw: unknown): Step {
  if (!target) return { context: c, commands: [warning(`${fn}, no running or remembered view with ${what} to add segmentation to; call ignored`)] };
  const commands: ViewOutput[] = [];
  const extra = clean(fn, raw, c, commands);
  // Kept bounded: a key past the limit here could never reach the end event.
  const max = c.limits.maxSegmentationValues;
  const { segmentation, dropped } = mergeViewSegmentation([target.view.segmentation, extra], max);
  if (dropped > 0) commands.push(warning(`${fn}, segmentation of view ${param(target.view.name)} would have more than ${max} entries, ${dropped} dropped`));
  const context = target.kind === 'suspended' ? withSuspended(c, target.view, { ...target.view, segmentation }) : withRunning(c, target.view, { ...target.view, segmentation });
  return { context, commands };
}

export const addSegmentationById = (c: ViewContext, call: { id: string; segmentation: Segmentation }): Step =>
  addTo(c, 'addSegmentationById', findById(c, call.id), `ID ${param(call.id)}`, call.segmentation);

export const addSegmentationByName = (c: ViewContext, call: { name: string; segmentation: Segmentation }): Step =>
  addTo(c, 'addSegmentationByName', findByName(c, call.name), `name ${param(call.name)}`, call.segmentation);

/** `setGlobalSegmentation` replaces, `updateGlobalSegmentation` merges. */
export function setGlobalSegmentation(c: ViewContext, call: { replace: boolean; segmentation: Segmentation }): Step {
  const commands: ViewOutput[] = [];
  const fn = call.replace ? 'setGlobalSegmentation' : 'updateGlobalSegmentation';
  const seg = clean(fn, call.segmentation, c, commands);
  if (call.replace) return { context: { ...c, globalSegmentation: seg }, commands };
  // spec l.4536–4539: global view segmentation is capped as a whole, not per update.
  const max = c.limits.maxSegmentationValues;
  const { segmentation, dropped } = mergeViewSegmentation([c.globalSegmentation, seg], max);
  if (dropped > 0) commands.push(warning(`${fn}, global segmentation has more than ${max} entries, ${dropped} dropped`));
  return { context: { ...c, globalSegmentation: segmentation }, commands };
}

/** A view call while view tracking is off (no consent, or the server's settings). */
export function refuse(c: ViewContext, fn: StartKind | ViewCall): Step {
  const reason = !c.consent.views ? '"views" consent is not given' : 'view tracking is disabled by the server settings';
  return { context: c, commands: [warning(`${fn}, ${reason}; call ignored`)] };
}

// ---- steps: facts from the rest of the SDK ----------------------------------------------

/** spec l.1883–1889: on background every running view ends and is remembered (manual ones unless the config says no). */
export function suspendForBackground(c: ViewContext, at: Instant | null): Step {
  const next = { ...c, foreground: false };
  return at ? endAll('background', next, {}, at, (v) => v.autoStopped || c.restartManualViews) : unchanged(next);
}

/** Before a device-ID change without merge: the views end under the old ID, all remembered. */
export const suspendForIdentity = (c: ViewContext, at: Instant | null): Step => (at ? endAll('device ID change', c, {}, at, () => true) : unchanged(c));

/**
 * Starts the remembered views again, with their original start segmentation and new IDs
 * (spec l.1885). A view remembered as paused records its start event like the others (it is
 * shown again) but its clock waits for `resume`.
 */
export function restartSuspended(c: ViewContext, at: Instant | null): Step {
  if (!at) return unchanged(c);
  let step = unchanged({ ...c, suspended: [] });
  for (const view of c.suspended) {
    step = chain(step, (ctx) => {
      const id = `${ctx.idSeed}-${ctx.nextSeq}`;
      return beginView('restart', { ...ctx, nextSeq: ctx.nextSeq + 1 }, { ...view, id }, at, { paused: view.paused, segmentation: view.segmentation });
    });
  }
  return step;
}

/** Back in the foreground (`app.visible`): the remembered views start again. */
export const foregroundRestart = (c: ViewContext, at: Instant | null): Step => restartSuspended({ ...c, foreground: true }, at);

/** spec l.1881: views consent removed (or tracking turned off): every view ends, none restarts. */
export function stopForGood(c: ViewContext, at: Instant | null): Step {
  const step = at ? endAll('stop', c, {}, at, () => false) : unchanged({ ...c, running: [] });
  // When tracking comes back, the page then shown gets an automatic view again.
  return { context: { ...step.context, suspended: [], autoName: '' }, commands: step.commands };
}

export const setForeground = (c: ViewContext, foreground: boolean): Step => unchanged({ ...c, foreground });
export const applyConsent = (c: ViewContext, consent: ConsentState): Step => unchanged({ ...c, consent });

/** View tracking after these settings: `vt` and `tracking` both on (a key absent keeps its value). */
export const trackingAfter = (c: ViewContext, s: BehaviorSettings): boolean => (s.vt ?? c.viewTracking) && (s.tracking ?? c.tracking);
export const isAllowed = (c: ViewContext): boolean => c.consent.views && c.viewTracking && c.tracking;

/** Server settings, already decoded and checked: `vt`, `tracking` and the limits `lkl`/`lvs`/`lsv`. */
export const applySettings = (c: ViewContext, s: BehaviorSettings): Step =>
  unchanged({ ...c, viewTracking: s.vt ?? c.viewTracking, tracking: s.tracking ?? c.tracking, limits: { ...c.limits, ...settingsLimits(s) } });

function recordOrientation(c: ViewContext, mode: Orientation, at: Instant, id: string | undefined): Step {
  // spec l.1893: gated by "users" consent, not "views".
  if (!c.trackOrientation || !c.consent.users || !c.tracking) return unchanged(c);
  const eventId = id ?? `${c.idSeed}-${c.nextSeq}`;
  return {
    context: id ? c : { ...c, nextSeq: c.nextSeq + 1 },
    commands: [{ type: 'event.record', key: ORIENTATION_EVENT_KEY, count: 1, segmentation: { mode }, at, id: eventId }],
  };
}

/** spec l.1849, l.1893: a new session resets the first-view flag and reports the orientation. */
export function sessionBegan(c: ViewContext, at: Instant): Step {
  const next = { ...c, sessionRunning: true, firstView: true };
  return next.orientation ? recordOrientation(next, next.orientation, at, undefined) : unchanged(next);
}

export const sessionEnded = (c: ViewContext): Step => unchanged({ ...c, sessionRunning: false });

/** A reported orientation; the one already known is ignored. */
export function orientationChanged(c: ViewContext, report: { mode: Orientation; at: Instant; id?: string }): Step {
  if (report.mode === c.orientation) return unchanged(c);
  return recordOrientation({ ...c, orientation: report.mode }, report.mode, report.at, report.id);
}
