import type { FeatureContext } from '../define.js';
import type { Countly } from '../../types.js';
import type { SessionEvent, sessionMachine } from './machine.js';

const MODULE = 'Sessions';

/**
 * `countly.sessions`: manual session control (spec: Sessions > Manual Session Tracking).
 * The session machine decides; calls out of order, or in automatic mode, are logged there
 * and ignored.
 */
export function createSessionsApi(ctx: FeatureContext<typeof sessionMachine>): Countly['sessions'] {
  const send = (event: SessionEvent): void => ctx.send(event);
  return {
    begin() {
      ctx.log.info(MODULE, 'begin, beginning a session');
      send({ type: 'session.begin', at: ctx.now() });
    },
    update() {
      ctx.log.info(MODULE, 'update, reporting the session duration');
      send({ type: 'session.update', at: ctx.now() });
    },
    end() {
      ctx.log.info(MODULE, 'end, ending the session');
      send({ type: 'session.end', at: ctx.now() });
    },
  };
}
