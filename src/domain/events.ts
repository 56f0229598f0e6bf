/**
 * The event recording rules as pure functions (spec: Events, SDK Behavior Settings, SDK
 * Internal Limits, Experimental): which events are internal, the server's event and
 * segmentation filters, the number defaults, the wire event, and how the event queue is cut
 * into requests. Nothing here logs: warnings come back as data.
 */
import { setOwn } from '../protocol/encode.js';
import type { Limits } from '../config.js';
import type { BehaviorSettings } from './behavior-settings.js';
import { consentFeatureOfEvent } from './consent.js';
import type { ConsentFeature, ConsentState, Instant, Segmentation, WireEvent } from './types.js';

export const VIEW_EVENT_KEY = '[CLY]_view';

/**
 * spec: Events > Immediate Flush Events — these bypass the threshold: the queue is combined
 * into a request as soon as one is recorded. Star rating and the rest do not.
 */
export const FLUSH_AT_ONCE_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze(['[CLY]_nps', '[CLY]_survey', '[CLY]_push_action']);

/** spec: Events > Event Queue Threshold — the default batch size. */
export const DEFAULT_EVENT_QUEUE_THRESHOLD = 100;

/**
 * The consent feature that gates recording an event (spec: Events > Internal Events): an
 * internal event by its own feature, never by `events`; every other key is a custom event.
 * The table itself lives in `consent.ts` (`[CLY]_view` views, `[CLY]_nps`/`[CLY]_survey`
 * feedback, `[CLY]_star_rating` star-rating, `[CLY]_orientation` users, `[CLY]_push_action`
 * push, `[CLY]_action` clicks or scrolls).
 */
export function consentFeatureFor(key: string, segmentation?: unknown): ConsentFeature {
  const seg = typeof segmentation === 'object' && segmentation !== null ? (segmentation as Record<string, unknown>) : undefined;
  return consentFeatureOfEvent(key, seg);
}

/** An internal event is one the consent table knows; any other key (even `[CLY]_...`) is custom. */
export function isInternalEvent(key: string): boolean {
  return consentFeatureFor(key) !== 'events';
}

export function mayRecord(consent: ConsentState, key: string, segmentation?: unknown): boolean {
  return consent[consentFeatureFor(key, segmentation)];
}

export const flushesAtOnce = (key: string): boolean => FLUSH_AT_ONCE_KEYS.includes(key);

/** A view end event carries no `visit` (spec: View Tracking); `cly_v` is not added to it. */
export const isViewEndEvent = (key: string, segmentation: Segmentation | undefined): boolean =>
  key === VIEW_EVENT_KEY && (segmentation === undefined || !Object.hasOwn(segmentation, 'visit'));

// ---- filters (spec: SDK Behavior Settings > Filter Application Logic) -----------------

export type FilterMode = 'none' | 'blacklist' | 'whitelist';

/** A list filter, as plain data (it lives in machine context). */
export interface KeyFilter {
  mode: FilterMode;
  keys: string[];
}

/** Per-event segmentation filter: event key → segmentation keys. */
export interface EventSegmentationFilter {
  mode: FilterMode;
  rules: Record<string, string[]>;
}

export interface EventFilters {
  /** `eb` / `ew`: which custom events may be recorded. */
  events: KeyFilter;
  /** `sb` / `sw`: which segmentation keys custom events keep. */
  segmentation: KeyFilter;
  /** `esb` / `esw`: per event, which segmentation keys it keeps. */
  eventSegmentation: EventSegmentationFilter;
}

export const NO_FILTERS: EventFilters = /* @__PURE__ */ Object.freeze({
  events: { mode: 'none', keys: [] },
  segmentation: { mode: 'none', keys: [] },
  eventSegmentation: { mode: 'none', rules: {} },
}) as EventFilters;

/** spec: an empty list means no filtering; otherwise a whitelist keeps, a blacklist drops. */
export function keyAllowed(filter: KeyFilter, key: string): boolean {
  if (filter.mode === 'none') return true;
  const listed = filter.keys.includes(key);
  return filter.mode === 'whitelist' ? listed : !listed;
}

/** Whether a custom event may be recorded at all (eb / ew). */
export function eventAllowed(filters: EventFilters, key: string): boolean {
  return keyAllowed(filters.events, key);
}

/**
 * Applies sb/sw, then esb/esw for this event (spec: "If no rule exists for a specific event
 * name, all segmentation is allowed for that event"). Returns the kept segmentation and the
 * keys removed.
 */
