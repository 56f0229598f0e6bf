/**
 * The events feature's pure steps: (context, call) → next context + commands. The events
 * machine wires each to an event and emits what it returns; nothing here reads a clock,
 * storage or the network. Spec 001 lines are cited where a rule comes from.
 *
 * The queue: every accepted event is persisted at once (`events.persist`); a batch becomes a
 * `request.enqueue` followed by `events.unpersist` of its events (the request is written
 * first), so the store always holds exactly the pending list.
 */
import type { BehaviorSettings } from './behavior-settings.js';
import {
  batchParams,
  buildWireEvent,
  consentFeatureFor,
  cutBatches,
  eventAllowed,
  eventSettingsFrom,
  filterSegmentation,
  flushesAtOnce,
  isViewEndEvent,
  normalizeNumbers,
  NO_LIMITS,
  VIEW_EVENT_KEY,
} from './events.js';
import type { EndRequest, EventsContext, EventsIdentity, EventsOutput, RecordRequest, Step } from './events-state.js';
import { sanitizeSegmentation, truncateKey } from './limits.js';
import { ConsentFeatures, type ConsentState, type Instant, type LogLevel, type Segmentation, type WireEvent } from './types.js';
import { param } from '../log.js';

const MODULE = 'Events';
const logAt = (level: LogLevel, message: string): EventsOutput => ({ type: 'log', level, module: MODULE, message });
const warning = (message: string): EventsOutput => logAt('warning', message);
const debug = (message: string): EventsOutput => logAt('debug', message);

export const unchanged = (c: EventsContext): Step => ({ context: c, commands: [] });

// ---- batching (spec l. 937: threshold; l. 941: immediate flush) ------------------------

/**
 * Combines pending events into requests of at most `threshold` events, in order: full batches
 * only, or everything (`all`). `identity` stamps them with an earlier device ID.
 */
export function batch(c: EventsContext, all: boolean, identity?: EventsIdentity): Step {
  // The common case of every record below the threshold: nothing to cut, nothing copied.
  if (c.pending.length === 0 || (!all && c.pending.length < Math.max(1, Math.floor(c.threshold)))) return unchanged(c);
  const { batches, rest } = cutBatches(c.pending, c.threshold, all);
  if (batches.length === 0) return unchanged(c);
  // spec: User Profiles — pending user details are saved before events are batched.
  const commands: EventsOutput[] = [{ type: 'broadcast', event: { type: 'events.batching' } }];
  for (const b of batches) {
    commands.push({ type: 'request.enqueue', params: batchParams(b), ...(identity ? { identity } : {}) });
    commands.push({ type: 'events.unpersist', ids: b.map((e) => e.id) });
  }
  return { context: { ...c, pending: rest }, commands };
}

/** Everything pending into requests now (a flush, a session request, the interval, ...). */
export const flush = (c: EventsContext): Step => batch(c, true);

/**
 * At boot the stored events go into requests at once (verification item 15: stored events
 * waited for a flush after a reload); those of a device ID `clearStoredDeviceId` replaced
 * go under that ID (spec l. 2198).
 */
export function bootFlush(c: EventsContext): Step {
  if (c.storedOwner === null) return flush(c);
  const owner = c.storedOwner;
  const out = batch({ ...c, storedOwner: null }, true, owner);
  return { context: out.context, commands: [debug(`createCountly, stored events of the cleared device ID ${param(owner.deviceId)} queued under it`), ...out.commands] };
}

/** `queue.flushQueues()`: the pending events are dropped, and the store cleared. */
export const discard = (c: EventsContext): Step => ({ context: { ...c, pending: [] }, commands: [{ type: 'events.clearStore' }] });

// ---- recording (spec l. 799-833, 878-902, Internal Events l. 978-1008) -----------------

/**
 * spec l. 799-833, recordEvent — every rule, in order: tracking, consent (the event's own
 * feature, l. 980), `cet`, key limit, event filter, numbers, segmentation (limits and
 * filters for custom events, l. 826; unsupported types dropped for all), the experimental
 * keys, the IDs; then the event is queued, persisted, and the queue is combined when the
 * threshold is reached (l. 937) or the event flushes at once (l. 941).
 *
 * `owned`: the context is the caller's own working copy (a burst), appended to in place.
 */
