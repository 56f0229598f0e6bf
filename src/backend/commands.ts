/**
 * Backend mode's own commands and effect results, merged into the shared `Command` union by
 * declaration (src/effects/commands.ts: FeatureCommands) — no edit there.
 */
import type { Instant } from '../domain/types.js';

/** Which part of the pool a take empties. */
export type PoolScope =
  | { readonly kind: 'device'; readonly appKey: string; readonly deviceId: string }
  | { readonly kind: 'app'; readonly appKey: string }
  | { readonly kind: 'all' };

/** Why the pool is emptied: a threshold (spec l. 5531–5549), the timer, `flush()`, a request of the device, `shutdown()`. */
export type TakeReason = 'device' | 'app' | 'server' | 'timer' | 'flush' | 'order' | 'shutdown';

/** A request of one call, its params built by the API (validated, JSON encoded); queued as given. */
export interface BackendRequest {
  readonly appKey: string;
  readonly deviceId: string;
  /** The call's moment (its `timestamp` option, or now). */
  readonly at: Instant;
  /** Feature params in wire order (`begin_session`, `metrics`, `crash`, `user_details`, ...). */
  readonly params: Readonly<Record<string, string>>;
}

export type BackendCommand =
  /** Empties part of the pool into requests, one per (app key, device). */
  | { type: 'pool.take'; scope: PoolScope; reason: TakeReason }
  /** Queues one request as built, with the call's device ID and app key (never rewritten). */
  | { type: 'backend.store'; request: BackendRequest };

declare module '../effects/commands.js' {
  interface FeatureCommands {
    backend: BackendCommand;
  }
}
