/** SDK behavior settings: provided, stored and downloaded (spec: SDK Behavior Settings). */
import { defineFeature } from '../define.js';
import { settingsEffect } from './effect.js';
import { settingsListensTo, settingsMachine } from './machine.js';

export const settingsFeature = /* @__PURE__ */ defineFeature({
  name: 'settings',
  model: 'settings',
  machine: settingsMachine,
  input: (b) => ({ settings: { ...b.rawSettings }, updatesEnabled: b.config.behaviorSettingsUpdates, temporaryId: b.initialIdentity.deviceIdType === 'TEMPORARY_ID' }),
  listensTo: [...settingsListensTo, 'settings.fetched', 'settings.fetchFailed'],
  effects: [settingsEffect],
  stamped: ['settings.updated'],
});
