/** Manual device metrics (spec: Device Metrics). */
import { defineFeature } from '../define.js';
import { createMetricsApi } from './api.js';
import { metricsListensTo, metricsMachine } from './machine.js';

export const metricsFeature = /* @__PURE__ */ defineFeature({
  name: 'metrics',
  model: 'metrics',
  machine: metricsMachine,
  input: (b) => ({ consent: b.consent.metrics }),
  listensTo: metricsListensTo,
  api: (ctx) => ({ metrics: createMetricsApi(ctx) }),
});
