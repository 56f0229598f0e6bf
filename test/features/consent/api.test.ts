/** `countly.consent`: validation, logging, the events sent, and the reads (features and groups). */
import { describe, expect, it } from 'vitest';
import { createConsentApi } from '../../../src/features/consent/api.js';
import { instantAt } from '../../../src/protocol/time.js';
import { fakeContext, T0 } from '../identity-context.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { consentFeature } from '../../../src/features/consent/index.js';

const at = instantAt(T0);

describe('consent API', () => {
  it('give/remove/set accept a name or an array of names, and log the call', () => {
    const f = fakeContext({ requiresConsent: true });
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    api.give('sessions');
    api.remove(['views', 'events']);
    api.set(['crashes'], true);
    api.set(['crashes'], false);
    api.giveAll();
    api.removeAll();
    expect(f.take()).toEqual([
      { type: 'consent.give', features: ['sessions'], at },
      { type: 'consent.remove', features: ['views', 'events'], at },
      { type: 'consent.give', features: ['crashes'], at },
      { type: 'consent.remove', features: ['crashes'], at },
      { type: 'consent.giveAll', at },
      { type: 'consent.removeAll', at },
    ]);
    expect(f.logs).toEqual([
      'info: [Countly] [Consent] give, giving consent for [["sessions"]]',
      'info: [Countly] [Consent] remove, removing consent for [["views","events"]]',
      'info: [Countly] [Consent] set, giving consent for [["crashes"]]',
      'info: [Countly] [Consent] set, removing consent for [["crashes"]]',
      'info: [Countly] [Consent] giveAll, giving consent for every feature',
      'info: [Countly] [Consent] removeAll, removing consent for every feature',
    ]);
  });

  it('bad input is warned about with the function name and ignored, never thrown', () => {
    const f = fakeContext({ requiresConsent: true });
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    expect(() => {
      api.give(42 as unknown as string);
      api.give([]);
      api.remove([3, '', 'events'] as unknown as string[]);
      api.set(['events'], 'yes' as unknown as boolean);
      api.createFeatureGroup('', ['events']);
      api.createFeatureGroup('g', 'events' as unknown as []);
      api.setFeatureGroup(7 as unknown as string, true);
      api.setFeatureGroup('g', 1 as unknown as boolean);
      api.get(null as unknown as string);
    }).not.toThrow();
    expect(f.take()).toEqual([{ type: 'consent.remove', features: ['events'], at }]);
    expect(f.logs.filter((l) => l.startsWith('warning'))).toEqual([
      'warning: [Countly] [Consent] give, features must be a feature or group name or an array of them, got [42]; call ignored',
      'warning: [Countly] [Consent] give, no feature given; call ignored',
      'warning: [Countly] [Consent] remove, feature name must be a non-empty string, got [3]; ignored',
      'warning: [Countly] [Consent] remove, feature name must be a non-empty string, got []; ignored',
      'warning: [Countly] [Consent] set, "given" must be a boolean, got [yes]; call ignored',
      'warning: [Countly] [Consent] createFeatureGroup, group name must be a non-empty string, got []; call ignored',
      'warning: [Countly] [Consent] createFeatureGroup, features must be an array, got [events]; call ignored',
      'warning: [Countly] [Consent] setFeatureGroup, group name must be a non-empty string, got [7]; call ignored',
      'warning: [Countly] [Consent] setFeatureGroup, "given" must be a boolean, got [1]; call ignored',
      'warning: [Countly] [Consent] get, feature must be a non-empty string, got [null]; returning false',
    ]);
  });

  it('get / checkAll read the machine: features, groups, everything', () => {
    const f = fakeContext({ requiresConsent: true, consent: ['sessions'] });
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    expect(api.get('sessions')).toBe(true);
    expect(api.get('events')).toBe(false);
    api.createFeatureGroup('activity', ['sessions', 'events']);
    expect(f.logs.at(-1)).toBe('info: [Countly] [Consent] createFeatureGroup, group [activity] of [["sessions","events"]]');
    expect(api.get('activity')).toBe(false);
    api.setFeatureGroup('activity', true);
    expect(api.get('activity')).toBe(true);
    expect(api.get('events')).toBe(true);
    expect(api.checkAll()).toBe(false);
    api.giveAll();
    expect(api.checkAll()).toBe(true);
    expect(api.get('nope')).toBe(false);
  });

  it('get and checkAll log the call with what they return (spec: Logging, line 194)', () => {
    const f = fakeContext({ requiresConsent: true, consent: ['sessions'] });
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    api.get('sessions');
    api.checkAll();
    expect(f.logs).toEqual([
      'info: [Countly] [Consent] get, consent for [sessions] is [true]',
      'info: [Countly] [Consent] checkAll, every feature has consent: [false]',
    ]);
  });

  it('without required consent every check is true', () => {
    const f = fakeContext();
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    api.removeAll();
    expect(api.get('sessions')).toBe(true);
    expect(api.get('anything')).toBe(true);
    expect(api.checkAll()).toBe(true);
  });

  it('before ready the config decides', () => {
    const f = fakeContext({ requiresConsent: true, consent: ['views'] }, { ready: false });
    const api = createConsentApi(forFeature(f.ctx, consentFeature));
    expect(api.get('views')).toBe(true);
    expect(api.get('events')).toBe(false);
    expect(api.checkAll()).toBe(false);
  });
});
