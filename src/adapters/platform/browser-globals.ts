/**
 * The browser globals the browser platform reads, each optional (a worker, SSR or a stripped
 * page may lack any of them). Read through `browserGlobals()` at call time, never at import.
 */
export interface BrowserGlobals {
  document?: Document;
  navigator?: Navigator;
  screen?: Screen;
  location?: Location;
  history?: History;
  devicePixelRatio?: number;
  innerWidth?: number;
  innerHeight?: number;
  scrollY?: number;
  addEventListener?: Window['addEventListener'];
  removeEventListener?: Window['removeEventListener'];
  setTimeout?: typeof setTimeout;
  clearTimeout?: typeof clearTimeout;
}

export const browserGlobals = (): BrowserGlobals => globalThis as unknown as BrowserGlobals;
