/** Views (spec: Views): manual and automatic page views, segmentation, background restarts, orientation. */
import { defineFeature } from '../define.js';
import { createViewsApi } from './api.js';
import { viewsEffect } from './effect.js';
import { viewInputFrom, viewListensTo, viewMachine } from './machine.js';

export const viewsFeature = /* @__PURE__ */ defineFeature({
  name: 'views',
  model: 'views',
  machine: viewMachine,
  input: (b) => viewInputFrom(b.config, b.platform, b.consent, { idSeed: b.idSeed, settings: b.settings }),
  listensTo: viewListensTo,
  effects: [viewsEffect],
  stamped: ['view.changed'],
  select: (snapshot) => {
    const c = snapshot?.context;
    return {
      views: {
        current: c && c.currentViewId !== '' ? c.currentViewId : null,
        running: c ? c.running.map((v) => ({ id: v.id, name: v.name, paused: v.paused === true })) : [],
      },
    };
  },
  api: (ctx) => ({ views: createViewsApi(ctx) }),
});