export function record(c: EventsContext, fn: string, r: RecordRequest, owned = false): Step {
  // The API validates keys; this keeps a bad internal caller from stopping the actor.
  if (typeof r.key !== 'string' || r.key === '') return { context: c, commands: [warning(`${fn}, event key must be a non-empty string, got ${param(r.key)}; ignored`)] };
  if (!c.tracking) return { context: c, commands: [debug(`${fn}, tracking is disabled by the server settings; event ${param(r.key)} ignored`)] };
  const feature = consentFeatureFor(r.key, r.segmentation);
  if (!c.consent[feature]) {
    return { context: c, commands: [debug(`${fn}, consent for "${feature}" is not given; event ${param(r.key)} ignored`)] };
  }
  const custom = feature === 'events';
  if (custom && !c.customEvents) {
    return { context: c, commands: [debug(`${fn}, custom event tracking is disabled by the server settings; event ${param(r.key)} ignored`)] };
  }
  const commands: EventsOutput[] = [];
  let key = r.key;
  if (custom) {
    const cut = truncateKey(r.key, c.limits);
    key = cut.value;
    for (const w of cut.warnings) commands.push(warning(`${fn}, event ${w}`));
    if (!eventAllowed(c.filters, key)) {
      return { context: c, commands: [...commands, debug(`${fn}, event ${param(key)} is filtered out by the server settings; ignored`)] };
    }
  }
  const numbers = normalizeNumbers(r);
  for (const w of numbers.warnings) commands.push(warning(`${fn}, ${w}`));
  const clean = sanitizeSegmentation(r.segmentation, custom ? c.limits : NO_LIMITS);
  for (const w of clean.warnings) commands.push(warning(`${fn}, ${w}`));
  let segmentation = clean.segmentation;
  if (custom) {
    const filtered = filterSegmentation(c.filters, key, segmentation);
    segmentation = filtered.segmentation;
    if (filtered.removed.length > 0) {
      commands.push(debug(`${fn}, segmentation ${param(filtered.removed)} of event ${param(key)} removed by the server settings`));
    }
  }
  segmentation = withExperimentalKeys(c, key, custom, segmentation);

  // spec l. 899-901: pvid on view events, cvid on every other event, peid on custom events.
  const ids: Partial<Pick<WireEvent, 'pvid' | 'cvid' | 'peid'>> =
    key === VIEW_EVENT_KEY ? { pvid: r.extra?.pvid ?? c.currentViewId } : { cvid: r.extra?.cvid ?? c.currentViewId };
  if (custom) ids.peid = c.previousEventId;
  const omit = custom ? undefined : { sum: r.sum === undefined, dur: r.dur === undefined };
  const event = buildWireEvent({ key, numbers: numbers.value, segmentation, at: r.at, id: r.id, ids, ...(omit ? { omit } : {}) });

  let next: EventsContext;
  if (owned) {
    next = c;
    next.pending.push(event);
    if (custom) {
      next.previousEventId = event.id;
      next.previousEventName = key;
    }
  } else {
    next = { ...c, pending: [...c.pending, event] };
    if (custom) next = { ...next, previousEventId: event.id, previousEventName: key };
  }
  commands.push({ type: 'events.persist', events: [event] });
  const out = batch(next, flushesAtOnce(key));
  // spec l. 4766 (jte): a journey trigger refreshes the content zone once the event is delivered.
  const trigger: EventsOutput[] = custom && c.journeyTriggers.includes(key) ? [{ type: 'broadcast', event: { type: 'journey.triggered', key, at: r.at } }] : [];
  return { context: out.context, commands: [...commands, ...out.commands, ...trigger] };
}

/**
 * spec l. 819-821, 902: `cly_v` on every event but view end events (internal events may
 * bring their own); `cly_pen` / `cly_cvn` on custom events; `cly_pvn` on view events unless
 * the view machine set it.
 */
function withExperimentalKeys(c: EventsContext, key: string, custom: boolean, given: Segmentation): Segmentation {
  const seg: Segmentation = { ...given };
  if (c.visibilityTracking && !isViewEndEvent(key, given) && (custom || !Object.hasOwn(given, 'cly_v'))) {
    seg.cly_v = c.foreground ? 1 : 0;
  }
  if (c.previousNameRecording) {
    if (custom) {
      seg.cly_pen = c.previousEventName;
      seg.cly_cvn = c.currentViewName;
    } else if (key === VIEW_EVENT_KEY && !Object.hasOwn(given, 'cly_pvn')) {
      seg.cly_pvn = isViewEndEvent(key, given) ? c.previousViewName : c.currentViewName;
    }
  }
  return seg;
}

/**
 * A burst of records (one synchronous run of the host): the same steps as one `record` per
 * entry, on a working copy of the context; consecutive persists become one command.
 */
