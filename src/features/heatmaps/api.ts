/**
 * The heatmaps namespace (docs/heatmaps.md; SDK guide l.2725–2726, "CountlyInstance.trackClicks()
 * / trackScrolls()"): each call starts tracking; repeated calls change nothing. Arguments are
 * ignored (the API takes none); nothing here throws.
 */
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { heatmapsMachine } from './machine.js';

const MODULE = 'Heatmaps';

export function createHeatmapsApi(ctx: FeatureContext<typeof heatmapsMachine>): Countly['heatmaps'] {
  return {
    trackClicks() {
      ctx.log.info(MODULE, 'trackClicks, tracking clicks, link clicks and form submissions');
      ctx.send({ type: 'heatmaps.track', what: 'clicks' });
    },
    trackScrolls() {
      ctx.log.info(MODULE, 'trackScrolls, tracking the scroll depth of each view');
      ctx.send({ type: 'heatmaps.track', what: 'scrolls' });
    },
  };
}
