/**
 * In-page navigation for `views.automatic` (docs/views.md "Automatic page views (browser)"):
 * the location now, and a subscription to every way a page changes it without a load —
 * `history.pushState` / `replaceState` (wrapped: the original runs first, its result and its
 * exceptions are the page's), `popstate` (back/forward) and `hashchange`.
 *
 * The page is hostile territory: a `history` whose methods cannot be replaced, or a patched
 * `pushState` that throws, costs that part of the hook and a warning (`onProblem`), never the
 * page's navigation or the SDK. A listener that throws is contained. Unsubscribing restores
 * each method, unless the page wrapped it again since (then the wrapper stays, inert).
 */
import type { PageLocation } from '../types.js';
import { browserGlobals } from './browser-globals.js';

const g = browserGlobals;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `location` and `document.referrer` now; undefined outside a page. */
export function readLocation(): PageLocation | undefined {
  try {
    const { location, document } = g();
    if (!location || typeof location.href !== 'string') return undefined;
    const referrer = document?.referrer;
    return { href: location.href, pathname: location.pathname, ...(referrer ? { referrer } : {}) };
  } catch {
    return undefined;
  }
}

type HistoryMethod = 'pushState' | 'replaceState';

export function onNavigation(listener: (location: PageLocation) => void, options?: { onProblem?(message: string): void }): () => void {
  const problem = (message: string): void => {
    try {
      options?.onProblem?.(message);
    } catch {
      // A logger that fails says nothing more.
    }
  };
  let active = true;
  const notify = (): void => {
    if (!active) return;
    const location = readLocation();
    if (!location) return;
    try {
      listener(location);
    } catch (error) {
      problem(`a navigation could not be recorded: ${describe(error)}`);
    }
  };
  const w = g();
  const undo: Array<() => void> = [];
  const history = w.history;
  for (const method of ['pushState', 'replaceState'] as const satisfies readonly HistoryMethod[]) {
    try {
      const original = history?.[method];
      if (!history || typeof original !== 'function') continue;
      let warned = false;
      const wrapper = function (this: History, ...args: Parameters<History['pushState']>): void {
        try {
          original.apply(this, args);
        } catch (error) {
          // The page's own (patched) method threw: that is the page's answer and stays it. The
          // location may have changed anyway.
          if (!warned) problem(`history.${method} threw (${describe(error)}); navigations it makes may be missed`);
          warned = true;
          notify();
          throw error;
        }
        notify();
      };
      history[method] = wrapper;
      if (history[method] !== wrapper) throw new Error('the assignment did not take');
      undo.push(() => {
        if (history[method] === wrapper) history[method] = original;
      });
    } catch (error) {
      problem(`history.${method} cannot be watched (${describe(error)}); only popstate and hashchange are followed`);
    }
  }
  if (w.addEventListener && w.removeEventListener) {
    const onEvent = (): void => notify();
    try {
      w.addEventListener('popstate', onEvent);
      w.addEventListener('hashchange', onEvent);
      undo.push(() => {
        w.removeEventListener?.('popstate', onEvent);
        w.removeEventListener?.('hashchange', onEvent);
      });
    } catch (error) {
      problem(`popstate/hashchange cannot be watched: ${describe(error)}`);
    }
  }
  return () => {
    active = false;
    for (const step of undo.splice(0)) {
      try {
        step();
      } catch {
        // A history that cannot be restored keeps an inert wrapper.
      }
    }
  };
}
