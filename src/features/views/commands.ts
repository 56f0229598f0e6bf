/**
 * The views feature's own command and effect result (automatic page views, docs/views.md),
 * merged into the shared `Command` and `EffectResult` unions by declaration.
 */
import type { PageLocation } from '../../adapters/types.js';
import type { Instant } from '../../domain/types.js';

/** `views.watch`: follow (or stop following) the platform's location (`views.automatic`). */
export type ViewsCommand = { type: 'views.watch'; enabled: boolean };

/** Where the page is: once when the watch begins (`initial`), then after each in-page navigation. */
export type ViewsResult = { type: 'views.navigated'; location: PageLocation; initial: boolean; at: Instant };

declare module '../../effects/commands.js' {
  interface FeatureCommands {
    views: ViewsCommand;
  }
  interface FeatureResults {
    views: ViewsResult;
  }
}
