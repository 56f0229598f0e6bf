/** Device ID and temporary-ID mode (spec: Device ID Management; the init truth table). */
import { defineFeature } from '../define.js';
import { createDeviceIdApi, createOfflineApi } from './api.js';
import { deviceIdInputFrom, deviceIdListensTo, deviceIdMachine } from './machine.js';

export const deviceIdFeature = /* @__PURE__ */ defineFeature({
  name: 'deviceId',
  model: 'device-id',
  machine: deviceIdMachine,
  input: (b) => deviceIdInputFrom(b.config, b.stored, { urlDeviceId: b.urlDeviceId }, { generated: b.generatedId }),
  listensTo: deviceIdListensTo,
  stamped: ['identity.changing', 'identity.changed'],
  api: (ctx) => ({ deviceId: createDeviceIdApi(ctx), ...createOfflineApi(ctx) }),
});
