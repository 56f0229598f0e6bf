/** Events (spec: Events): the event queue, timed events, filters and limits. */
import { defineFeature } from '../define.js';
import { createEventsApi } from './api.js';
import { eventsInputFrom, eventsListensTo, eventsMachine } from './machine.js';

export const eventsFeature = /* @__PURE__ */ defineFeature({
  name: 'events',
  model: 'events',
  machine: eventsMachine,
  input: (b) =>
    eventsInputFrom(b.config, [...b.storedEvents], b.consent, {
      settings: b.settings,
      foreground: b.platform.foreground,
      storedOwner: b.clearedIdentity,
    }),
  // `event.record`: events other features record (views, orientation, ...).
  listensTo: [...eventsListensTo, 'event.record'],
  stamped: ['events.batching'],
  api: (ctx) => ({ events: createEventsApi(ctx) }),
});
