/** Attribution (spec: Attribution; docs/metrics-attribution.md). */
import { defineFeature } from '../define.js';
import { createAttributionApi } from './api.js';
import { attributionListensTo, attributionMachine } from './machine.js';

export const attributionFeature = /* @__PURE__ */ defineFeature({
  name: 'attribution',
  model: 'attribution',
  machine: attributionMachine,
  input: (b) => ({ consent: b.consent.attribution }),
  listensTo: attributionListensTo,
  api: (ctx) => ({ attribution: createAttributionApi(ctx) }),
});
