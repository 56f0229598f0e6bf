/**
 * The content zone's I/O (the machine decides, this does; spec 001: Content Zone l. 1346-1604):
 * - `content.fetch`: reads the platform's metrics now (`_resolution`, `_locale`,
 *   `_device_type`, with the config's overrides) for `resolution`/`la`/`dt`, and sends
 *   `/o/sdk/content` at once with the base params of the identity current now (`sendDirect`,
 *   the same path as `direct.request`: nothing leaves in temporary-ID or offline mode or with
 *   networking off). Answers `content.fetched` (any status) or `content.fetchFailed`.
 * - `content.flush`: `queue.flush()`, then `content.flushed` — delivered when the queue is
 *   empty afterwards (a flush stops at the first failed send).
 * - `content.show`: `platform.ui.showContent(url, placement, {onMessage, onClosed})`, then one
 *   `content.messaged` per message and one `content.closed`; while it is up, orientation
 *   changes re-place it and say `content.viewportChanged`. No hook, or a throwing one:
 *   `content.showFailed`.
 * - `content.place` / `content.notifyResize` / `content.close` / `content.openUrl`: the
 *   overlay's handle (`place`, `post`, `close`) and `openUrl`. Every hook is user code: guarded.
 * At shutdown (the pipeline unsubscribed) content still on screen is closed.
 */
import { catchError, defer, EMPTY, filter, from, merge, mergeMap, Observable, of } from 'rxjs';
import type { ContentPlacement, UiHandle } from '../../adapters/types.js';
import { orientationNow } from '../../adapters/platform/hooks.js';
import type { Command } from '../../effects/commands.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';
import { sendDirect } from '../../effects/direct.effect.js';
import { errorText } from '../../log.js';
import type { ContentCommand } from './commands.js';
import { CONTENT_ENDPOINT, contentParams, rectFor, resizeMessage, type DeviceFacts } from './rules.js';

type Of<T extends ContentCommand['type']> = Extract<ContentCommand, { type: T }>;

const MODULE = 'Content';

/** The metrics the SDK would send now, as an object (`deps.metrics()` never throws). */
function metricsNow(deps: EffectDeps): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(deps.metrics());
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** spec l. 1592-1598: the web SDK's content requests carry `cly_ws=1` and the page's origin. */
function webOrigin(deps: EffectDeps): string | null {
  if (deps.platform?.name !== 'Web') return null;
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === 'string' && origin !== '' && origin !== 'null' ? origin : null;
}

/** The facts one fetch needs, read now. */
export function deviceFacts(deps: EffectDeps): DeviceFacts {
  return { metrics: metricsNow(deps), webOrigin: webOrigin(deps) };
}

async function fetchContent(deps: EffectDeps, c: Of<'content.fetch'>): Promise<SdkEvent> {
  const params = contentParams(deviceFacts(deps), c.contentId);
  const result = await sendDirect(deps, { endpoint: CONTENT_ENDPOINT, params, purpose: 'direct' });
  const at = deps.clock.now();
  if (result === null) return { type: 'content.fetchFailed', tag: c.tag, reason: 'withheld: sending is on hold (temporary ID, offline or networking disabled)', at };
  if (result.kind === 'response') return { type: 'content.fetched', tag: c.tag, status: result.status, body: result.body, at };
  return { type: 'content.fetchFailed', tag: c.tag, reason: result.kind === 'timeout' ? 'timeout' : result.message, at };
}

async function flushFor(deps: EffectDeps, c: Of<'content.flush'>): Promise<SdkEvent> {
  await deps.flush?.();
  return { type: 'content.flushed', tag: c.tag, delivered: deps.queue.length === 0, at: deps.clock.now() };
}

/** The content on screen. */
interface Current {
  handle: UiHandle | null;
  placement: ContentPlacement;
  finish(): void;
}

