/** Heatmaps (spec: Heatmaps; docs/heatmaps.md): clicks, scroll depth, link clicks, form submissions. */
import { defineFeature } from '../define.js';
import { createHeatmapsApi } from './api.js';
import { heatmapsEffect } from './effect.js';
import { heatmapsListensTo, heatmapsMachine } from './machine.js';

export const heatmapsFeature = /* @__PURE__ */ defineFeature({
  name: 'heatmaps',
  model: 'heatmaps',
  machine: heatmapsMachine,
  input: (b) => ({
    consent: { clicks: b.consent.clicks, scrolls: b.consent.scrolls, forms: b.consent.forms },
    clicks: b.config.heatmaps.clicks,
    scrolls: b.config.heatmaps.scrolls,
    settings: b.settings,
    idSeed: b.idSeed,
  }),
  listensTo: heatmapsListensTo,
  effects: [heatmapsEffect],
  api: (ctx) => ({ heatmaps: createHeatmapsApi(ctx) }),
});
