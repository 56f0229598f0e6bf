import { catchError, merge, type Observable } from 'rxjs';
import type { Command } from './commands.js';
import type { Effect, EffectDeps, SdkEvent } from './deps.js';
import { broadcastEffect } from './broadcast.effect.js';
import { callbackEffect } from './callback.effect.js';
import { directEffect } from './direct.effect.js';
import { logEffect } from './log.effect.js';
import { queueEffect } from './queue.effect.js';
import { eventStoreEffect, keyValueEffect } from './storage.effect.js';

/**
 * The core's effects, in the order they see each command; the features' own effects
 * (`defineFeature({ effects })`) run between these and the broadcast effect, which is last.
 */
export const coreEffects: readonly Effect[] = [logEffect, queueEffect, eventStoreEffect, keyValueEffect, directEffect, callbackEffect, broadcastEffect];

/**
 * Merges the effects into one stream of results. Each effect catches its own I/O errors
 * and turns them into events; this adds the last safety net: an error that still reaches
 * an effect's outer stream is logged and the effect is re-subscribed, so one failing effect
 * never stops the pipeline.
 */
export function runEffects(cmd$: Observable<Command>, deps: EffectDeps, effects: readonly Effect[] = coreEffects): Observable<SdkEvent> {
  return merge(
    ...effects.map((effect, index) =>
      effect(cmd$, deps).pipe(
        catchError((error: unknown, caught) => {
          deps.log.error('Effects', `run, effect #${index} failed and was restarted: ${String(error)}`);
          return caught;
        }),
      ),
    ),
  );
}