export const contentEffect: Effect = (cmd$, deps) => {
  const shows = new Map<number, Current>();

  /** A hook call, guarded: a throwing platform costs only this call. */
  const guarded = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      deps.log.error(MODULE, `${what}, the platform's hook failed: ${errorText(error)}`);
    }
  };

  const place = (current: Current): void => {
    const handle = current.handle;
    if (handle === null || typeof handle.place !== 'function') return;
    const rect = rectFor(current.placement, deps.platform ? orientationNow(deps.platform) : null);
    guarded('place', () => handle.place?.(rect));
  };

  const show = (c: Of<'content.show'>): Observable<SdkEvent> =>
    new Observable<SdkEvent>((sub) => {
      const ui = deps.platform?.ui;
      if (!ui || typeof ui.showContent !== 'function') {
        sub.next({ type: 'content.showFailed', showId: c.showId, reason: 'no UI: the platform has no showContent hook', at: deps.clock.now() });
        sub.complete();
        return undefined;
      }
      let done = false;
      let stopOrientation: (() => void) | null = null;
      const me: Current = {
        handle: null,
        placement: c.placement,
        finish: () => {
          if (done) return;
          done = true;
          shows.delete(c.showId);
          stopOrientation?.();
          sub.next({ type: 'content.closed', showId: c.showId, at: deps.clock.now() });
          sub.complete();
        },
      };
      const onMessage = (message: unknown, origin: string): void => {
        if (done) return;
        sub.next({ type: 'content.messaged', showId: c.showId, message, origin: typeof origin === 'string' ? origin : String(origin), serverUrl: deps.serverUrl(), at: deps.instant() });
      };
      shows.set(c.showId, me);
      try {
        const handle = ui.showContent(c.url, c.placement, { onMessage, onClosed: () => me.finish() });
        me.handle = handle !== null && typeof handle === 'object' ? handle : null;
      } catch (error) {
        done = true;
        shows.delete(c.showId);
        sub.next({ type: 'content.showFailed', showId: c.showId, reason: `the platform's showContent hook failed: ${errorText(error)}`, at: deps.clock.now() });
        sub.complete();
        return undefined;
      }
      const platform = deps.platform;
      if (!done && platform && typeof platform.onOrientation === 'function') {
        try {
          const stop = platform.onOrientation(() => {
            if (done) return;
            place(me);
            sub.next({ type: 'content.viewportChanged', showId: c.showId });
          });
          stopOrientation = () => guarded('orientation', () => typeof stop === 'function' && stop());
        } catch (error) {
          deps.log.error(MODULE, `show, the platform's onOrientation hook failed; content is not told about turns: ${errorText(error)}`);
        }
      }
      return () => {
        if (done) return;
        // Unsubscribed (shutdown) while on screen: the overlay goes with the instance.
        done = true;
        shows.delete(c.showId);
        stopOrientation?.();
        closeHandle(me.handle);
      };
    });

  const closeHandle = (handle: UiHandle | null): void => {
    if (handle !== null && typeof handle.close === 'function') guarded('close', () => handle.close());
  };

  const perform = (c: ContentCommand): void => {
    if (c.type === 'content.openUrl') {
      const ui = deps.platform?.ui;
      if (!ui || typeof ui.openUrl !== 'function') deps.log.warning(MODULE, `message, the platform has no openUrl hook; link ${c.url.slice(0, 200)} not opened`);
      else guarded('openUrl', () => ui.openUrl?.(c.url));
      return;
    }
    const current = 'showId' in c ? shows.get(c.showId) : undefined;
    if (current === undefined) return;
    if (c.type === 'content.close') {
      // The overlay counts as gone at once; a platform that calls onClosed later changes nothing.
      closeHandle(current.handle);
      current.finish();
    } else if (c.type === 'content.place') {
      current.placement = c.placement;
      place(current);
    } else if (c.type === 'content.notifyResize') {
      const handle = current.handle;
      if (handle === null || typeof handle.post !== 'function') return;
      const message = resizeMessage(metricsNow(deps), deps.platform ? orientationNow(deps.platform) : null);
      guarded('resize', () => handle.post?.(message));
    }
  };

  const is =
    <T extends ContentCommand['type']>(...types: T[]) =>
    (c: Command): c is Of<T> =>
      (types as string[]).includes(c.type);

  return merge(
    cmd$.pipe(
      filter(is('content.fetch')),
      mergeMap((c) =>
        defer(() => from(fetchContent(deps, c))).pipe(
          catchError((error: unknown) => of<SdkEvent>({ type: 'content.fetchFailed', tag: c.tag, reason: errorText(error), at: deps.clock.now() })),
        ),
      ),
    ),
    cmd$.pipe(
      filter(is('content.flush')),
      mergeMap((c) =>
        defer(() => from(flushFor(deps, c))).pipe(
          catchError((error: unknown) => {
            deps.log.error(MODULE, `refresh, flushing failed: ${errorText(error)}`);
            return of<SdkEvent>({ type: 'content.flushed', tag: c.tag, delivered: false, at: deps.clock.now() });
          }),
        ),
      ),
    ),
    cmd$.pipe(filter(is('content.show')), mergeMap(show)),
    cmd$.pipe(
      filter(is('content.openUrl', 'content.close', 'content.place', 'content.notifyResize')),
      mergeMap((c) => {
        perform(c);
        return EMPTY;
      }),
    ),
  );
};
