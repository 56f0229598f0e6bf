/**
 * The content zone's own commands and effect results, merged into the shared `Command` and
 * `EffectResult` unions by declaration (src/effects/commands.ts: FeatureCommands, FeatureResults).
 * The machine decides; `effect.ts` reads the platform, sends, flushes and drives the overlay.
 */
import type { ContentPlacement } from '../../adapters/types.js';
import type { Instant } from '../../domain/types.js';

export type ContentCommand =
  /**
   * One content fetch (`/o/sdk/content`, sent at once like a `direct.request`): the effect reads
   * the platform's metrics now for `resolution`/`la`/`dt` and sends. `contentId`: a preview.
   */
  | { type: 'content.fetch'; tag: string; contentId: string | null }
  /** `queue.flush()` before a refresh; answers whether the queue is empty afterwards (delivered). */
  | { type: 'content.flush'; tag: string }
  /** Show the content's URL through `platform.ui.showContent`. */
  | { type: 'content.show'; showId: number; url: string; placement: ContentPlacement }
  /** `resize_me`: move the overlay (the rect of the current orientation; the other is kept for a turn). */
  | { type: 'content.place'; showId: number; placement: ContentPlacement }
  /** The debounced resize message to content (`{type: 'resize', width, height}`), read from the platform now. */
  | { type: 'content.notifyResize'; showId: number }
  /** Remove the overlay (no-op if the platform closed it already). */
  | { type: 'content.close'; showId: number }
  /** A `link` from content: `platform.ui.openUrl`. */
  | { type: 'content.openUrl'; url: string };

export type ContentResult =
  | { type: 'content.fetched'; tag: string; status: number; body: string; at: number }
  /** Not sent (`withheld`: temporary ID, offline, networking off) or no answer. */
  | { type: 'content.fetchFailed'; tag: string; reason: string; at: number }
  | { type: 'content.flushed'; tag: string; delivered: boolean; at: number }
  /** The platform could not show it (no UI hook, or the hook threw). */
  | { type: 'content.showFailed'; showId: number; reason: string; at: number }
  /** The platform says the overlay is gone (`onClosed`). */
  | { type: 'content.closed'; showId: number; at: number }
  /** A message the content posted, with its sender's origin and the server URL now. */
  | { type: 'content.messaged'; showId: number; message: unknown; origin: string; serverUrl: string; at: Instant }
  /** The platform's orientation changed while the overlay is up. */
  | { type: 'content.viewportChanged'; showId: number };

declare module '../../effects/commands.js' {
  interface FeatureCommands {
    content: ContentCommand;
  }
  interface FeatureResults {
    content: ContentResult;
  }
}
