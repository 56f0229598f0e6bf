import { describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { createRouter, DELIVERY_ORDER, listenersOf } from '../../src/runtime/router.js';

describe('router', () => {
  it('routes effect results to the machines that asked for them', () => {
    const route = createRouter(listenersOf(features));
    expect(route('transport.succeeded')).toEqual(['healthCheck', 'backoff', 'processor']);
    expect(route('transport.idle')).toEqual(['processor']);
    expect(route('event.record')).toEqual(['events']);
    expect(route('unknown')).toEqual([]);
  });

  it('delivers broadcasts to listeners in the fixed delivery order, once each', () => {
    const route = createRouter({
      session: ['identity.changing', 'identity.changing'],
      events: ['identity.changing'],
      views: ['identity.changing'],
      processor: ['sending.hold'],
    });
    expect(route('identity.changing')).toEqual(['views', 'events', 'session']);
    expect(route('sending.hold')).toEqual(['processor']);
  });

  it('keeps views before events before session (device-ID change correctness)', () => {
    expect(DELIVERY_ORDER.indexOf('views')).toBeLessThan(DELIVERY_ORDER.indexOf('events'));
    expect(DELIVERY_ORDER.indexOf('events')).toBeLessThan(DELIVERY_ORDER.indexOf('session'));
  });

  it('begins the session before views restart on foreground and after a device-ID change', () => {
    const route = createRouter({ views: ['app.visible', 'identity.changed'], session: ['app.visible', 'identity.changed'], events: ['app.visible'] });
    expect(route('app.visible')).toEqual(['events', 'session', 'views']);
    expect(route('identity.changed')).toEqual(['session', 'views']);
  });
});
