/**
 * Messages from content to the SDK (spec 001: Content Communication Protocol l. 1539-1598),
 * as a pure function: what a message asks for, in the order the SDK does it. The machine
 * turns the actions into commands; nothing here touches the platform.
 *
 * - `close` (`{"close": 1}`) closes the overlay — always last (l. 1573: "Close should take
 *   effect as final action").
 * - `event` (`[{key, ...}]`) records each event, in order.
 * - `link` (`"https://…"`) opens the URL outside the app.
 * - `resize_me` (`{p: {x,y,w,h}, l: {…}}`) moves / resizes the overlay.
 * Fields may be combined (l. 1573): the order is events, link, resize, then close.
 *
 * Origin validation (l. 1588-1590): a message is accepted only from the server URL's origin or
 * one of `config.content.allowedOrigins`; any other is silently ignored.
 */
import type { ContentPlacement } from '../../adapters/types.js';
import { originOf } from '../../config-server-driven.js';
import { placementOf } from './rules.js';

/** The most events one message may record (a runaway page must not flood the queue). */
export const MAX_EVENTS_PER_MESSAGE = 100;

/** An event the content asks to record, validated. */
export interface ContentEvent {
  key: string;
  count?: number;
  sum?: number;
  dur?: number;
  segmentation?: Record<string, unknown>;
}

export type ContentAction =
  | { kind: 'event'; event: ContentEvent }
  | { kind: 'link'; url: string }
  | { kind: 'resize'; placement: ContentPlacement }
  | { kind: 'close' };

export interface HandledMessage {
  /** False when the origin is not allowed (then there are no actions and no problems). */
  accepted: boolean;
  actions: ContentAction[];
  /** What was wrong with fields of an accepted message (logged as warnings). */
  problems: string[];
}

/** Whether `origin` is the server's origin or one of the allowed ones (compared as normalized origins). */
export function originAllowed(origin: unknown, serverUrl: string, allowedOrigins: readonly string[]): boolean {
  const from = originOf(origin);
  if (from === null) return false;
  if (from === originOf(serverUrl)) return true;
  return allowedOrigins.some((o) => originOf(o) === from);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A message posted as a JSON string is read as its object. */
function asObject(message: unknown): Record<string, unknown> | null {
  if (isObject(message)) return message;
  if (typeof message === 'string') {
    try {
      const parsed: unknown = JSON.parse(message);
      return isObject(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** `close: 1` (also `true` / `"1"`); `0`, `false` and absence mean no close. */
const wantsClose = (v: unknown): boolean => v === 1 || v === true || v === '1' || v === 'true';

function eventOf(value: unknown, index: number, problems: string[]): ContentEvent | null {
  if (!isObject(value) || typeof value.key !== 'string' || value.key.trim() === '') {
    problems.push(`event[${index}] has no key; not recorded`);
    return null;
  }
  const event: ContentEvent = { key: value.key };
  for (const name of ['count', 'sum', 'dur'] as const) {
    const n = value[name];
    if (n === undefined) continue;
    if (isNumber(n)) event[name] = n;
    else problems.push(`event[${index}] ${name} is not a number; left out`);
  }
  // Content sends segmentation as `segmentation` (or the wire's short `sg`).
  const seg = value.segmentation ?? value.sg;
  if (seg !== undefined) {
    if (isObject(seg)) event.segmentation = { ...seg };
    else problems.push(`event[${index}] segmentation is not an object; left out`);
  }
  return event;
}

/** Only web links leave the app (a `javascript:` or `file:` URL from content is refused). */
function linkOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * What one message from content asks for. Never throws: a field of the wrong shape is left
 * out (named in `problems`), the others still run; a message from a foreign origin does nothing.
 */
export function handleContentMessage(message: unknown, origin: unknown, serverUrl: string, allowedOrigins: readonly string[]): HandledMessage {
  if (!originAllowed(origin, serverUrl, allowedOrigins)) return { accepted: false, actions: [], problems: [] };
  const m = asObject(message);
  if (m === null) return { accepted: true, actions: [], problems: ['the message is not an object; ignored'] };
  const actions: ContentAction[] = [];
  const problems: string[] = [];

  if (m.event !== undefined) {
    const list: unknown[] = Array.isArray(m.event) ? m.event : [m.event];
    if (list.length > MAX_EVENTS_PER_MESSAGE) problems.push(`${list.length} events in one message; the first ${MAX_EVENTS_PER_MESSAGE} recorded`);
    list.slice(0, MAX_EVENTS_PER_MESSAGE).forEach((value, i) => {
      const event = eventOf(value, i, problems);
      if (event !== null) actions.push({ kind: 'event', event });
    });
  }
  if (m.link !== undefined) {
    const url = linkOf(m.link);
    if (url === null) problems.push('link is not an http(s) URL; not opened');
    else actions.push({ kind: 'link', url });
  }
  if (m.resize_me !== undefined) {
    const placement = placementOf(m.resize_me);
    if (placement === null) problems.push('resize_me has no usable p/l {x, y, w, h}; not resized');
    else actions.push({ kind: 'resize', placement });
  }
  if (wantsClose(m.close)) actions.push({ kind: 'close' });
  return { accepted: true, actions, problems };
}
