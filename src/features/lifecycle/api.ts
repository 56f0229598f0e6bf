import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { lifecycleMachine } from './machine.js';

const MODULE = 'Lifecycle';

/**
 * `countly.lifecycle`: the host forwards foreground/background where the platform cannot
 * see them (API.md: Sessions on platforms without a screen). Each call is one visible
 * component coming or going; the lifecycle machine counts them, so automatic sessions begin
 * on 0→1 and end on 1→0, and views stop on background and start again on foreground.
 */
export function createLifecycleApi(ctx: FeatureContext<typeof lifecycleMachine>): Countly['lifecycle'] {
  return {
    foreground() {
      ctx.log.info(MODULE, 'foreground, the app came to the foreground');
      ctx.send({ type: 'lifecycle.foreground', at: ctx.now() });
    },
    background() {
      ctx.log.info(MODULE, 'background, the app went to the background');
      ctx.send({ type: 'lifecycle.background', at: ctx.now() });
    },
  };
}