export function filterSegmentation(filters: EventFilters, key: string, segmentation: Segmentation): { segmentation: Segmentation; removed: string[] } {
  const perEvent = filters.eventSegmentation;
  const rule = perEvent.mode !== 'none' && Object.hasOwn(perEvent.rules, key) ? perEvent.rules[key] : undefined;
  const eventFilter: KeyFilter = rule ? { mode: perEvent.mode, keys: rule } : { mode: 'none', keys: [] };
  // No list applies (the usual case): nothing to copy.
  if (filters.segmentation.mode === 'none' && eventFilter.mode === 'none') return { segmentation, removed: [] };
  const kept: Segmentation = {};
  const removed: string[] = [];
  for (const [k, v] of Object.entries(segmentation)) {
    if (!(keyAllowed(filters.segmentation, k) && keyAllowed(eventFilter, k))) removed.push(k);
    else if (k === '__proto__') setOwn(kept, k, v);
    else kept[k] = v;
  }
  return { segmentation: kept, removed };
}

/**
 * One black/white list pair, as the decoder left it (spec l. 4755, Listing Filters: "If
 * both a blacklist and whitelist key are present for the same category, the blacklist takes
 * precedence"; l. 4774 and 4784: an empty list filters nothing). So a non-empty blacklist wins,
 * else a non-empty whitelist applies.
 */
export function listFilter(black: readonly string[] | undefined, white: readonly string[] | undefined): KeyFilter {
  if (black !== undefined && black.length > 0) return { mode: 'blacklist', keys: [...black] };
  if (white !== undefined && white.length > 0) return { mode: 'whitelist', keys: [...white] };
  return { mode: 'none', keys: [] };
}

type Rules = Readonly<Record<string, readonly string[]>>;
const copyRules = (rules: Rules): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(rules)) setOwn(out, k, [...v]);
  return out;
};

/** `esb` / `esw`: the same precedence, per event (spec l. 4764, 4786-4789). */
export function ruleFilter(black: Rules | undefined, white: Rules | undefined): EventSegmentationFilter {
  if (black !== undefined && Object.keys(black).length > 0) return { mode: 'blacklist', rules: copyRules(black) };
  if (white !== undefined && Object.keys(white).length > 0) return { mode: 'whitelist', rules: copyRules(white) };
  return { mode: 'none', rules: {} };
}

/** What applies when the server says nothing: the developer's config (or the SDK defaults). */
export interface EventSettingsBase {
  /** `eventQueueThreshold`. */
  threshold: number;
  limits: Limits;
  /** `sessionUpdateInterval`: the longest a recorded event waits for its request. */
  flushIntervalSeconds: number;
}

/** What the events feature takes from the behavior settings. */
export interface EventSettings extends EventSettingsBase {
  /** `cet`: custom events may be recorded. */
  customEvents: boolean;
  /** `tracking`: anything may be recorded. */
  tracking: boolean;
  filters: EventFilters;
}

/**
 * The events settings from the full (merged, decoded) behavior settings. A key that is absent
 * means "use the SDK default or the developer's value" (spec l. 4833-4840, the key table): `eqs`
 * over the threshold, `sui` over the flush interval, `lkl` / `lvs` / `lsv` over the limits.
 * Values arrive valid: `decodeBehaviorSettings` dropped (and warned about) the rest.
 */
export function eventSettingsFrom(s: BehaviorSettings, base: EventSettingsBase): EventSettings {
  return {
    threshold: s.eqs ?? base.threshold,
    flushIntervalSeconds: s.sui ?? base.flushIntervalSeconds,
    limits: {
      ...base.limits,
      ...(s.lkl === undefined ? {} : { maxKeyLength: s.lkl }),
      ...(s.lvs === undefined ? {} : { maxValueSize: s.lvs }),
      ...(s.lsv === undefined ? {} : { maxSegmentationValues: s.lsv }),
    },
    customEvents: s.cet ?? true,
    tracking: s.tracking ?? true,
    filters: {
      events: listFilter(s.eb, s.ew),
      segmentation: listFilter(s.sb, s.sw),
      eventSegmentation: ruleFilter(s.esb, s.esw),
    },
  };
}

// ---- numbers (spec: Events > recordEvent > Valid values) -------------------------------

/** A value for a warning; never throws (a hostile `toString` included). */
function show(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v) ?? typeof v;
  } catch {
    return typeof v;
  }
}

