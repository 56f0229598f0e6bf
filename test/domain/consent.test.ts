/** Consent as data (spec: User Consent): states, names and groups, the wire param, event gating. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  allConsent,
  checkAllConsent,
  checkConsent,
  consentDelta,
  consentFeatureOfEvent,
  consentParam,
  givenFeatures,
  initialConsent,
  isConsentFeature,
  requiresConsent,
  resolveFeatures,
  sameConsent,
  withConsent,
} from '../../src/domain/consent.js';
import { ConsentFeatures, type ConsentFeature } from '../../src/domain/types.js';


describe('consent domain', () => {
  it('allConsent sets all 17 features', () => {
    expect(Object.keys(allConsent(true))).toEqual([...ConsentFeatures]);
    expect(Object.values(allConsent(false)).every((v) => v === false)).toBe(true);
  });

  it('the consent param is the full state in wire spelling and order', () => {
    const param = consentParam(withConsent(allConsent(false), ['star-rating', 'remote-config'], true));
    const parsed = JSON.parse(param) as Record<string, boolean>;
    expect(Object.keys(parsed)).toEqual([...ConsentFeatures]);
    expect(parsed['star-rating']).toBe(true);
    expect(parsed['remote-config']).toBe(true);
    expect(param).not.toContain('starRating');
  });

  it('withConsent / delta / given / same agree', () => {
    fc.assert(
      fc.property(fc.subarray([...ConsentFeatures]), fc.subarray([...ConsentFeatures]), fc.boolean(), (base, change, given) => {
        const before = withConsent(allConsent(false), base, true);
        const after = withConsent(before, change, given);
        for (const f of change) expect(after[f]).toBe(given);
        for (const f of consentDelta(before, after)) expect(change).toContain(f);
        expect(sameConsent(before, after)).toBe(consentDelta(before, after).length === 0);
        expect(givenFeatures(after).every((f) => after[f])).toBe(true);
      }),
    );
  });

  it('initial consent: everything without required consent, the config list with it, cr from the server', () => {
    expect(initialConsent({ requiresConsent: false, consent: [] })).toEqual(allConsent(true));
    expect(givenFeatures(initialConsent({ requiresConsent: true, consent: ['views', 'push'] }))).toEqual(['views', 'push']);
    expect(givenFeatures(initialConsent({ requiresConsent: false, consent: ['views'] }, { cr: true }))).toEqual(['views']);
    expect(requiresConsent({ requiresConsent: true }, { cr: false })).toBe(true);
    expect(requiresConsent({ requiresConsent: false }, { cr: false })).toBe(false);
    expect(requiresConsent({ requiresConsent: false }, {})).toBe(false);
  });

  it('resolves features and groups, reporting unknown names', () => {
    const groups = { activity: ['sessions', 'events'] as ConsentFeature[] };
    expect(resolveFeatures(['views', 'activity', 'views', 'nope'], groups)).toEqual({ features: ['sessions', 'events', 'views'], unknown: ['nope'] });
    expect(resolveFeatures(['__proto__', 'toString'], groups).unknown).toEqual(['__proto__', 'toString']);
    expect(isConsentFeature('forms')).toBe(true);
    expect(isConsentFeature('accessory-devices')).toBe(false);
    expect(isConsentFeature(3)).toBe(false);
  });

  it('get: a group is given only if all of its features are; unknown names are false; all true without required consent', () => {
    const groups = { g: ['sessions', 'events'] as ConsentFeature[] };
    const state = withConsent(allConsent(false), ['sessions'], true);
    expect(checkConsent(state, true, 'sessions', groups)).toBe(true);
    expect(checkConsent(state, true, 'g', groups)).toBe(false);
    expect(checkConsent(withConsent(state, ['events'], true), true, 'g', groups)).toBe(true);
    expect(checkConsent(state, true, 'unknown', groups)).toBe(false);
    expect(checkConsent(state, false, 'unknown', groups)).toBe(true);
    expect(checkAllConsent(state, true)).toBe(false);
    expect(checkAllConsent(allConsent(true), true)).toBe(true);
    expect(checkAllConsent(state, false)).toBe(true);
  });

  it('internal events are gated by their own feature, never by events', () => {
    expect(consentFeatureOfEvent('[CLY]_view')).toBe('views');
    expect(consentFeatureOfEvent('[CLY]_nps')).toBe('feedback');
    expect(consentFeatureOfEvent('[CLY]_survey')).toBe('feedback');
    expect(consentFeatureOfEvent('[CLY]_star_rating')).toBe('star-rating');
    expect(consentFeatureOfEvent('[CLY]_orientation')).toBe('users');
    expect(consentFeatureOfEvent('[CLY]_push_action')).toBe('push');
    expect(consentFeatureOfEvent('[CLY]_action', { type: 'click' })).toBe('clicks');
    expect(consentFeatureOfEvent('[CLY]_action', { type: 'scroll' })).toBe('scrolls');
    expect(consentFeatureOfEvent('purchase')).toBe('events');
    expect(consentFeatureOfEvent('constructor')).toBe('events');
  });
});
