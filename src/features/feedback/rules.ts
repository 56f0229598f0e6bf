/**
 * Feedback widgets as pure functions (spec 001: User Feedback l. 3443–3751; Star Rating
 * (Legacy) l. 5600–5714): the widget list's decoder, matching by ID / name / tag, the WebView
 * URL, the event of a widget result (manual report or the protocol's close) and of the legacy
 * rating widget. Nothing here logs: problems come back as data.
 */
import type { Segmentation, SegmentationValue } from '../../domain/types.js';
import type { FeedbackWidget } from '../../types.js';

export type WidgetType = FeedbackWidget['type'];
export const WIDGET_TYPES: readonly WidgetType[] = /* @__PURE__ */ Object.freeze(['nps', 'survey', 'rating'] as const);

/** spec l. 3542–3545: the event key of a widget's result, by type. */
export const EVENT_KEYS: Readonly<Record<WidgetType, string>> = /* @__PURE__ */ Object.freeze({
  nps: '[CLY]_nps',
  survey: '[CLY]_survey',
  rating: '[CLY]_star_rating',
});
export const STAR_RATING_KEY = '[CLY]_star_rating';

/** spec l. 3549–3550: the `rating` a result must carry, by type (a survey has none). */
export const RATING_RANGE: Readonly<Record<WidgetType, readonly [number, number] | null>> = /* @__PURE__ */ Object.freeze({
  nps: [0, 10] as const,
  survey: null,
  rating: [1, 5] as const,
});

export const isWidgetType = (v: unknown): v is WidgetType => typeof v === 'string' && (WIDGET_TYPES as readonly string[]).includes(v);

/** A `FeedbackWidget` as the developer may hand one back (from the list, or built by hand). */
export function isFeedbackWidget(v: unknown): v is FeedbackWidget {
  if (typeof v !== 'object' || v === null) return false;
  const w = v as Record<string, unknown>;
  return (
    typeof w.id === 'string' &&
    w.id !== '' &&
    isWidgetType(w.type) &&
    typeof w.name === 'string' &&
    Array.isArray(w.tags) &&
    w.tags.every((t) => typeof t === 'string') &&
    (w.widgetVersion === undefined || typeof w.widgetVersion === 'string')
  );
}

/**
 * The widget a host handed back, read once into a plain copy (the machine's context stays JSON
 * and owns its data); null when it is not a widget or cannot be read (a throwing getter or proxy).
 */
export function readWidget(v: unknown): FeedbackWidget | null {
  try {
    if (typeof v !== 'object' || v === null) return null;
    const w = v as Record<string, unknown>;
    const candidate = { id: w.id, type: w.type, name: w.name, tags: Array.isArray(w.tags) ? [...(w.tags as unknown[])] : w.tags, widgetVersion: w.widgetVersion };
    return isFeedbackWidget(candidate) ? copyWidget(candidate) : null;
  } catch {
    return null;
  }
}

/** A plain copy (the machine's context stays JSON and owns its data). */
export const copyWidget = (w: FeedbackWidget): FeedbackWidget => ({
  id: w.id,
  type: w.type,
  name: w.name,
  tags: [...w.tags],
  ...(w.widgetVersion !== undefined ? { widgetVersion: w.widgetVersion } : {}),
});

// ---- the widget list (spec l. 3480–3486, 3720–3728) ------------------------------------

export type Decoded<T> = { ok: true; value: T; dropped: number } | { ok: false; error: string };

/** One item of `result`: `_id` → id, `type`, `name`, `tg` → tags, `wv` → widgetVersion; null when unusable. */
export function decodeWidget(item: unknown): FeedbackWidget | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return null;
  const o = item as Record<string, unknown>;
  if (typeof o._id !== 'string' || o._id === '' || !isWidgetType(o.type)) return null;
  const name = typeof o.name === 'string' ? o.name : '';
  const tags = Array.isArray(o.tg) ? o.tg.filter((t): t is string => typeof t === 'string') : [];
  // `wv` is "nullable": absent, null or empty means a legacy widget.
  const wv = typeof o.wv === 'string' ? o.wv : typeof o.wv === 'number' && Number.isFinite(o.wv) ? String(o.wv) : '';
  return { id: o._id, type: o.type, name, tags, ...(wv !== '' ? { widgetVersion: wv } : {}) };
}

/** The answer to `/o/sdk?method=feedback`: `{"result":[...]}`; invalid items are dropped (counted). */
export function decodeWidgetList(status: number, body: string): Decoded<FeedbackWidget[]> {
  if (status < 200 || status >= 300) return { ok: false, error: `the server answered ${status}` };
  const parsed = parseJson(body);
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { result?: unknown }).result)) {
    return { ok: false, error: 'the answer has no "result" list' };
  }
  const items = (parsed as { result: unknown[] }).result;
  const value: FeedbackWidget[] = [];
  for (const item of items) {
    const w = decodeWidget(item);
    if (w !== null) value.push(w);
  }
  return { ok: true, value, dropped: items.length - value.length };
}

