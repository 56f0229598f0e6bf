/**
 * The feedback feature's own commands and effect results, merged into the shared `Command` and
 * `EffectResult` unions by declaration (src/effects/commands.ts: FeatureCommands, FeatureResults).
 */
import type { Instant } from '../../domain/types.js';
import type { FeedbackWidget } from '../../types.js';

/**
 * The widget overlay's I/O (src/features/feedback/effect.ts), through the platform's UI hooks:
 * `feedback.show` builds the widget's URL from the identity current now and hands it to
 * `platform.ui.showWidget`; `feedback.close` removes it; `feedback.openUrl` opens a link of the
 * widget outside the app (`platform.ui.openUrl`).
 */
export type FeedbackCommand =
  | { type: 'feedback.show'; widget: FeedbackWidget; platform: string }
  | { type: 'feedback.close' }
  | { type: 'feedback.openUrl'; url: string };

/** What the overlay effect feeds back. */
export type FeedbackResult =
  /** The platform took the URL (`showWidget` returned). */
  | { type: 'feedback.shown' }
  /** Nothing was shown: no UI hook, or the hook threw. */
  | { type: 'feedback.showFailed'; reason: string }
  /** A URL the widget page tried to load (`onMessage`), stamped for the cancel event it may record. */
  | { type: 'feedback.message'; url: string; at: Instant; id: string }
  /** The overlay is gone (`onClosed`, or closed by the SDK), once per show. */
  | { type: 'feedback.closed' };

declare module '../../effects/commands.js' {
  interface FeatureCommands {
    feedback: FeedbackCommand;
  }
  interface FeatureResults {
    feedback: FeedbackResult;
  }
}
