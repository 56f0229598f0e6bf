/**
 * `callback.invoke` / `callback.release`: calls the developer's callbacks (`runtime/callbacks.ts`) in a microtask,
 * after the transition that emitted the command has settled, so a callback that reads the
 * SDK's state (`remoteConfig.getValues()`) sees what the transition left.
 */
import { EMPTY, filter, mergeMap } from 'rxjs';
import type { CallbackInvokeCommand, CallbackReleaseCommand, Command } from './commands.js';
import type { Effect } from './deps.js';

export const callbackEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is CallbackInvokeCommand | CallbackReleaseCommand => c.type === 'callback.invoke' || c.type === 'callback.release'),
    mergeMap((c) => {
      // Released in the same order as calls, so a release never overtakes an invoke before it.
      if (c.type === 'callback.release') queueMicrotask(() => deps.callbacks.release(c.tokens));
      else queueMicrotask(() => deps.callbacks.invoke(c.token, c.args));
      return EMPTY;
    }),
  );
