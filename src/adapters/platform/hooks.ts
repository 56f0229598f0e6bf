/**
 * Safe reads of a platform's optional hooks. A platform is user code: a hook that throws
 * must not stop the SDK, so it reads as its default.
 */
import type { Orientation, Platform } from '../types.js';

/** Whether the app is in the foreground now (default, also when the hook throws: yes). */
export function isForegroundNow(platform: Platform): boolean {
  try {
    return platform.isForeground?.() !== false;
  } catch {
    return true;
  }
}

/** The platform's `_locale` metric now, or undefined (none, or the metrics hook throws). */
export function localeNow(platform: Platform): string | undefined {
  try {
    const locale: unknown = platform.metrics()._locale;
    return typeof locale === 'string' && locale !== '' ? locale : undefined;
  } catch {
    return undefined;
  }
}

/** The orientation now, or null (no hook, or the hook throws). */
export function orientationNow(platform: Platform): Orientation | null {
  try {
    return platform.orientation?.() ?? null;
  } catch {
    return null;
  }
}
