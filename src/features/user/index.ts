/** User profiles (spec: User Profiles, 001 l. 3725). */
import { sanitizeProperties } from '../../domain/user-profile.js';
import { defineFeature } from '../define.js';
import { createUserApi } from './api.js';
import { userListensTo, userMachine } from './machine.js';

export const userFeature = /* @__PURE__ */ defineFeature({
  name: 'user',
  model: 'user',
  machine: userMachine,
  input: (b) => {
    const initial = b.config.userProperties === undefined ? { changes: [], warnings: [] } : sanitizeProperties(b.config.userProperties, b.config.limits);
    return {
      consent: b.consent.users,
      settings: b.settings,
      initial: initial.changes ?? [],
      initialWarnings: initial.warnings,
    };
  },
  listensTo: userListensTo,
  api: (ctx) => ({ user: createUserApi(ctx) }),
});