/** The answer to `/o/surveys/{type}/widget`: the widget's data, a JSON object. */
export function decodeWidgetData(status: number, body: string): Decoded<Record<string, unknown>> {
  if (status < 200 || status >= 300) return { ok: false, error: `the server answered ${status}` };
  const parsed = parseJson(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'the answer is not a JSON object' };
  return { ok: true, value: parsed as Record<string, unknown>, dropped: 0 };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/**
 * spec l. 3566–3572: filter by type; with a non-empty `match`, the first widget whose ID, else
 * name, else one of its tags equals it; without one, the first of the type.
 */
export function matchWidget(widgets: readonly FeedbackWidget[], type: WidgetType, match: string | null): FeedbackWidget | null {
  const ofType = widgets.filter((w) => w.type === type);
  if (match === null || match === '') return ofType[0] ?? null;
  return ofType.find((w) => w.id === match) ?? ofType.find((w) => w.name === match) ?? ofType.find((w) => w.tags.includes(match)) ?? null;
}

// ---- the WebView URL (spec l. 3671–3695, 3733–3738) ------------------------------------

export interface UrlIdentity {
  serverUrl: string;
  deviceId: string;
  appKey: string;
  sdkVersion: string;
  sdkName: string;
  appVersion: string;
  platform: string;
}

/** spec l. 3689–3690: `{"tc":1}`, and `xb` / `rw` for a versioned widget. */
export const customParam = (w: FeedbackWidget): string => (w.widgetVersion !== undefined && w.widgetVersion !== '' ? '{"tc":1,"xb":1,"rw":1}' : '{"tc":1}');

/** The parameters in the spec's order; no checksum even with a salt (l. 3693). */
export function widgetUrlParams(w: FeedbackWidget, id: UrlIdentity): Array<readonly [string, string]> {
  return [
    ['widget_id', w.id],
    ['device_id', id.deviceId],
    ['app_key', id.appKey],
    ['sdk_version', id.sdkVersion],
    ['sdk_name', id.sdkName],
    ['app_version', id.appVersion],
    ['platform', id.platform],
    ['custom', customParam(w)],
  ];
}

/** A lone surrogate as U+FFFD: `encodeURIComponent` throws on one, and `widgetUrl` must not. */
export const wellFormed = (s: string): string => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

/** `{server}/feedback/{type}?widget_id=..&device_id=..&...&custom=..`, every value percent-encoded. */
export function buildWidgetUrl(w: FeedbackWidget, id: UrlIdentity): string {
  const query = widgetUrlParams(w, id)
    .map(([k, v]) => `${k}=${encodeURIComponent(wellFormed(v))}`)
    .join('&');
  return `${id.serverUrl.replace(/\/+$/, '')}/feedback/${w.type}?${query}`;
}

// ---- results as events (spec l. 3526–3556, 3631–3634, 5647–5658) ----------------------

export interface Base {
  platform: string;
  appVersion: string;
}

/** spec l. 3547: platform, app_version, widget_id — always there, whatever the result says. */
export const baseSegmentation = (widgetId: string, base: Base): Segmentation => ({ platform: base.platform, app_version: base.appVersion, widget_id: widgetId });

const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/**
 * A manual report's result, checked: the rating in range for NPS (0–10) and rating (1–5)
 * widgets (l. 3549–3550), values that are strings, finite numbers, booleans or arrays of
 * them, strings cut to `maxValueSize` (l. 3551). `null`: the widget was closed. An error
 * string means the call must be ignored; `warnings` name what was dropped or cut.
 */
export function checkResult(
  type: WidgetType,
  result: Readonly<Record<string, unknown>> | null,
  maxValueSize: number,
): { ok: true; result: Segmentation | null; warnings: string[] } | { ok: false; error: string } {
  if (result === null) return { ok: true, result: null, warnings: [] };
  const range = RATING_RANGE[type];
  if (range !== null) {
    const r = Object.hasOwn(result, 'rating') ? result.rating : undefined;
    if (typeof r !== 'number' || !Number.isInteger(r) || r < range[0] || r > range[1]) {
      return { ok: false, error: `a ${type} result needs a whole "rating" from ${range[0]} to ${range[1]}, got ${r === undefined ? 'none' : JSON.stringify(r) ?? String(r)}` };
    }
  }
  const out: Segmentation = {};
  const warnings: string[] = [];
  for (const [k, v] of Object.entries(result)) {
    let value: SegmentationValue | null = null;
    if (isScalar(v)) value = typeof v === 'string' ? cut(v, maxValueSize) : v;
    else if (Array.isArray(v) && v.every(isScalar)) value = v.map((x) => (typeof x === 'string' ? cut(x, maxValueSize) : x));
    if (value === null) {
      warnings.push(`result value of "${k}" is not a string, number, boolean or list of them; dropped`);
      continue;
    }
    if (typeof v === 'string' && v.length > maxValueSize) warnings.push(`result value of "${k}" cut to maxValueSize (${maxValueSize})`);
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return { ok: true, result: out, warnings };
}

/** The event segmentation of a result (or `closed: "1"` when null); the base keys win. */
export function resultSegmentation(widgetId: string, result: Segmentation | null, base: Base): Segmentation {
  const seg: Segmentation = {};
  const put = (k: string, v: SegmentationValue): void => void Object.defineProperty(seg, k, { value: v, enumerable: true, writable: true, configurable: true });
  if (result === null) put('closed', '1');
  else for (const [k, v] of Object.entries(result)) put(k, v);
  for (const [k, v] of Object.entries(baseSegmentation(widgetId, base))) put(k, v);
  return seg;
}

export interface LegacyRating {
  widgetId: string;
  rating: number;
  email?: string;
  comment?: string;
  contactMe: boolean;
}

/** spec l. 5647–5658: the rating clamped to 1–5 (rounded: the dashboard counts whole stars). */
export const clampRating = (rating: number): number => Math.min(5, Math.max(1, Math.round(rating)));

/** spec l. 5651–5658: `[CLY]_star_rating` of `recordRatingWidgetWithID`. */
export function legacyRatingSegmentation(r: LegacyRating, base: Base, maxValueSize: number): Segmentation {
  return {
    platform: base.platform,
    app_version: base.appVersion,
    widget_id: r.widgetId,
    rating: clampRating(r.rating),
    contactMe: r.contactMe,
    ...(r.email !== undefined ? { email: cut(r.email, maxValueSize) } : {}),
    ...(r.comment !== undefined ? { comment: cut(r.comment, maxValueSize) } : {}),
  };
}
