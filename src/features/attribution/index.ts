/** Attribution (spec: Attribution; docs/metrics-attribution.md). */
import { initialConsent } from '../../domain/consent.js';
import { defineFeature } from '../define.js';
import { createAttributionApi } from './api.js';
import { attributionListensTo, attributionMachine } from './machine.js';

export const attributionFeature = defineFeature({
  name: 'attribution',
  model: 'attribution',
  machine: attributionMachine,
  input: (b) => ({ consent: initialConsent(b.config, b.settings).attribution }),
  listensTo: attributionListensTo,
  api: (ctx) => ({ attribution: createAttributionApi(ctx) }),
});
