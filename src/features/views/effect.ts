/**
 * The views feature's I/O (automatic page views, docs/views.md): `views.watch` subscribes to
 * the platform's navigation hook while enabled and reports each location as `views.navigated`.
 * The page where the SDK starts is reported first, in a microtask: by then every actor has
 * started and a session that begins at init has begun, so the first view can carry `start`
 * (spec l.1849); the machine still decides, this only reports. A platform hook is user code:
 * one that throws costs automatic views and logs why, never the SDK.
 */
import { distinctUntilChanged, EMPTY, filter, map, Observable, switchMap } from 'rxjs';
import type { PageLocation } from '../../adapters/types.js';
import type { Command } from '../../effects/commands.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';
import { errorText } from '../../log.js';
import type { ViewsCommand } from './commands.js';

const MODULE = 'Views';

const isWatch = (c: Command): c is ViewsCommand => c.type === 'views.watch';

/** A copy with string fields only: nothing of the platform's object reaches the machine. */
function cleanLocation(raw: unknown): PageLocation | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { href, pathname, referrer } = raw as Record<string, unknown>;
  if (typeof href !== 'string' || typeof pathname !== 'string') return undefined;
  return typeof referrer === 'string' && referrer !== '' ? { href, pathname, referrer } : { href, pathname };
}

function navigations(deps: EffectDeps): Observable<SdkEvent> {
  return new Observable<SdkEvent>((subscriber) => {
    const platform = deps.platform;
    const report = (raw: unknown, initial: boolean): void => {
      const location = cleanLocation(raw);
      if (location) subscriber.next({ type: 'views.navigated', location, initial, at: deps.instant() });
    };
    if (!platform || typeof platform.onNavigation !== 'function') {
      deps.log.warning(MODULE, `automatic, the platform ${platform ? `"${platform.name}" ` : ''}has no navigation hook; no page views are recorded automatically`);
      return undefined;
    }
    let closed = false;
    queueMicrotask(() => {
      if (closed) return;
      try {
        report(platform.currentLocation?.(), true);
      } catch (error) {
        deps.log.error(MODULE, `automatic, the platform's currentLocation failed; the first page view is missed: ${errorText(error)}`);
      }
    });
    let stop: unknown;
    try {
      stop = platform.onNavigation((location) => report(location, false), { onProblem: (message) => deps.log.warning(MODULE, `automatic, ${message}`) });
    } catch (error) {
      deps.log.error(MODULE, `automatic, the platform's onNavigation hook failed; navigations are not followed: ${errorText(error)}`);
    }
    deps.log.debug(MODULE, 'automatic, following the page location');
    return () => {
      closed = true;
      try {
        if (typeof stop === 'function') (stop as () => void)();
      } catch (error) {
        deps.log.error(MODULE, `shutdown, the platform's navigation cleanup failed: ${errorText(error)}`);
      }
    };
  });
}

export const viewsEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter(isWatch),
    map((c) => c.enabled),
    distinctUntilChanged(),
    switchMap((enabled) => (enabled ? navigations(deps) : EMPTY)),
  );