export function recordMany(c: EventsContext, records: readonly RecordRequest[]): Step {
  // The working copy is this step's own: the caller's context is never changed in place.
  let context: EventsContext = { ...c, pending: [...c.pending] };
  const commands: EventsOutput[] = [];
  let run: WireEvent[] | null = null;
  for (const r of records) {
    const step = record(context, 'record', r, true);
    context = step.context;
    for (const cmd of step.commands) {
      if (cmd.type === 'events.persist') {
        if (run === null) {
          run = [];
          commands.push({ type: 'events.persist', events: run });
        }
        run.push(...cmd.events);
      } else {
        commands.push(cmd);
        run = null;
      }
    }
  }
  return { context, commands };
}

// ---- timed events (spec l. 835-876, 1010-1020) ----------------------------------------

export function startTimed(c: EventsContext, key: string, at: Instant): Step {
  if (Object.hasOwn(c.timed, key)) {
    return { context: c, commands: [warning(`start, timed event ${param(key)} is already running; call ignored`)] };
  }
  return { context: { ...c, timed: { ...c.timed, [key]: at } }, commands: [] };
}

const withoutTimed = (c: EventsContext, key: string): EventsContext => {
  const timed = { ...c.timed };
  delete timed[key];
  return { ...c, timed };
};

/**
 * spec l. 857-863, endEvent — recorded with the start's timestamp, hour and day of week;
 * dur = end − start in seconds. Without consent the call returns and the timed event keeps
 * running (l. 859: "the call silently returns without recording").
 */
export function endTimed(c: EventsContext, e: EndRequest): Step {
  const start = Object.hasOwn(c.timed, e.key) ? c.timed[e.key] : undefined;
  if (start === undefined) return { context: c, commands: [warning(`end, no timed event ${param(e.key)} is running; call ignored`)] };
  const feature = consentFeatureFor(e.key, e.segmentation);
  if (!c.consent[feature]) {
    return { context: c, commands: [debug(`end, consent for "${feature}" is not given; timed event ${param(e.key)} not recorded`)] };
  }
  const dur = Math.max(0, (e.at.timestamp - start.timestamp) / 1000);
  return record(withoutTimed(c, e.key), 'end', { key: e.key, count: e.count, sum: e.sum, dur, segmentation: e.segmentation, at: start, id: e.id });
}

export function cancelTimed(c: EventsContext, key: string): Step {
  if (!Object.hasOwn(c.timed, key)) return { context: c, commands: [warning(`cancel, no timed event ${param(key)} is running; call ignored`)] };
  return { context: withoutTimed(c, key), commands: [] };
}

// ---- what other features say -----------------------------------------------------------

/**
 * A device ID change without merge (`identity.changing`): what is pending goes under the old
 * ID, then the timed events are cleared (spec l. 864).
 */
export function identityChanging(c: EventsContext): Step {
  const out = flush(c);
  const running = Object.keys(c.timed).length;
  if (running === 0) return out;
  return {
    context: { ...out.context, timed: {} },
    commands: [...out.commands, debug(`identity, device ID changes without merge; ${running} timed event(s) cleared`)],
  };
}

/**
 * Losing any consent: what was recorded under it is queued before the change applies.
 * Consent is checked when an event is recorded, so what was accepted goes out.
 */
export function consentChanging(c: EventsContext, change: { before: ConsentState; after: ConsentState }): Step {
  const loses = ConsentFeatures.some((f) => change.before[f] && !change.after[f]);
  return loses ? flush(c) : unchanged(c);
}

export const consentChanged = (c: EventsContext, after: ConsentState): Step => unchanged({ ...c, consent: after });

export const viewChanged = (
  c: EventsContext,
  v: { currentViewId: string; previousViewId: string; currentViewName: string; previousViewName: string },
): Step =>
  unchanged({ ...c, currentViewId: v.currentViewId, previousViewId: v.previousViewId, currentViewName: v.currentViewName, previousViewName: v.previousViewName });

/** `app.visible` / `app.hidden` from the lifecycle machine: `cly_v` of later events. */
export const setForeground = (c: EventsContext, foreground: boolean): Step => (c.foreground === foreground ? unchanged(c) : unchanged({ ...c, foreground }));

/**
 * The full merged settings (decoded): a key the server no longer sends falls back to the
 * configured value. A lower `eqs` may leave full batches waiting: they go at once.
 */
export function applySettings(c: EventsContext, settings: BehaviorSettings): Step {
  return batch({ ...c, ...eventSettingsFrom(settings, c.base), journeyTriggers: settings.jte ?? [] }, false);
}
