/**
 * The feedback widget's WebView protocol (spec 001 l. 3607–3665), as one total, pure parser a
 * platform (or the SDK, from `showWidget`'s `onMessage`) calls with every URL the widget page
 * tries to load:
 *
 * - `https://countly_action_event/?cly_widget_command=1&close=1`: the widget's own close
 *   button (versioned widgets, `xb=1`) → `close` with `cancel` (the SDK records the cancel event);
 * - `https://countly_action_event/?cly_x_action_event=1&action=link&link=URL[&close=1]` → open
 *   `URL` outside the app, and close when `close=1`; another `action` with `close=1` → close
 *   (no cancel event: the widget did not say it was dismissed);
 * - any URL ending with the `cly_x_int=1` parameter, whatever its origin → open it outside the
 *   app instead of loading it (l. 3651–3659);
 * - anything else → `ignore` (a normal page load: let the web view have it).
 *
 * Never throws, whatever it is given.
 */

/** spec l. 3613: every message of the widget starts with this. */
export const ACTION_EVENT_BASE = 'https://countly_action_event';

export type WidgetMessage =
  /** `cancel`: the widget's close button (record the cancel event); else an action asked to close. */
  | { kind: 'close'; cancel: boolean }
  | { kind: 'link'; url: string; close: boolean }
  | { kind: 'external'; url: string }
  | { kind: 'ignore' };

const IGNORE: WidgetMessage = /* @__PURE__ */ Object.freeze({ kind: 'ignore' });

/** True for `https://countly_action_event` followed by nothing, `/`, `?` or `#`. */
export function isActionEventUrl(url: unknown): url is string {
  if (typeof url !== 'string' || !url.startsWith(ACTION_EVENT_BASE)) return false;
  const next = url.charAt(ACTION_EVENT_BASE.length);
  return next === '' || next === '/' || next === '?' || next === '#';
}

/** spec l. 3651: "ends with the query parameter cly_x_int=1". */
export const isExternalLink = (url: unknown): url is string => typeof url === 'string' && /[?&]cly_x_int=1$/.test(url);

/** The query of a URL as decoded params (a repeated name: the first wins); never throws. */
function queryOf(url: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  const hash = url.indexOf('#', q);
  const raw = url.slice(q + 1, hash < 0 ? undefined : hash);
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (!out.has(name)) out.set(name, decode(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return out;
}

function decode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    // A malformed escape (`%zz`) stays as it is rather than losing the message.
    return plus;
  }
}

/** What the SDK must do with one URL from the widget's web view. */
export function parseWidgetMessage(url: unknown): WidgetMessage {
  if (typeof url !== 'string') return IGNORE;
  // spec l. 3653: "regardless of whether it starts with the communication base URL".
  if (isExternalLink(url)) return { kind: 'external', url };
  if (!isActionEventUrl(url)) return IGNORE;
  const q = queryOf(url);
  const close = q.get('close') === '1';
  if (q.get('cly_widget_command') === '1') return close ? { kind: 'close', cancel: true } : IGNORE;
  if (q.get('cly_x_action_event') !== '1') return IGNORE;
  if (q.get('action') === 'link') {
    const link = q.get('link') ?? '';
    if (link !== '') return { kind: 'link', url: link, close };
  }
  return close ? { kind: 'close', cancel: false } : IGNORE;
}
