/** Sessions (spec: Sessions): automatic, manual and hybrid. */
import { initialConsent } from '../../domain/consent.js';
import { defineFeature } from '../define.js';
import { locationInputFrom, locationParamsAtBoot } from '../location/machine.js';
import { createSessionsApi } from './api.js';
import { sessionInputFrom, sessionListensTo, sessionMachine } from './machine.js';

export const sessionFeature = defineFeature({
  name: 'session',
  model: 'session',
  machine: sessionMachine,
  input: (b) => {
    const consent = initialConsent(b.config, b.settings);
    return sessionInputFrom(b.config, b.platform, consent, {
      at: b.at,
      settings: b.settings,
      location: locationParamsAtBoot(locationInputFrom(b.config, consent, { settings: b.settings })),
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
