/** Manual device metrics (spec: Device Metrics). */
import { initialConsent } from '../../domain/consent.js';
import { defineFeature } from '../define.js';
import { createMetricsApi } from './api.js';
import { metricsListensTo, metricsMachine } from './machine.js';

export const metricsFeature = defineFeature({
  name: 'metrics',
  model: 'metrics',
  machine: metricsMachine,
  input: (b) => ({ consent: initialConsent(b.config, b.settings).metrics }),
  listensTo: metricsListensTo,
  api: (ctx) => ({ metrics: createMetricsApi(ctx) }),
});
