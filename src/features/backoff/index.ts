/** Backoff (spec: Backoff Mechanism): pause sending while the server is slow. */
import { defineFeature } from '../define.js';
import { backoffListensTo, backoffMachine } from './machine.js';

export const backoffFeature = /* @__PURE__ */ defineFeature({
  name: 'backoff',
  model: 'backoff',
  machine: backoffMachine,
  input: (b) => ({ enabled: b.config.backoff, maxQueueSize: b.config.maxRequestQueueSize }),
  listensTo: [...backoffListensTo, 'transport.succeeded', 'transport.failed'],
  select: (snapshot) => ({
    backoff: {
      active: typeof snapshot?.context.untilMs === 'number',
      total: snapshot?.context.total ?? 0,
      maxConsecutive: snapshot?.context.maxConsecutive ?? 0,
    },
  }),
});
