/**
 * `Platform.ui` for the browser: feedback widgets and content as iframe overlays.
 *
 * - Widgets (spec 001 l. 3600–3665, 3677): a full-viewport overlay (backdrop, an iframe, a close
 *   button). A native web view intercepts the widget's navigations to
 *   `https://countly_action_event/...`; an iframe cannot see its own navigations, so the page
 *   in it talks through `window.parent.postMessage` instead. Accepted from that iframe only
 *   (`event.source`) and from the widget URL's origin: an action-event URL or a `cly_x_int=1`
 *   link as a string (forwarded as is), or an object / its JSON (`{close}`, `{link, close?}`,
 *   the shape the Countly web widgets post) turned into the equivalent action-event URL.
 * - Content (l. 1530–1590): an iframe placed per orientation (`geo` in CSS px), every message
 *   of that iframe (`event.source`) handed on with its origin (the SDK validates the origin,
 *   l. 1588); `post` answers with the content URL's origin as the target, never `*`.
 * - Both start invisible and appear on `load`; 60 s without it closes them (l. 1535, 3661–3665).
 *
 * Nothing touches the DOM at import; every DOM call is guarded: a page that breaks the DOM
 * costs the overlay, never an exception in the SDK. Without `document.body` nothing is shown
 * and `onClosed` is called at once (the SDK then knows nothing is on screen).
 */
import type { ContentPlacement, PlatformUi, UiHandle, UiRect } from '../types.js';
import { ACTION_EVENT_BASE, isActionEventUrl, isExternalLink } from '../../features/feedback/webview.js';

/** spec l. 1535, 3663: content or a widget not loaded within 60 s is closed. */
export const LOAD_TIMEOUT_MS = 60_000;
const TOP = '2147483647';

export interface BrowserUiOptions {
  /** How long an overlay may take to load before it is closed (default 60 s). */
  loadTimeoutMs?: number;
}

// ---- pure parts (unit-tested in Node) --------------------------------------------------