export interface EventNumbers {
  count: number;
  sum: number;
  dur: number;
}

/**
 * spec: count is an integer ≥ 1 (defaults to 1; negative values become 1 with a warning);
 * sum defaults to 0 and may be negative; dur defaults to 0, minimum 0.
 */
export function normalizeNumbers(given: { count?: unknown; sum?: unknown; dur?: unknown }): { value: EventNumbers; warnings: string[] } {
  const warnings: string[] = [];
  let count = 1;
  if (given.count !== undefined) {
    if (typeof given.count === 'number' && Number.isInteger(given.count) && given.count >= 1) count = given.count;
    else warnings.push(`count [${show(given.count)}] must be a positive integer, using 1`);
  }
  let sum = 0;
  if (given.sum !== undefined) {
    if (typeof given.sum === 'number' && Number.isFinite(given.sum)) sum = given.sum;
    else warnings.push(`sum [${show(given.sum)}] must be a finite number, using 0`);
  }
  let dur = 0;
  if (given.dur !== undefined) {
    if (typeof given.dur === 'number' && Number.isFinite(given.dur) && given.dur >= 0) dur = given.dur;
    else warnings.push(`dur [${show(given.dur)}] must be a number of seconds >= 0, using 0`);
  }
  return { value: { count, sum, dur }, warnings };
}

/** No limit at all: internal events are not limited, only cleaned of unsupported types. */
export const NO_LIMITS: Readonly<Limits> = /* @__PURE__ */ Object.freeze({
  maxKeyLength: Number.POSITIVE_INFINITY,
  maxValueSize: Number.POSITIVE_INFINITY,
  maxSegmentationValues: Number.POSITIVE_INFINITY,
  maxBreadcrumbCount: Number.POSITIVE_INFINITY,
  maxStackTraceLinesPerThread: Number.POSITIVE_INFINITY,
  maxStackTraceLineLength: Number.POSITIVE_INFINITY,
});

/**
 * The event as it goes on the wire (spec: Events > Networking and Params): `sum` and `dur`
 * always present (their defaults are 0), segmentation only when there is some, the time
 * fields of `at`.
 */
export function buildWireEvent(parts: {
  key: string;
  numbers: EventNumbers;
  segmentation: Segmentation;
  at: Instant;
  id: string;
  ids: Partial<Pick<WireEvent, 'pvid' | 'cvid' | 'peid'>>;
  /**
   * Leave out `sum` / `dur` the caller did not give (internal events: a view start event has
   * neither, its end event only `dur` — spec l. 1923-1955). Custom events always carry both.
   */
  omit?: { sum: boolean; dur: boolean };
}): WireEvent {
  const event: WireEvent = {
    key: parts.key,
    count: parts.numbers.count,
    sum: parts.numbers.sum,
    dur: parts.numbers.dur,
    timestamp: parts.at.timestamp,
    hour: parts.at.hour,
    dow: parts.at.dow,
    id: parts.id,
  };
  if (parts.omit?.sum) delete event.sum;
  if (parts.omit?.dur) delete event.dur;
  if (Object.keys(parts.segmentation).length > 0) event.segmentation = parts.segmentation;
  if (parts.ids.pvid !== undefined) event.pvid = parts.ids.pvid;
  if (parts.ids.cvid !== undefined) event.cvid = parts.ids.cvid;
  if (parts.ids.peid !== undefined) event.peid = parts.ids.peid;
  return event;
}

// ---- batching (spec: Events > Event Queue Threshold) ----------------------------------

/**
 * Cuts the pending events into batches of at most `threshold`, in order. With `all` every
 * event goes (a flush); without it only full batches go and the rest waits (spec: "only the
 * threshold number of events are spliced into each request, leaving the rest for the next
 * batch").
 */
export function cutBatches<T>(pending: readonly T[], threshold: number, all: boolean): { batches: T[][]; rest: T[] } {
  const size = Math.max(1, Math.floor(threshold));
  const batches: T[][] = [];
  let start = 0;
  while (pending.length - start >= size || (all && start < pending.length)) {
    batches.push(pending.slice(start, start + size));
    start += size;
  }
  return { batches, rest: pending.slice(start) };
}

/** The request params of one batch: `events` as a JSON array. */
export const batchParams = (batch: readonly WireEvent[]): Record<string, string> => ({ events: JSON.stringify(batch) });
