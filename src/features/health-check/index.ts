/** SDK health check (spec: Health Checks; docs/health-check.md): counters, their storage, one report per init. */
import { defineFeature } from '../define.js';
import { EMPTY_COUNTERS, HEALTH_CHECK_KEY } from './counters.js';
import { healthCheckListensTo, healthCheckMachine } from './machine.js';

export const healthCheckFeature = /* @__PURE__ */ defineFeature({
  name: 'healthCheck',
  model: 'health-check',
  machine: healthCheckMachine,
  input: (b) => ({
    enabled: b.config.healthCheck,
    temporaryId: b.initialIdentity.deviceIdType === 'TEMPORARY_ID',
    // spec l. 5039: the metric override wins over the app version.
    appVersion: b.config.metricOverride._app_version ?? b.config.appVersion,
    stored: b.stored[HEALTH_CHECK_KEY],
  }),
  listensTo: healthCheckListensTo,
  select: (snapshot) => ({
    healthCheck: { sent: snapshot?.context.sent ?? false, counters: { ...(snapshot?.context.counters ?? EMPTY_COUNTERS) } },
  }),
});
