/**
 * The feedback widget overlay's I/O, through the platform's UI hooks (`PlatformUi`, user code:
 * every call guarded):
 * - `feedback.show`: builds the widget's URL from the server URL and identity current now
 *   (spec 001 l. 3671–3695) and hands it to `showWidget` with `onMessage` / `onClosed`; answers
 *   `feedback.shown` or `feedback.showFailed`, then `feedback.message` per URL the widget loads
 *   and one `feedback.closed`. No hook: `showFailed` and a warning.
 * - `feedback.close`: `UiHandle.close()`, and the overlay counts as gone at once (a platform
 *   that then calls `onClosed` again, or never, changes nothing).
 * - `feedback.openUrl`: `openUrl` (a link of the widget, l. 3643–3659).
 * At shutdown (the pipeline unsubscribed) a widget still on screen is closed.
 */
import { EMPTY, filter, merge, mergeMap, Observable } from 'rxjs';
import type { UiHandle } from '../../adapters/types.js';
import { createEventIdSource } from '../../domain/ids.js';
import type { Command } from '../../effects/commands.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';
import { errorText } from '../../log.js';
import type { FeedbackCommand } from './commands.js';
import { buildWidgetUrl } from './rules.js';

type Show = Extract<FeedbackCommand, { type: 'feedback.show' }>;
type OpenUrl = Extract<FeedbackCommand, { type: 'feedback.openUrl' }>;

const MODULE = 'Feedback';

/** The widget on screen, if any: how to close it, and how to say it is gone. */
interface Current {
  handle: UiHandle | null;
  finish(): void;
}

export const feedbackEffect: Effect = (cmd$, deps) => {
  let current: Current | null = null;
  const eventId = createEventIdSource(() => deps.clock.now());

  const show = (c: Show): Observable<SdkEvent> =>
    new Observable<SdkEvent>((sub) => {
      const ui = deps.platform?.ui;
      if (!ui || typeof ui.showWidget !== 'function') {
        sub.next({ type: 'feedback.showFailed', reason: 'no UI: the platform has no showWidget hook' });
        sub.complete();
        return undefined;
      }
      const identity = deps.identity();
      const url = buildWidgetUrl(c.widget, {
        serverUrl: deps.serverUrl(),
        deviceId: identity.deviceId,
        appKey: deps.config.appKey,
        sdkVersion: deps.config.sdkVersion,
        sdkName: deps.config.sdkName,
        appVersion: deps.config.appVersion,
        platform: c.platform,
      });
      let done = false;
      const me: Current = {
        handle: null,
        finish: () => {
          if (done) return;
          done = true;
          if (current === me) current = null;
          sub.next({ type: 'feedback.closed' });
          sub.complete();
        },
      };
      const onMessage = (message: string): void => {
        if (done) return;
        sub.next({ type: 'feedback.message', url: typeof message === 'string' ? message : String(message), at: deps.instant(), id: eventId() });
      };
      current = me;
      try {
        const handle = ui.showWidget(url, { onMessage, onClosed: () => me.finish() });
        me.handle = handle !== null && typeof handle === 'object' ? handle : null;
      } catch (error) {
        done = true;
        if (current === me) current = null;
        sub.next({ type: 'feedback.showFailed', reason: `the platform's showWidget hook failed: ${errorText(error)}` });
        sub.complete();
        return undefined;
      }
      // A platform that closed it from inside showWidget has said `closed` already.
      if (!done) sub.next({ type: 'feedback.shown' });
      return () => {
        if (done) return;
        // Unsubscribed (shutdown) while on screen: the overlay goes with the instance.
        done = true;
        if (current === me) current = null;
        closeHandle(deps, me.handle);
      };
    });

  const close = (): void => {
    const c = current;
    if (c === null) return;
    closeHandle(deps, c.handle);
    c.finish();
  };

  const openUrl = (c: OpenUrl): void => {
    const ui = deps.platform?.ui;
    if (!ui || typeof ui.openUrl !== 'function') {
      deps.log.warning(MODULE, `present, the platform has no openUrl hook; link ${c.url.slice(0, 200)} not opened`);
      return;
    }
    try {
      ui.openUrl(c.url);
    } catch (error) {
      deps.log.error(MODULE, `present, the platform's openUrl hook failed: ${errorText(error)}`);
    }
  };

  return merge(
    cmd$.pipe(
      filter((c: Command): c is Show => c.type === 'feedback.show'),
      mergeMap(show),
    ),
    cmd$.pipe(
      filter((c: Command): c is FeedbackCommand => c.type === 'feedback.close' || c.type === 'feedback.openUrl'),
      mergeMap((c) => {
        if (c.type === 'feedback.close') close();
        else if (c.type === 'feedback.openUrl') openUrl(c);
        return EMPTY;
      }),
    ),
  );
};

function closeHandle(deps: EffectDeps, handle: UiHandle | null): void {
  if (handle === null || typeof handle.close !== 'function') return;
  try {
    handle.close();
  } catch (error) {
    deps.log.error(MODULE, `present, the platform's widget close failed: ${errorText(error)}`);
  }
}
