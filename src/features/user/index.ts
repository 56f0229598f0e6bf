/** User profiles (spec: User Profiles, 001 l. 3725). */
import { initialConsent } from '../../domain/consent.js';
import { sanitizeProperties } from '../../domain/user-profile.js';
import { defineFeature } from '../define.js';
import { createUserApi } from './api.js';
import { userListensTo, userMachine } from './machine.js';

export const userFeature = defineFeature({
  name: 'user',
  model: 'user',
  machine: userMachine,
  input: (b) => {
    const initial = b.config.userProperties === undefined ? { changes: [], warnings: [] } : sanitizeProperties(b.config.userProperties, b.config.limits);
    return {
      consent: initialConsent(b.config, b.settings).users,
      settings: b.settings,
      initial: initial.changes ?? [],
      initialWarnings: initial.warnings,
    };
  },
  listensTo: userListensTo,
  api: (ctx) => ({ user: createUserApi(ctx) }),
});
