/**
 * Subscribes to the platform's lifecycle and orientation hooks. A platform adapter is user
 * code: a hook that throws costs that hook, never the SDK.
 */
import type { Orientation, Platform } from '../adapters/types.js';
import { errorText, type Logger } from '../log.js';

export interface PlatformListeners {
  lifecycle(state: 'foreground' | 'background'): void;
  orientation(mode: Orientation): void;
  /** The app is going away (`Platform.onExit`). */
  exit(): void;
}

/** Returns the cleanups to run at shutdown. */
export function watchPlatform(platform: Platform, log: Logger, on: PlatformListeners): Array<() => void> {
  const cleanups: Array<() => void> = [];
  const watch = (hook: string, subscribe: () => () => void): void => {
    try {
      const stop = subscribe();
      cleanups.push(() => {
        try {
          stop();
        } catch (error) {
          log.error('Init', `shutdown, the platform's ${hook} cleanup failed: ${errorText(error)}`);
        }
      });
    } catch (error) {
      log.error('Init', `createCountly, the platform's ${hook} hook failed and is not used: ${errorText(error)}`);
    }
  };
  if (platform.onLifecycle) {
    const onLifecycle = platform.onLifecycle.bind(platform);
    watch('onLifecycle', () => onLifecycle((state) => on.lifecycle(state)));
  }
  if (platform.onExit) {
    // After onLifecycle: a platform that reports both for one moment (browser `pagehide`)
    // runs its listeners in subscription order, so `app.hidden` comes first.
    const onExit = platform.onExit.bind(platform);
    watch('onExit', () => onExit(() => on.exit()));
  }
  if (platform.onOrientation) {
    const onOrientation = platform.onOrientation.bind(platform);
    watch('onOrientation', () => onOrientation((mode) => on.orientation(mode)));
  }
  return cleanups;
}
