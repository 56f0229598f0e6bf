/** Location (spec: Recording Location). */
import { defineFeature } from '../define.js';
import { createLocationApi } from './api.js';
import { locationInputFrom, locationListensTo, locationMachine } from './machine.js';

export const locationFeature = /* @__PURE__ */ defineFeature({
  name: 'location',
  model: 'location',
  machine: locationMachine,
  input: (b) => locationInputFrom(b.config, b.consent, { settings: b.settings }),
  listensTo: locationListensTo,
  stamped: ['location.changed'],
  api: (ctx) => ({ location: createLocationApi(ctx) }),
});
