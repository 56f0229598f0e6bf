import type { Platform } from '../types.js';

/**
 * The platform used where nothing better is detected (workers, server-side rendering,
 * unknown runtimes): metrics from `Intl` and `navigator` when present, always foreground.
 */
export function neutralPlatform(): Platform {
  return {
    name: 'JS',
    metrics() {
      const metrics: Record<string, string> = { _os: 'Unknown' };
      try {
        metrics._locale = Intl.DateTimeFormat().resolvedOptions().locale;
      } catch {
        // Intl can be missing in stripped-down runtimes.
      }
      const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
      if (nav?.userAgent) metrics._ua = nav.userAgent;
      return metrics;
    },
    isForeground: () => true,
  };
}
