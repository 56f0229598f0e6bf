import type { LifecycleState, Orientation, Platform } from '../types.js';
import { browserGlobals } from './browser-globals.js';
import { onNavigation, readLocation } from './browser-navigation.js';
import { onInteraction } from './browser-interactions.js';
import { browserUi } from './browser-ui.js';

// spec: Bot/Crawler Detection — a short list of well-known crawler and headless markers.
const BOT_UA = /bot|crawl|spider|slurp|baiduspider|yandex|facebookexternalhit|bingpreview|headlesschrome|phantomjs|lighthouse|pingdom|embedly/i;

const g = browserGlobals;

function detectOs(ua: string): { os: string; version: string } {
  const rules: Array<[RegExp, string]> = [
    [/Windows NT ([\d.]+)/, 'Windows'],
    [/Android ([\d.]+)/, 'Android'],
    [/(?:iPhone|iPad|iPod).*? OS ([\d_]+)/, 'iOS'],
    [/Mac OS X ([\d_.]+)/, 'macOS'],
    [/CrOS \S+ ([\d.]+)/, 'Chrome OS'],
    [/Linux/, 'Linux'],
  ];
  for (const [re, os] of rules) {
    const m = re.exec(ua);
    if (m) return { os, version: (m[1] ?? '').replace(/_/g, '.') };
  }
  return { os: 'Unknown', version: '' };
}

function currentOrientation(): Orientation | undefined {
  const s = g().screen;
  const type = s?.orientation?.type;
  if (type) return type.startsWith('portrait') ? 'portrait' : 'landscape';
  if (s && s.width && s.height) return s.height >= s.width ? 'portrait' : 'landscape';
  return undefined;
}

/**
 * The browser platform: metrics from `navigator`/`screen`, page visibility as the
 * foreground/background lifecycle, `cly_id` in the page URL as the URL device ID.
 * Globals are read when a method is called, never at import.
 */
export function browserPlatform(): Platform {
  const exits = pageHide();
  return {
    name: 'Web',
    metrics() {
      const { navigator: nav, screen, devicePixelRatio } = g();
      const ua = nav?.userAgent ?? '';
      const { os, version } = detectOs(ua);
      const metrics: Record<string, string> = { _os: os, _ua: ua };
      if (version) metrics._os_version = version;
      if (screen) metrics._resolution = `${screen.width}x${screen.height}`;
      if (devicePixelRatio) metrics._density = String(devicePixelRatio);
      if (nav?.language) metrics._locale = nav.language;
      metrics._device_type = /Mobi|Android|iPhone/i.test(ua) ? 'mobile' : /iPad|Tablet/i.test(ua) ? 'tablet' : 'desktop';
      return metrics;
    },
    urlDeviceId() {
      const search = g().location?.search;
      if (!search) return undefined;
      const id = new URLSearchParams(search).get('cly_id');
      return id && id.trim() !== '' ? id : undefined;
    },
    orientation: currentOrientation,
    isForeground() {
      const doc = g().document;
      return doc ? doc.visibilityState !== 'hidden' : true;
    },
    onLifecycle(listener) {
      const doc = g().document;
      if (!doc) return () => undefined;
      // One story per page: `visibilitychange` and `pagehide` both say "background" when a
      // page is closed or left; the listener hears it once. `pageshow` brings a page back
      // from the back/forward cache.
      let last: LifecycleState = doc.visibilityState === 'hidden' ? 'background' : 'foreground';
      const report = (state: LifecycleState): void => {
        if (state === last) return;
        last = state;
        listener(state);
      };
      const onChange = (): void => report(doc.visibilityState === 'hidden' ? 'background' : 'foreground');
      doc.addEventListener('visibilitychange', onChange);
      const stopHide = exits.add(() => report('background'), 'lifecycle');
      const w = g();
      w.addEventListener?.('pageshow', onChange);
      return () => {
        doc.removeEventListener('visibilitychange', onChange);
        w.removeEventListener?.('pageshow', onChange);
        stopHide();
      };
    },
    onExit(listener) {
      return exits.add(listener, 'exit');
    },
    onOrientation(listener) {
      const w = g();
      if (!w.addEventListener || !w.removeEventListener) return () => undefined;
      const onChange = (): void => {
        const o = currentOrientation();
        if (o) listener(o);
      };
      w.addEventListener('resize', onChange);
      return () => w.removeEventListener?.('resize', onChange);
    },
    isBot() {
      return BOT_UA.test(g().navigator?.userAgent ?? '');
    },
    onUncaughtError(listener) {
      const w = g();
      if (!w.addEventListener || !w.removeEventListener) return () => undefined;
      // addEventListener leaves `window.onerror` / `onunhandledrejection` and every other
      // listener in place, and nothing here calls preventDefault: the browser still logs the
      // error to the console as it would have.
      const report = (value: unknown, origin: 'error' | 'rejection'): void => {
        try {
          void Promise.resolve(listener(value, origin)).catch(() => undefined);
        } catch {
          // The page's error dispatch must never see the SDK fail.
        }
      };
      // A cross-origin script error has no `error` (only "Script error."): its message is all there is.
      const onError = (e: Event): void => {
        const ev = e as ErrorEvent;
        report(ev.error ?? ev.message, 'error');
      };
      const onRejection = (e: Event): void => report((e as PromiseRejectionEvent).reason, 'rejection');
      w.addEventListener('error', onError);
      w.addEventListener('unhandledrejection', onRejection);
      return () => {
        w.removeEventListener?.('error', onError);
        w.removeEventListener?.('unhandledrejection', onRejection);
      };
    },
    // `views.automatic`: the page at init and its in-page navigations (./browser-navigation.ts).
    currentLocation: readLocation,
    onNavigation,
    // Heatmaps: clicks, scroll depth, links, forms (./browser-interactions.ts).
    onInteraction,
    crashMetrics() {
      const online = g().navigator?.onLine;
      const metrics: Record<string, boolean> = {};
      if (typeof online === 'boolean') metrics._online = online;
      return metrics;
    },
    // Feedback widgets and content as iframe overlays (docs/adapters.md "The browser UI").
    ui: browserUi(),
  };
}

/**
 * One `pagehide` listener for a platform object: its lifecycle listeners hear it before its
 * exit listeners, in the same task, so the SDK ends the session and packs the events before it
 * hands the queue over (the microtask checkpoint after each DOM listener would split them).
 */
function pageHide(): { add(listener: () => void, kind: 'lifecycle' | 'exit'): () => void } {
  const listeners = { lifecycle: new Set<() => void>(), exit: new Set<() => void>() };
  const onHide = (): void => {
    for (const l of [...listeners.lifecycle, ...listeners.exit]) {
      try {
        l();
      } catch {
        // one listener's failure must not keep the next from running
      }
    }
  };
  const size = (): number => listeners.lifecycle.size + listeners.exit.size;
  return {
    add(listener, kind) {
      const w = g();
      if (!w.addEventListener || !w.removeEventListener) return () => undefined;
      if (size() === 0) w.addEventListener('pagehide', onHide);
      const own = (): void => listener();
      listeners[kind].add(own);
      return () => {
        if (!listeners[kind].delete(own)) return;
        if (size() === 0) w.removeEventListener?.('pagehide', onHide);
      };
    },
  };
}
