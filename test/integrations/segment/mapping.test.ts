/** The pure Segment → Countly mapping (src/integrations/segment/mapping.ts), case by case. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/integrations/segment/flatten.js';
import {
  birthYear,
  categoryPreferences,
  consentFor,
  countlyGender,
  DEFAULT_CONSENT_CATEGORIES,
  mapGroup,
  mapTrack,
  mapTraits,
  mapView,
  segmentId,
} from '../../../src/integrations/segment/mapping.js';

const L = DEFAULT_LIMITS;

describe('mapTrack', () => {
  it('name → key, count 1, a finite numeric revenue → sum and out of the segmentation', () => {
    expect(mapTrack({ event: 'Bought', properties: { revenue: 9.5, value: 2, sku: 'x' } }, L)).toEqual({ key: 'Bought', count: 1, sum: 9.5, segmentation: { value: 2, sku: 'x' }, dropped: [] });
  });
  it('revenue that is not a finite number stays a segment (or is dropped when it has no value form); value is never revenue', () => {
    expect(mapTrack({ event: 'A', properties: { revenue: '9.5', value: 3 } }, L)).toEqual({ key: 'A', count: 1, segmentation: { revenue: '9.5', value: 3 }, dropped: [] });
    expect(mapTrack({ event: 'A', properties: { revenue: Number.NaN } }, L)).toEqual({ key: 'A', count: 1, segmentation: {}, dropped: ['revenue (not finite)'] });
    expect(mapTrack({ event: 'A', properties: { revenue: 0 } }, L)).toMatchObject({ sum: 0, segmentation: {} });
  });
  it('no event name → an error the plugin logs', () => {
    expect(mapTrack({ event: '  ' }, L)).toEqual({ error: 'track without an event name' });
    expect(mapTrack({}, L)).toEqual({ error: 'track without an event name' });
  });
  it('drops nested arrays of objects and reports them', () => {
    expect(mapTrack({ event: 'Order', properties: { products: [{ id: 1 }, { id: 2 }] } }, L)).toMatchObject({ segmentation: {}, dropped: ['products (no scalar items)'] });
  });
});

describe('mapView', () => {
  it('name, else properties.path, else context.page.path, else url, else title', () => {
    expect(mapView({ type: 'page', name: 'Home', properties: { path: '/' } }, L)).toMatchObject({ name: 'Home' });
    expect(mapView({ type: 'page', properties: { path: '/a' } }, L)).toMatchObject({ name: '/a' });
    expect(mapView({ type: 'page', context: { page: { path: '/b' } } }, L)).toMatchObject({ name: '/b' });
    expect(mapView({ type: 'page', properties: { url: 'https://x/y' } }, L)).toMatchObject({ name: 'https://x/y' });
    expect(mapView({ type: 'screen', properties: { title: 'T' } }, L)).toMatchObject({ name: 'T' });
    expect(mapView({ type: 'screen' }, L)).toEqual({ error: 'screen without a name or path' });
  });
  it("reserved view keys are left out; a top-level category joins the segmentation", () => {
    expect(mapView({ name: 'P', category: 'Docs', properties: { name: 'P', visit: 1, segment: 'x', dur: 3, tab: 't' } }, L)).toEqual({ name: 'P', segmentation: { tab: 't', category: 'Docs' }, dropped: [] });
    expect(mapView({ name: 'P', category: 'Docs', properties: { category: 'Own' } }, L)).toMatchObject({ segmentation: { category: 'Own' } });
  });
});

describe('mapTraits', () => {
  it("Segment's spec'd traits → Countly's predefined keys, the rest → custom", () => {
    expect(
      mapTraits(
        { name: 'N', username: 'u', email: 'e@x', phone: '1', avatar: 'https://a', gender: 'Male', birthday: '1990-05-01', company: { name: 'C', id: 7 }, id: 'ignored', age: 33, tags: ['a'] },
        L,
      ),
    ).toEqual({
      properties: { name: 'N', username: 'u', email: 'e@x', phone: '1', picture: 'https://a', gender: 'M', byear: 1990, organization: 'C', age: 33, company_id: 7 },
      dropped: ['tags (array)'],
    });
  });
  it('firstName + lastName make the name when there is none; a company string is the organization', () => {
    expect(mapTraits({ firstName: 'A', lastName: 'B', company: 'Co' }, L).properties).toEqual({ name: 'A B', organization: 'Co', firstName: 'A', lastName: 'B' });
    expect(mapTraits({ lastName: 'B' }, L).properties).toEqual({ name: 'B', lastName: 'B' });
  });
  it('nothing usable → no properties', () => {
    expect(mapTraits(undefined, L)).toEqual({ properties: {}, dropped: [] });
    expect(mapTraits({ birthday: 'not a date', gender: 7 }, L).properties).toEqual({ gender: '7' });
  });
});

describe('helpers', () => {
  it('countlyGender: M/F where recognizable, else as given', () => {
    expect(['m', 'Male', 'MAN', 'f', 'female', 'Woman', 'other'].map(countlyGender)).toEqual(['M', 'M', 'M', 'F', 'F', 'F', 'other']);
  });
  it('birthYear: ISO strings, dates and ms; nothing else', () => {
    expect(birthYear('1815-12-10T00:00:00.000Z')).toBe(1815);
    expect(birthYear('2001')).toBe(2001);
    expect(birthYear(new Date(Date.UTC(1970, 5, 1)))).toBe(1970);
    expect(birthYear(0)).toBe(1970);
    expect(birthYear('May 4, 1980')).toBe(1980);
    expect(birthYear('nope')).toBeUndefined();
    expect(birthYear(new Date(Number.NaN))).toBeUndefined();
    expect(birthYear(null)).toBeUndefined();
  });
  it('segmentId: non-empty strings and finite numbers', () => {
    expect([segmentId('a'), segmentId(12), segmentId(''), segmentId(null), segmentId(Number.NaN)]).toEqual(['a', '12', undefined, undefined, undefined]);
  });
});

describe('mapGroup', () => {
  it('group ID → group, traits → group_<trait>', () => {
    expect(mapGroup({ groupId: 'g', traits: { name: 'G', size: { seats: 4 }, list: [1] } }, L)).toEqual({ properties: { group: 'g', group_name: 'G', group_size_seats: 4 }, dropped: ['list (array)'] });
    expect(mapGroup({ traits: {} }, L)).toEqual({ error: 'group without a groupId' });
  });
});

describe('consent', () => {
  it('categoryPreferences: booleans only, absent when there are none', () => {
    expect(categoryPreferences({ context: { consent: { categoryPreferences: { Analytics: true, X: 'yes' } } } })).toEqual({ Analytics: true });
    expect(categoryPreferences({ context: {} })).toBeUndefined();
    expect(categoryPreferences({})).toBeUndefined();
  });
  it('consentFor: case-insensitive categories; a refusal wins over a grant of the same feature', () => {
    const wanted = consentFor({ ANALYTICS: true, advertising: false, Unknown: true }, DEFAULT_CONSENT_CATEGORIES);
    expect(wanted.get('events')).toBe(true);
    expect(wanted.get('attribution')).toBe(false);
    expect(wanted.has('remote-config')).toBe(false);
    const both = consentFor({ a: true, b: false }, { a: ['events'], b: ['events'] });
    expect(both.get('events')).toBe(false);
  });
});

describe('birthYear around new year', () => {
  it('a local-midnight date and a UTC-midnight date of 1 January are both that year', () => {
    expect(birthYear(new Date(1980, 0, 1))).toBe(1980);
    expect(birthYear(new Date('1980-01-01'))).toBe(1980);
    expect(birthYear('Jan 1, 1980')).toBe(1980);
  });
});
