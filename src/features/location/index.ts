/** Location (spec: Recording Location). */
import { initialConsent } from '../../domain/consent.js';
import { defineFeature } from '../define.js';
import { createLocationApi } from './api.js';
import { locationInputFrom, locationListensTo, locationMachine } from './machine.js';

export const locationFeature = defineFeature({
  name: 'location',
  model: 'location',
  machine: locationMachine,
  input: (b) => locationInputFrom(b.config, initialConsent(b.config, b.settings), { settings: b.settings }),
  listensTo: locationListensTo,
  stamped: ['location.changed'],
  api: (ctx) => ({ location: createLocationApi(ctx) }),
});
