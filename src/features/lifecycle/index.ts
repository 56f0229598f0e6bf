/** The app's lifecycle: one foreground/background counter for every feature. */
import { defineFeature } from '../define.js';
import { createLifecycleApi } from './api.js';
import { lifecycleListensTo, lifecycleMachine } from './machine.js';

export const lifecycleFeature = /* @__PURE__ */ defineFeature({
  name: 'lifecycle',
  model: 'lifecycle',
  machine: lifecycleMachine,
  input: (b) => ({ foreground: b.platform.foreground }),
  listensTo: lifecycleListensTo,
  api: (ctx) => ({ lifecycle: createLifecycleApi(ctx) }),
});
