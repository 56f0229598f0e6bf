import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { contentMachine } from './machine.js';
import { CONTENT_CALLBACK_CHANNEL } from './rules.js';

const MODULE = 'Content';
/** A content ID longer than this is not an ID (server IDs are 24 hex characters). */
const MAX_CONTENT_ID_LENGTH = 1024;

/**
 * `countly.content` (spec 001: Content Zone l. 1346-1604): logs each call, validates the
 * preview's content ID, stamps the moment and sends one event to the content machine, which
 * applies consent, temporary-ID mode, `rcz` and what is on screen. Never throws.
 * `config.content.onContent` listens on the machine's callback channel.
 */
export function createContentApi(ctx: FeatureContext<typeof contentMachine>): Countly['content'] {
  const onContent = ctx.config.content.onContent;
  if (onContent !== undefined) ctx.callbacks.on(CONTENT_CALLBACK_CHANNEL, onContent);
  return {
    enterZone(): void {
      ctx.log.info(MODULE, 'enterZone');
      ctx.send({ type: 'content.enter', at: ctx.now() });
    },
    exitZone(): void {
      ctx.log.info(MODULE, 'exitZone');
      ctx.send({ type: 'content.exit', at: ctx.now() });
    },
    refreshZone(): void {
      ctx.log.info(MODULE, 'refreshZone');
      ctx.send({ type: 'content.refresh', at: ctx.now() });
    },
    preview(contentId: string): void {
      ctx.log.info(MODULE, `preview, content ${param(contentId)}`);
      if (typeof contentId !== 'string' || contentId.trim() === '') {
        ctx.log.warning(MODULE, `preview, contentId must be a non-empty string, got ${param(contentId)}; call ignored`);
        return;
      }
      if (contentId.length > MAX_CONTENT_ID_LENGTH) {
        ctx.log.warning(MODULE, `preview, contentId is longer than ${MAX_CONTENT_ID_LENGTH} characters; call ignored`);
        return;
      }
      ctx.send({ type: 'content.preview', contentId, at: ctx.now() });
    },
  };
}
