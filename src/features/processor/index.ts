/** The request processor (spec: Request Queue): sends the queue head, one at a time, under holds. */
import { defineFeature } from '../define.js';
import { createQueueApi } from './api.js';
import { appKeysEffect } from './app-keys.js';
import { transportEffect } from './effect.js';
import { requestProcessorListensTo, requestProcessorMachine } from './machine.js';

export const processorFeature = /* @__PURE__ */ defineFeature({
  name: 'processor',
  model: 'processor',
  machine: requestProcessorMachine,
  input: (b) => {
    const { rqs, dort } = b.settings;
    // spec: SDK Behavior Settings — developer settings < behavior settings (a server `dort: 0` disables dropping).
    return {
      retryCooldownMs: b.config.retryCooldownSeconds * 1000,
      queueLength: b.queueLength,
      holds: ['booting'] as const,
      maxQueueSize: rqs ?? b.config.maxRequestQueueSize,
      dropAgeHours: dort ?? b.config.requestDropAgeHours,
      // spec l. 4836: the server's `tracking: false`, stored or provided, holds from boot on.
      trackingDisabled: b.settings.tracking === false,
    };
  },
  listensTo: [...requestProcessorListensTo, 'transport.succeeded', 'transport.failed', 'transport.idle', 'queue.changed'],
  effects: [transportEffect, appKeysEffect],
  select: (snapshot) => ({
    processor: {
      state: snapshot === undefined ? 'stopped' : typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value),
      holds: snapshot ? [...snapshot.context.holds] : [],
    },
    deadLetters: snapshot?.context.deadLetters ?? 0,
  }),
  api: (ctx) => ({ queue: createQueueApi(ctx) }),
});
