/**
 * The content zone's rules as pure functions (spec 001: Content Zone l. 1346-1604, SDK
 * Behavior Settings `ecz`/`czi`/`rcz`/`jte` l. 4766, 4852-4873): the fetch params, the answer's
 * validation, the placement, the interval and the entry delay. No xstate, no clock, no
 * platform: the effect reads the platform and hands the facts in.
 */
import type { ContentPlacement, Orientation, UiRect } from '../../adapters/types.js';
import { MIN_ZONE_INTERVAL_SECONDS } from '../../config-server-driven.js';

/** spec l. 1470-1472: content fetches go to this endpoint, directly (not through the queue). */
export const CONTENT_ENDPOINT = '/o/sdk/content';
/** spec l. 1411-1412: "a 4 second initial delay if the SDK was just initialized". */
export const INITIAL_DELAY_MS = 4_000;
/** spec l. 4766: a journey trigger retries the refresh "up to 3 times with 1-second delays". */
export const JOURNEY_RETRIES = 3;
export const JOURNEY_RETRY_MS = 1_000;
/** spec l. 1586: "Resize messages are debounced (typically ~200ms)". */
export const RESIZE_DEBOUNCE_MS = 200;
/** The channel `config.content.onContent` listens on (runtime/callbacks.ts). */
export const CONTENT_CALLBACK_CHANNEL = 'content.onContent';

/** The interval the server's `czi` sets (seconds), or the configured one: a value under 15 s is ignored (l. 1394-1395). */
export function intervalMsFrom(configSeconds: number, czi: number | undefined): number {
  const seconds = czi !== undefined && Number.isFinite(czi) && czi >= MIN_ZONE_INTERVAL_SECONDS ? czi : configSeconds;
  return seconds * 1000;
}

/**
 * The wait before the first fetch of an entry (l. 1411-1412): 4 s when the SDK started less than
 * 4 s ago (the app is still loading), else none — the zone fetches at once, then every interval.
 */
export function entryDelayMs(bootAt: number, now: number): number {
  return now - bootAt < INITIAL_DELAY_MS ? INITIAL_DELAY_MS : 0;
}

/** What the effect read from the platform for one fetch. */
export interface DeviceFacts {
  /** The `metrics` the SDK would send now (platform metrics with the config's overrides). */
  metrics: Readonly<Record<string, unknown>>;
  /** The web platform adds `cly_ws=1` and `cly_origin` (l. 1592-1598); null elsewhere. */
  webOrigin: string | null;
}

interface Size {
  w: number;
  h: number;
}

/** `_resolution` (`"1080x1920"`) as a size, or null. */
export function resolutionOf(value: unknown): Size | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d{1,6})\s*[x×*]\s*(\d{1,6})\s*$/i.exec(value);
  if (!m) return null;
  return { w: Number(m[1]), h: Number(m[2]) };
}

/**
 * spec l. 1458-1463: `{"p":{"w","h"},"l":{"w","h"}}` in dp. The screen's long side is the
 * portrait height and the landscape width, whatever the orientation now. Browsers report
 * `screen` in CSS pixels, which are already density-independent. Unknown: zeros.
 */
export function resolutionParam(metrics: Readonly<Record<string, unknown>>): string {
  const size = resolutionOf(metrics._resolution) ?? { w: 0, h: 0 };
  const short = Math.min(size.w, size.h);
  const long = Math.max(size.w, size.h);
  return JSON.stringify({ p: { w: short, h: long }, l: { w: long, h: short } });
}

/** spec l. 1465: `la`, the language code (`en` of `en-US`), lower case; `en` when the platform has none. */
export function languageOf(metrics: Readonly<Record<string, unknown>>): string {
  const locale = metrics._locale;
  if (typeof locale !== 'string') return 'en';
  const lang = locale.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
  return /^[a-z]{2,8}$/.test(lang) ? lang : 'en';
}

/** spec l. 1466: `dt`, "phone" / "tablet"; the platforms' `_device_type` says `mobile` for phones. */
export function deviceTypeOf(metrics: Readonly<Record<string, unknown>>): string {
  const t = metrics._device_type;
  if (typeof t !== 'string' || t.trim() === '') return 'desktop';
  const lower = t.trim().toLowerCase();
  return lower === 'mobile' ? 'phone' : lower;
}

/** The params of one content fetch (l. 1456-1468), `content_id` and `preview=true` for a preview. */
export function contentParams(facts: DeviceFacts, contentId: string | null): Record<string, string> {
  const params: Record<string, string> = {
    method: 'queue',
    resolution: resolutionParam(facts.metrics),
    category: '[]',
    la: languageOf(facts.metrics),
    dt: deviceTypeOf(facts.metrics),
  };
  if (contentId !== null) {
    params.content_id = contentId;
    params.preview = 'true';
  }
  if (facts.webOrigin !== null) {
    params.cly_ws = '1';
    params.cly_origin = facts.webOrigin;
  }
  return params;
}

/** A valid content answer: the content's URL and where it goes. */
export interface ContentBlock {
  url: string;
  placement: ContentPlacement;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One orientation's `{x, y, w, h}` (dp) as a rect, or null when a coordinate is missing or negative. */
export function rectOf(value: unknown): UiRect | null {
  if (!isObject(value)) return null;
  const { x, y, w, h } = value;
  if (!isNumber(x) || !isNumber(y) || !isNumber(w) || !isNumber(h) || w < 0 || h < 0) return null;
  return { x, y, width: w, height: h };
}

/**
 * `geo` (l. 1500-1520; also `resize_me`, l. 1567): both orientations; one that is missing
 * takes the other's rect, so the overlay always has a place. Null when neither is usable.
 */
export function placementOf(geo: unknown): ContentPlacement | null {
  if (!isObject(geo)) return null;
  const p = rectOf(geo.p);
  const l = rectOf(geo.l);
  if (p === null && l === null) return null;
  return { portrait: p ?? l!, landscape: l ?? p! };
}

/**
 * spec l. 1520: "The response is validated by checking that both "geo" and "html" fields are
 * present": a 2xx JSON object with a non-empty `html` string and a usable `geo`; anything else
 * (`{"result":"No content block found!"}`, an error, a malformed body) means no content now.
 */
export function parseContentAnswer(status: number, body: string): ContentBlock | null {
  if (status < 200 || status >= 300) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(parsed) || !Object.hasOwn(parsed, 'html') || !Object.hasOwn(parsed, 'geo')) return null;
  const { html, geo } = parsed;
  if (typeof html !== 'string' || html.trim() === '') return null;
  const placement = placementOf(geo);
  return placement === null ? null : { url: html, placement };
}

/** The rect for an orientation (portrait when the platform does not say). */
export const rectFor = (placement: ContentPlacement, orientation: Orientation | null): UiRect =>
  orientation === 'landscape' ? placement.landscape : placement.portrait;

/** spec l. 1577-1584: the message to content when the viewport changes. */
export function resizeMessage(metrics: Readonly<Record<string, unknown>>, orientation: Orientation | null): { type: 'resize'; width: number; height: number } {
  const size = resolutionOf(metrics._resolution) ?? { w: 0, h: 0 };
  const short = Math.min(size.w, size.h);
  const long = Math.max(size.w, size.h);
  return orientation === 'landscape' ? { type: 'resize', width: long, height: short } : { type: 'resize', width: short, height: long };
}
