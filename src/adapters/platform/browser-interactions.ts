/**
 * The browser's interactions for heatmaps (`Platform.onInteraction`, docs/heatmaps.md; SDK
 * guide "Heatmaps", l.2711–2864):
 * - clicks: page coordinates (`pageX`/`pageY`) with the viewport size, at most one per second
 *   (l.2742 "a 1-second cooldown"; the machine applies it again, on the SDK's clock);
 * - scrolls: the deepest point seen (scroll offset + viewport height, as the web SDK's heatmap
 *   overlay reads it), reported at most every 250 ms and when the page is left, with `leave`
 *   after it (l.2750: recorded "when the page/app is closed");
 * - links: a click inside an `<a>` (the web SDK's `track_links`: href, text, id);
 * - forms: a `submit` (the web SDK's `track_forms`: id, name, action, method — never the values
 *   typed in, which may be personal data).
 *
 * Every listener is passive and in the capture phase (a page that stops propagation still
 * counts), never calls preventDefault, and catches everything: the page's input never waits for
 * or sees the SDK. Globals are read when subscribing, never at import.
 */
import type { InteractionEvent, InteractionKinds } from '../types.js';
import { browserGlobals } from './browser-globals.js';

const g = browserGlobals;

const CLICK_COOLDOWN_MS = 1000;
const SCROLL_REPORT_MS = 250;
const OPTIONS: AddEventListenerOptions = { passive: true, capture: true };

const now = (): number => Date.now();
const view = (): string => {
  const href = g().location?.href;
  return typeof href === 'string' ? href : '';
};
const viewport = (): { width: number; height: number } => {
  const w = g();
  const doc = w.document?.documentElement;
  return { width: Math.round(w.innerWidth ?? doc?.clientWidth ?? 0), height: Math.round(w.innerHeight ?? doc?.clientHeight ?? 0) };
};
const scrollTop = (): number => {
  const w = g();
  return Math.max(w.scrollY ?? 0, w.document?.documentElement?.scrollTop ?? 0, w.document?.body?.scrollTop ?? 0);
};
const attr = (el: Element, name: string): string | undefined => {
  const v = el.getAttribute(name);
  return v === null || v === '' ? undefined : v;
};

/** The nearest `<a>` around an event target (a click on a `<span>` inside a link is the link's). */
function linkOf(target: EventTarget | null): HTMLAnchorElement | null {
  const el = target as Element | null;
  if (!el || typeof el.closest !== 'function') return null;
  return el.closest('a') as HTMLAnchorElement | null;
}

export function onInteraction(kinds: InteractionKinds, listener: (event: InteractionEvent) => void): () => void {
  const w = g();
  const doc = w.document;
  if (!doc || !w.addEventListener || !w.removeEventListener) return () => undefined;
  const report = (e: InteractionEvent): void => {
    try {
      listener(e);
    } catch {
      // The SDK's listener is contained: the page's event dispatch never sees it fail.
    }
  };
  const undo: Array<() => void> = [];
  const on = (target: Document | Window, type: string, fn: (e: Event) => void): void => {
    const safe = (e: Event): void => {
      try {
        fn(e);
      } catch {
        // A hostile page (odd targets, throwing getters) costs that one interaction.
      }
    };
    target.addEventListener(type, safe, OPTIONS);
    undo.push(() => target.removeEventListener(type, safe, OPTIONS));
  };

  if (kinds.clicks || kinds.links) {
    let lastClick = -Infinity;
    on(doc, 'click', (e) => {
      const ev = e as MouseEvent;
      if (kinds.links) {
        const a = linkOf(ev.target);
        if (a) {
          const text = (a.innerText || a.textContent || '').replace(/\s+/g, ' ').trim();
          report({ kind: 'link', href: a.href, view: view(), ...(text ? { text } : {}), ...(a.id ? { id: a.id } : {}) });
        }
      }
      if (kinds.clicks) {
        const t = now();
        if (t - lastClick < CLICK_COOLDOWN_MS) return;
        lastClick = t;
        report({ kind: 'click', x: Math.round(ev.pageX), y: Math.round(ev.pageY), ...viewport(), view: view() });
      }
    });
  }

  if (kinds.forms) {
    on(doc, 'submit', (e) => {
      const form = e.target as Element | null;
      if (!form || typeof form.getAttribute !== 'function') return;
      const out: Extract<InteractionEvent, { kind: 'form' }> = { kind: 'form', view: view() };
      for (const k of ['id', 'name', 'action', 'method'] as const) {
        const v = attr(form, k);
        if (v !== undefined) out[k] = v;
      }
      report(out);
    });
  }

  if (kinds.scrolls) {
    let deepest = 0;
    let reported = 0;
    let reportedView = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      const here = view();
      if (here !== reportedView) {
        reportedView = here;
        reported = 0;
      }
      if (deepest <= reported) return;
      reported = deepest;
      report({ kind: 'scroll', y: deepest, ...viewport(), view: here });
    };
    on(w as unknown as Window, 'scroll', () => {
      const here = view();
      // A new view starts from its own depth, not the previous page's.
      if (here !== reportedView && timer === undefined) deepest = 0;
      deepest = Math.max(deepest, Math.round(scrollTop() + viewport().height));
      if (timer === undefined && w.setTimeout) timer = w.setTimeout(flush, SCROLL_REPORT_MS);
    });
    const leave = (): void => {
      if (timer !== undefined) w.clearTimeout?.(timer);
      flush();
      report({ kind: 'leave' });
    };
    on(w as unknown as Window, 'pagehide', leave);
    on(doc, 'visibilitychange', () => {
      if (doc.visibilityState === 'hidden') leave();
    });
    undo.push(() => {
      if (timer !== undefined) w.clearTimeout?.(timer);
    });
  }

  return () => {
    for (const u of undo.splice(0)) {
      try {
        u();
      } catch {
        // Removing a listener never fails in a browser; a hostile global may.
      }
    }
  };
}
