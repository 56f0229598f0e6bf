/** Crash reporting (spec: Crash Reporting, docs/crashes.md). */
import { defineFeature } from '../define.js';
import { createCrashesApi } from './api.js';
import { crashesEffect } from './effect.js';
import { crashesListensTo, crashesMachine } from './machine.js';

export const crashesFeature = /* @__PURE__ */ defineFeature({
  name: 'crashes',
  model: 'crashes',
  machine: crashesMachine,
  input: (b) => ({
    consent: b.consent.crashes,
    configLimits: b.config.limits,
    settings: b.settings,
    globalSegmentation: b.config.crashes.segmentation,
    autoReport: b.config.crashes.autoReport,
    foreground: b.platform.foreground,
    bootAt: b.at.timestamp,
  }),
  listensTo: crashesListensTo,
  effects: [crashesEffect],
  api: (ctx) => ({ crashes: createCrashesApi(ctx) }),
});
