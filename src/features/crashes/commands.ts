/**
 * The crashes feature's own commands and effect results, merged into the shared `Command` and
 * `EffectResult` unions by declaration (src/effects/commands.ts: FeatureCommands, FeatureResults).
 */
import type { Limits } from '../../config.js';
import type { Instant, Segmentation } from '../../domain/types.js';

/**
 * The crashes feature's I/O (src/features/crashes): `crash.prepare` hands a crash the machine
 * prepared (limits applied) to its effect, which reads the platform's metrics, runs the
 * developer's filter and computes `_ob`; `crashes.watch` subscribes to (or leaves) the
 * platform's uncaught-error hooks.
 */
export type CrashCommand =
  | {
      type: 'crash.prepare';
      id: number;
      at: Instant;
      crash: { stackTrace: string; segmentation: Segmentation; breadcrumbs: string[]; metrics: Record<string, string | number | boolean>; fatal: boolean };
      limits: Limits;
    }
  | { type: 'crashes.watch'; enabled: boolean };

/** What the crashes effect feeds back. */
export type CrashResult =
  /** An error nothing caught (`crashes.autoReport`), from the platform's hook, as its `_error` text. */
  | { type: 'crash.caught'; error: string; origin: 'error' | 'rejection'; at: Instant }
  /** A `crash.prepare` done: the `crash` object to send, or null when the filter dropped it. */
  | { type: 'crash.prepared'; id: number; at: Instant; crash: Record<string, unknown> | null };

declare module '../../effects/commands.js' {
  interface FeatureCommands {
    crashes: CrashCommand;
  }
  interface FeatureResults {
    crashes: CrashResult;
  }
}
