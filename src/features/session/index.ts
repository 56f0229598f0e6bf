/** Sessions (spec: Sessions): automatic, manual and hybrid. */
import { defineFeature } from '../define.js';
import { locationInputFrom, locationParamsAtBoot } from '../location/machine.js';
import { createSessionsApi } from './api.js';
import { sessionInputFrom, sessionListensTo, sessionMachine } from './machine.js';

export const sessionFeature = /* @__PURE__ */ defineFeature({
  name: 'session',
  model: 'session',
  machine: sessionMachine,
  input: (b) => {
    return sessionInputFrom(b.config, b.platform, b.consent, {
      at: b.at,
      settings: b.settings,
      location: locationParamsAtBoot(locationInputFrom(b.config, b.consent, { settings: b.settings })),
    });
  },
  listensTo: sessionListensTo,
  select: (snapshot, config) => ({
    session: {
      running: snapshot?.matches('running') === true,
      mode: config.manualSessions === 'hybrid' ? 'hybrid' : config.manualSessions ? 'manual' : 'automatic',
      foreground: snapshot ? snapshot.context.foreground : true,
    },
  }),
  api: (ctx) => ({ sessions: createSessionsApi(ctx) }),
});
