/** `countly.location`: validation of every field, logging, the events sent. */
import { describe, expect, it } from 'vitest';
import { createLocationApi } from '../../../src/features/location/api.js';
import { instantAt } from '../../../src/protocol/time.js';
import { fakeContext, T0 } from '../identity-context.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { locationFeature } from '../../../src/features/location/index.js';

const at = instantAt(T0);

describe('location API', () => {
  it('sends the valid values and logs the call', () => {
    const f = fakeContext();
    const api = createLocationApi(forFeature(f.ctx, locationFeature));
    api.set({ countryCode: 'us', city: 'Panama', gps: '1,2', ipAddress: '1.2.3.4' });
    api.disable();
    expect(f.take()).toEqual([
      { type: 'location.set', location: { countryCode: 'us', city: 'Panama', gps: '1,2', ipAddress: '1.2.3.4' }, at },
      { type: 'location.disable', at },
    ]);
    expect(f.logs).toEqual([
      'info: [Countly] [Location] set, location [{"countryCode":"us","city":"Panama","gps":"1,2","ipAddress":"1.2.3.4"}]',
      'info: [Countly] [Location] disable, disabling location and erasing it on the server',
    ]);
  });

  it('null and missing values are skipped silently; invalid ones warned about and dropped', () => {
    const f = fakeContext();
    const api = createLocationApi(forFeature(f.ctx, locationFeature));
    api.set({ countryCode: null, city: '', gps: 5, ipAddress: '1.1.1.1', altitude: '3' } as never);
    expect(f.take()).toEqual([{ type: 'location.set', location: { ipAddress: '1.1.1.1' }, at }]);
    expect(f.logs.filter((l) => l.startsWith('warning'))).toEqual([
      'warning: [Countly] [Location] set, city must be a non-empty string, got []; ignored',
      'warning: [Countly] [Location] set, gps must be a non-empty string, got [5]; ignored',
      'warning: [Countly] [Location] set, unknown field [altitude] ignored',
    ]);
  });

  it('a call with nothing usable, or no object, is ignored and never throws', () => {
    const f = fakeContext();
    const api = createLocationApi(forFeature(f.ctx, locationFeature));
    expect(() => {
      api.set({});
      api.set({ city: '' });
      api.set(null as never);
      api.set('us' as never);
    }).not.toThrow();
    expect(f.take()).toEqual([]);
    expect(f.logs.filter((l) => l.startsWith('warning'))).toEqual([
      'warning: [Countly] [Location] set, at least one non-empty value is required; call ignored',
      'warning: [Countly] [Location] set, city must be a non-empty string, got []; ignored',
      'warning: [Countly] [Location] set, at least one non-empty value is required; call ignored',
      'warning: [Countly] [Location] set, location must be an object, got [null]; call ignored',
      'warning: [Countly] [Location] set, location must be an object, got [us]; call ignored',
    ]);
  });
});
