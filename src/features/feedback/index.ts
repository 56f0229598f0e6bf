/** Feedback widgets and the legacy rating widget (spec: User Feedback, Star Rating (Legacy); docs/feedback.md). */
import { defineFeature } from '../define.js';
import { createFeedbackApi } from './api.js';
import { feedbackEffect } from './effect.js';
import { feedbackListensTo, feedbackMachine } from './machine.js';

export { parseWidgetMessage, ACTION_EVENT_BASE, type WidgetMessage } from './webview.js';

export const feedbackFeature = /* @__PURE__ */ defineFeature({
  name: 'feedback',
  model: 'feedback',
  machine: feedbackMachine,
  input: (b) => ({
    consent: b.consent.feedback,
    starRating: b.consent['star-rating'],
    temporary: b.initialIdentity.deviceIdType === 'TEMPORARY_ID',
    platform: b.platform.name,
    appVersion: b.config.appVersion,
    maxValueSize: b.config.limits.maxValueSize,
  }),
  listensTo: feedbackListensTo,
  effects: [feedbackEffect],
  select: (snapshot) => ({ feedback: { widgetShown: snapshot?.matches('showing') === true } }),
  api: (ctx) => ({ feedback: createFeedbackApi(ctx) }),
});
