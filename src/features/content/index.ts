/** The content zone (spec: Content Zone; docs/content.md). */
import { defineFeature } from '../define.js';
import { createContentApi } from './api.js';
import { contentEffect } from './effect.js';
import { contentListensTo, contentMachine } from './machine.js';

export const contentFeature = /* @__PURE__ */ defineFeature({
  name: 'content',
  model: 'content',
  machine: contentMachine,
  input: (b) => ({
    consent: b.consent.content,
    temporaryId: b.initialIdentity.deviceIdType === 'TEMPORARY_ID',
    intervalSeconds: b.config.content.zoneTimerIntervalSeconds,
    settings: b.settings,
    allowedOrigins: b.config.content.allowedOrigins,
    bootAt: b.at.timestamp,
    idSeed: b.idSeed,
  }),
  listensTo: contentListensTo,
  effects: [contentEffect],
  select: (snapshot) => ({
    content: { inZone: snapshot?.context.inZone ?? false, showing: snapshot?.matches('showing') ?? false },
  }),
  api: (ctx) => ({ content: createContentApi(ctx) }),
});
