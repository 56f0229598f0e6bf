/** Application Performance Monitoring (spec: SDK guide l. 3946-4161); see docs/apm.md. */
import { defineFeature } from '../define.js';
import { createApmApi } from './api.js';
import { apmListensTo, apmMachine } from './machine.js';

export const apmFeature = /* @__PURE__ */ defineFeature({
  name: 'apm',
  model: 'apm',
  machine: apmMachine,
  input: (b) => ({
    consent: b.consent.apm,
    appStartTracking: b.config.apm.appStartTracking,
    foregroundBackgroundTracking: b.config.apm.foregroundBackgroundTracking,
    manualAppLoadedTrigger: b.config.apm.manualAppLoadedTrigger,
    appStartTimestampOverride: b.config.apm.appStartTimestampOverride ?? null,
    foreground: b.platform.foreground,
    bootAt: b.at,
  }),
  listensTo: apmListensTo,
  api: (ctx) => ({ apm: createApmApi(ctx) }),
});
