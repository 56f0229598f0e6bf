/**
 * `callback.invoke`: calls the developer's callbacks (`runtime/callbacks.ts`) in a microtask,
 * after the transition that emitted the command has settled, so a callback that reads the
 * SDK's state (`remoteConfig.getValues()`) sees what the transition left.
 */
import { EMPTY, filter, mergeMap } from 'rxjs';
import type { CallbackInvokeCommand, Command } from './commands.js';
import type { Effect } from './deps.js';

export const callbackEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is CallbackInvokeCommand => c.type === 'callback.invoke'),
    mergeMap((c) => {
      queueMicrotask(() => deps.callbacks.invoke(c.token, c.args));
      return EMPTY;
    }),
  );
