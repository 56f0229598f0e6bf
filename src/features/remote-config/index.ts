/** Remote config and A/B testing (spec: Remote Config, A/B Testing; docs/remote-config.md). */
import { defineFeature } from '../define.js';
import { createRemoteConfigApi } from './api.js';
import { remoteConfigListensTo, remoteConfigMachine } from './machine.js';
import { decodeStoredValues, RC_STORE_KEY } from './rules.js';

export const remoteConfigFeature = /* @__PURE__ */ defineFeature({
  name: 'remoteConfig',
  model: 'remote-config',
  machine: remoteConfigMachine,
  input: (b) => ({
    values: decodeStoredValues(b.stored[RC_STORE_KEY]),
    // `clearStoredDeviceId` replaced the stored ID: what is stored is an earlier user's.
    idChangedAtBoot: b.clearedIdentity !== null && b.clearedIdentity.deviceId !== b.initialIdentity.deviceId,
    consent: b.consent['remote-config'],
    sessionsConsent: b.consent.sessions,
    deviceId: b.initialIdentity.deviceId,
    temporary: b.initialIdentity.deviceIdType === 'TEMPORARY_ID',
    automaticTriggers: b.config.remoteConfig.automaticTriggers,
    valueCaching: b.config.remoteConfig.valueCaching,
    enrollOnDownload: b.config.remoteConfig.enrollOnDownload,
  }),
  listensTo: remoteConfigListensTo,
  select: (snapshot) => ({
    remoteConfig: {
      keys: snapshot ? Object.keys(snapshot.context.values) : [],
      downloading: snapshot?.matches('downloading') ?? false,
    },
  }),
  api: (ctx) => ({ remoteConfig: createRemoteConfigApi(ctx) }),
});
