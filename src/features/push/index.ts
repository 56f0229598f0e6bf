/** Push notifications, platform-neutral part (spec: Push Notifications; docs/push.md). */
import { defineFeature } from '../define.js';
import { createPushApi } from './api.js';
import { pushListensTo, pushMachine } from './machine.js';
import { decodeStoredToken, providerOf, PUSH_TOKEN_KEY } from './rules.js';

export const pushFeature = /* @__PURE__ */ defineFeature({
  name: 'push',
  model: 'push',
  machine: pushMachine,
  input: (b) => ({
    consent: b.consent.push,
    testMode: b.config.push.testMode,
    provider: providerOf(b.config.push.provider),
    sendTokenAlways: b.config.push.sendTokenAlways,
    // The same precedence as `metrics=`: the config's override over the platform's value.
    locale: b.config.metricOverride._locale ?? b.platform.locale,
    stored: decodeStoredToken(b.stored[PUSH_TOKEN_KEY]),
    now: b.at.timestamp,
  }),
  listensTo: pushListensTo,
  api: (ctx) => ({ push: createPushApi(ctx) }),
});
