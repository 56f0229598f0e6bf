/** `countly.sessions` and `countly.lifecycle`: each call is one stamped event. */
import { describe, expect, it } from 'vitest';
import { createLifecycleApi } from '../../../src/features/lifecycle/api.js';
import { createSessionsApi } from '../../../src/features/session/api.js';
import { testContext } from '../api-context.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { lifecycleFeature } from '../../../src/features/lifecycle/index.js';
import { sessionFeature } from '../../../src/features/session/index.js';

describe('createSessionsApi', () => {
  it('sends begin, update and end to the session machine with the moment of the call', () => {
    const t = testContext();
    const sessions = createSessionsApi(forFeature(t.ctx, sessionFeature));
    sessions.begin();
    t.clock.advance(61_000);
    sessions.update();
    sessions.end();
    expect(t.sent.map((s) => [s.target, s.event.type])).toEqual([
      ['session', 'session.begin'],
      ['session', 'session.update'],
      ['session', 'session.end'],
    ]);
    const times = t.sent.map((s) => (s.event as unknown as { at: { timestamp: number } }).at.timestamp);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(61_000);
    expect(t.lines.map((l) => l.line)).toEqual([
      '[Countly] [Sessions] begin, beginning a session',
      '[Countly] [Sessions] update, reporting the session duration',
      '[Countly] [Sessions] end, ending the session',
    ]);
  });
});

describe('createLifecycleApi', () => {
  it('tells the lifecycle machine of each foreground and background, with the moment of the call', () => {
    const t = testContext();
    const lifecycle = createLifecycleApi(forFeature(t.ctx, lifecycleFeature));
    lifecycle.background();
    lifecycle.foreground();
    expect(t.sent.map((s) => [s.target, s.event.type])).toEqual([
      ['lifecycle', 'lifecycle.background'],
      ['lifecycle', 'lifecycle.foreground'],
    ]);
    expect(t.sent.every((s) => typeof (s.event as { at?: { timestamp?: unknown } }).at?.timestamp === 'number')).toBe(true);
    expect(t.lines.map((l) => l.line)).toEqual([
      '[Countly] [Lifecycle] background, the app went to the background',
      '[Countly] [Lifecycle] foreground, the app came to the foreground',
    ]);
  });
});
