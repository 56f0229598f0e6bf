/** Consent (spec: Consents): what every other feature may do. */
import { allConsent } from '../../domain/consent.js';
import { defineFeature } from '../define.js';
import { createConsentApi } from './api.js';
import { consentInputFrom, consentListensTo, consentMachine } from './machine.js';

export const consentFeature = /* @__PURE__ */ defineFeature({
  name: 'consent',
  model: 'consent',
  machine: consentMachine,
  input: (b) => consentInputFrom(b.config, { settings: b.settings }),
  listensTo: consentListensTo,
  stamped: ['consent.changing', 'consent.changed'],
  select: (snapshot, config) => ({
    consent: snapshot
      ? { required: snapshot.context.required, given: { ...snapshot.context.given } }
      : { required: config.requiresConsent, given: allConsent(!config.requiresConsent) },
  }),
  api: (ctx) => ({ consent: createConsentApi(ctx) }),
});