/** The origin of an http(s) URL (relative to `base` when given), else null. Never throws. */
export function httpOrigin(url: unknown, base?: string): string | null {
  if (typeof url !== 'string') return null;
  try {
    const u = base === undefined ? new URL(url) : new URL(url, base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/** Whether `url` is an absolute http(s) URL (what `openUrl` opens). */
export const isHttpUrl = (url: unknown): url is string => httpOrigin(url) !== null;

/** The rect for the orientation now: portrait when `portrait`, else landscape. */
export function rectFor(placement: ContentPlacement, portrait: boolean): UiRect {
  return portrait ? placement.portrait : placement.landscape;
}

const px = (n: unknown): string => `${typeof n === 'number' && Number.isFinite(n) ? Math.max(0, n) : 0}px`;

/** The CSS of a placed rect (negative or non-finite numbers read as 0). */
export function rectStyle(rect: UiRect): { left: string; top: string; width: string; height: string } {
  return { left: px(rect?.x), top: px(rect?.y), width: px(rect?.width), height: px(rect?.height) };
}

/**
 * What a widget iframe posted, as the action-event URL the SDK's `parseWidgetMessage` reads,
 * or null when it is nothing the protocol knows. A string that is an action-event URL or an
 * external link passes as is; an object (or its JSON) with `link` becomes the `action=link`
 * command, and `close` alone becomes a close without a cancel event (the web widget posts
 * `{close}` after it is answered too, so it does not say the user dismissed it).
 */
export function widgetMessageUrl(data: unknown): string | null {
  if (typeof data === 'string') {
    const text: string = data;
    if (isActionEventUrl(text) || isExternalLink(text)) return text;
    const t = data.trim();
    if (!t.startsWith('{')) return null;
    try {
      return widgetMessageUrl(JSON.parse(t) as unknown);
    } catch {
      return null;
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const o = data as Record<string, unknown>;
  const close = o.close === true || o.close === 1 || o.close === '1' || o.close === 'true';
  const link = typeof o.link === 'string' && o.link !== '' ? o.link : null;
  if (link !== null) return `${ACTION_EVENT_BASE}/?cly_x_action_event=1&action=link&link=${encodeURIComponent(link)}${close ? '&close=1' : ''}`;
  return close ? `${ACTION_EVENT_BASE}/?cly_x_action_event=1&action=close&close=1` : null;
}

// ---- the DOM part ------------------------------------------------------------------------

/** Runs `fn`, swallowing whatever the page's DOM throws. */
function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function setStyle(el: HTMLElement, style: Record<string, string>): void {
  for (const [k, v] of Object.entries(style)) safe(() => el.style.setProperty(k, v), undefined);
}

/** One overlay's bookkeeping: teardown runs once, then `onClosed` once. */
function lifecycle(onClosed: () => void) {
  const cleanups: Array<() => void> = [];
  let closed = false;
  return {
    add(fn: () => void): void {
      cleanups.push(fn);
    },
    get closed(): boolean {
      return closed;
    },
    close(): void {
      if (closed) return;
      closed = true;
      for (const fn of cleanups.splice(0).reverse()) safe(fn, undefined);
      safe(onClosed, undefined);
    },
  };
}

type Life = ReturnType<typeof lifecycle>;

function listen(life: Life, target: EventTarget | null | undefined, type: string, fn: (e: Event) => void): void {
  if (!target || typeof target.addEventListener !== 'function') return;
  const guarded = (e: Event): void => safe(() => fn(e), undefined);
  safe(() => target.addEventListener(type, guarded), undefined);
  life.add(() => target.removeEventListener(type, guarded));
}

/** Shows the iframe on `load`; closes the overlay when it never loads. */
function whenLoaded(life: Life, win: Window | null, iframe: HTMLIFrameElement, timeoutMs: number): void {
  listen(life, iframe, 'load', () => setStyle(iframe, { visibility: 'visible' }));
  if (!win || typeof win.setTimeout !== 'function') return;
  let loaded = false;
  listen(life, iframe, 'load', () => {
    loaded = true;
  });
  const timer = safe(() => win.setTimeout(() => !loaded && life.close(), timeoutMs), undefined);
  if (timer !== undefined) life.add(() => win.clearTimeout(timer));
}

/**
 * The browser's `PlatformUi`. `doc` defaults to the global `document`, read at each call,
 * never at import.
 */
export function browserUi(doc?: Document, options: BrowserUiOptions = {}): PlatformUi {
  const timeoutMs = options.loadTimeoutMs ?? LOAD_TIMEOUT_MS;
  const documentNow = (): Document | undefined => doc ?? (globalThis as { document?: Document }).document;
  /** The document and its body, or null when there is nowhere to show anything. */
  const host = (): { d: Document; body: HTMLElement; win: Window | null } | null =>
    safe(() => {
      const d = documentNow();
      const body = d?.body;
      return d && body ? { d, body, win: d.defaultView ?? null } : null;
    }, null);
  const baseOf = (d: Document): string | undefined => safe(() => d.baseURI || undefined, undefined);

  function makeIframe(d: Document, url: string, title: string): HTMLIFrameElement {
    const iframe = d.createElement('iframe');
    safe(() => iframe.setAttribute('title', title), undefined);
    safe(() => iframe.setAttribute('src', url), undefined);
    setStyle(iframe, { border: '0', background: 'transparent', visibility: 'hidden', 'color-scheme': 'normal' });
    return iframe;
  }

  /**
   * One overlay: its lifecycle (teardown once, then `onClosed` once), built by `build` on the
   * document's body. Nowhere to show it, or a page whose DOM throws: closed at once, no handle.
   */
  function overlay(onClosed: () => void, build: (h: { d: Document; body: HTMLElement; win: Window | null }, life: Life) => UiHandle): UiHandle | undefined {
    const life = lifecycle(onClosed);
    const h = host();
    const handle = h ? safe<UiHandle | null>(() => build(h, life), null) : null;
    if (handle === null) life.close();
    return handle ?? undefined;
  }

  return {
    showWidget(url, handlers) {
      return overlay(() => handlers.onClosed(), ({ d, body, win }, life) => {
        const overlay = d.createElement('div');
        overlay.setAttribute('role', 'dialog');
        overlay.setAttribute('aria-modal', 'true');
        overlay.setAttribute('aria-label', 'Feedback');
        overlay.setAttribute('data-chartly', 'feedback');
        setStyle(overlay, { position: 'fixed', inset: '0', 'z-index': TOP, background: 'rgba(0,0,0,0.5)', display: 'flex', 'align-items': 'center', 'justify-content': 'center' });
        const iframe = makeIframe(d, url, 'Feedback');
        setStyle(iframe, { width: '100%', height: '100%' });
        const button = d.createElement('button');
        button.setAttribute('type', 'button');
        button.setAttribute('aria-label', 'Close feedback');
        button.textContent = '\u00d7';
        setStyle(button, { position: 'absolute', top: '8px', right: '8px', width: '36px', height: '36px', 'font-size': '24px', 'line-height': '1', border: '0', 'border-radius': '18px', background: 'rgba(255,255,255,0.9)', color: '#222', cursor: 'pointer' });
        overlay.appendChild(iframe);
        overlay.appendChild(button);
        body.appendChild(overlay);
        life.add(() => overlay.remove());
        const widgetOrigin = httpOrigin(url, baseOf(d));
        listen(life, button, 'click', () => life.close());
        listen(life, overlay, 'keydown', (e) => (e as KeyboardEvent).key === 'Escape' && life.close());
        listen(life, win, 'message', (e) => {
          const ev = e as MessageEvent;
          // Only the widget's own frame, from the widget's origin (spec l. 3607: the widget is the sender).
          if (life.closed || ev.source === null || ev.source !== iframe.contentWindow) return;
          if (widgetOrigin === null || ev.origin !== widgetOrigin) return;
          const message = widgetMessageUrl(ev.data);
          if (message !== null) handlers.onMessage(message);
        });
        whenLoaded(life, win, iframe, timeoutMs);
        safe(() => button.focus({ preventScroll: true }), undefined);
        return { close: () => life.close() };
      });
    },

    showContent(url, placement, handlers) {
      return overlay(() => handlers.onClosed(), ({ d, body, win }, life) => {
        const iframe = makeIframe(d, url, 'Content');
        iframe.setAttribute('data-chartly', 'content');
        setStyle(iframe, { position: 'fixed', 'z-index': TOP });
        const mql = safe(() => win?.matchMedia?.('(orientation: portrait)') ?? null, null);
        const portraitNow = (): boolean =>
          safe(() => (mql ? mql.matches : (win?.innerHeight ?? 0) >= (win?.innerWidth ?? 0)), true);
        // What the SDK placed per orientation (a `resize_me`) wins over the geo on a turn.
        const placed: { portrait?: UiRect; landscape?: UiRect } = {};
        const apply = (rect: UiRect): void => setStyle(iframe, rectStyle(rect));
        const replace = (): void => {
          const portrait = portraitNow();
          apply((portrait ? placed.portrait : placed.landscape) ?? rectFor(placement, portrait));
        };
        replace();
        body.appendChild(iframe);
        life.add(() => iframe.remove());
        listen(life, mql, 'change', replace);
        const target = httpOrigin(url, baseOf(d));
        listen(life, win, 'message', (e) => {
          const ev = e as MessageEvent;
          // Only this iframe's messages; the SDK checks the origin against its list (l. 1588).
          if (life.closed || ev.source === null || ev.source !== iframe.contentWindow) return;
          handlers.onMessage(ev.data, ev.origin);
        });
        whenLoaded(life, win, iframe, timeoutMs);
        return {
          close: () => life.close(),
          post(message: unknown) {
            if (life.closed || target === null) return;
            safe(() => iframe.contentWindow?.postMessage(message, target), undefined);
          },
          place(rect: UiRect) {
            if (life.closed || rect === null || typeof rect !== 'object') return;
            if (portraitNow()) placed.portrait = rect;
            else placed.landscape = rect;
            apply(rect);
          },
        };
      });
    },

    openUrl(url) {
      if (!isHttpUrl(url)) return;
      const d = documentNow();
      const win = safe(() => d?.defaultView ?? (globalThis as { window?: Window }).window, undefined);
      safe(() => win?.open(url, '_blank', 'noopener'), null);
    },
  };
}
