/**
 * The heatmaps feature's own commands and effect results, merged into the shared `Command` and
 * `EffectResult` unions by declaration (src/effects/commands.ts: FeatureCommands, FeatureResults).
 */
import type { InteractionEvent, InteractionKinds } from '../../adapters/types.js';
import type { Instant } from '../../domain/types.js';

export type HeatmapsCommand =
  /** Subscribe to the platform's interactions of these kinds (all false: unsubscribe). */
  | { type: 'heatmaps.watch'; kinds: Required<InteractionKinds> }
  /** A `trackClicks()` / `trackScrolls()` call: the effect warns when the platform has no hook. */
  | { type: 'heatmaps.probe'; fn: 'trackClicks' | 'trackScrolls' };

export type HeatmapsResult = { type: 'heatmaps.interaction'; interaction: InteractionEvent; at: Instant };

declare module '../../effects/commands.js' {
  interface FeatureCommands {
    heatmaps: HeatmapsCommand;
  }
  interface FeatureResults {
    heatmaps: HeatmapsResult;
  }
}
