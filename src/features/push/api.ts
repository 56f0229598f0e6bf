import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { pushMachine } from './machine.js';
import { MAX_TOKEN_LENGTH, PUSH_PROVIDERS, providerOf } from './rules.js';

const MODULE = 'Push';
const KNOWN = /* @__PURE__ */ (() => Object.keys(PUSH_PROVIDERS).join(', '))();

/**
 * `countly.push` (spec 001: Push Notifications l. 2291-2510): validates each call, logs
 * `[Countly] [Push] fn, message`, stamps the moment and sends one event to the push machine,
 * which applies consent, the debounce and the wait after `begin_session`. Bad input never
 * throws: a token that is not a non-empty string of at most 4,096 characters, an unknown
 * provider, a notification ID that is not a non-empty string within `maxValueSize`, or a
 * button index that is not a whole number ≥ 0 ignores the call with a warning.
 */
export function createPushApi(ctx: FeatureContext<typeof pushMachine>): Countly['push'] {
  const { log, config } = ctx;
  if (config.push.provider !== undefined && providerOf(config.push.provider) === null) {
    log.warning(MODULE, `createCountly, unknown push provider ${param(config.push.provider)} (known: ${KNOWN}); using FCM`);
  }

  return {
    setToken(token: string, provider?: string): void {
      log.info(MODULE, `setToken, token ${param(token)}${provider !== undefined ? `, provider ${param(provider)}` : ''}`);
      if (typeof token !== 'string' || token === '') {
        log.warning(MODULE, `setToken, token must be a non-empty string (clearToken() unregisters), got ${param(token)}; call ignored`);
        return;
      }
      if (token.length > MAX_TOKEN_LENGTH) {
        log.warning(MODULE, `setToken, token is ${token.length} characters long, more than ${MAX_TOKEN_LENGTH}; call ignored`);
        return;
      }
      const p = provider === undefined ? null : providerOf(provider);
      if (provider !== undefined && p === null) {
        log.warning(MODULE, `setToken, unknown provider ${param(provider)} (known: ${KNOWN}); call ignored`);
        return;
      }
      ctx.send({ type: 'push.setToken', token, provider: p ?? providerOf(config.push.provider), at: ctx.now() });
    },

    clearToken(): void {
      log.info(MODULE, 'clearToken');
      ctx.send({ type: 'push.clearToken', at: ctx.now() });
    },

    recordAction(notificationId: string, buttonIndex: number): void {
      log.info(MODULE, `recordAction, notification ${param(notificationId)}, button ${param(buttonIndex)}`);
      if (typeof notificationId !== 'string' || notificationId.trim() === '') {
        log.warning(MODULE, `recordAction, notificationId must be a non-empty string, got ${param(notificationId)}; call ignored`);
        return;
      }
      if (notificationId.length > config.limits.maxValueSize) {
        // A cut ID names no message: the action would count for nothing.
        log.warning(MODULE, `recordAction, notificationId is longer than maxValueSize (${config.limits.maxValueSize}); call ignored`);
        return;
      }
      if (typeof buttonIndex !== 'number' || !Number.isSafeInteger(buttonIndex) || buttonIndex < 0) {
        log.warning(MODULE, `recordAction, buttonIndex must be a whole number ≥ 0 (0: the notification body), got ${param(buttonIndex)}; call ignored`);
        return;
      }
      ctx.send({ type: 'push.recordAction', notificationId, button: buttonIndex, at: ctx.now(), id: ctx.eventId() });
    },
  };
}
