/**
 * The destination registered in the real `@segment/analytics-next` (exact devDependency), driven
 * through Segment's own API, asserting what the local Countly server receives.
 *
 * No network and no DOM library: `new Analytics({ writeKey }, { disableClientPersistence: true })`
 * is analytics-next's core without `AnalyticsBrowser.load`, so no CDN settings are fetched and no
 * Segment.io delivery plugin exists — only our destination is registered. Its event factory
 * reads the page context (`document.title`, the canonical `<link>`, `location`), the only DOM
 * it touches; a two-field `document` and a `URL` as `location` stand in for it.
 */
import { Analytics } from '@segment/analytics-next';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { countlyDestination } from '../../../src/integrations/segment/index.js';
import type { Countly } from '../../../src/types.js';
import { useLocalServer } from '../../helpers/sdk.js';
import { consents, customEvents, merges, userDetails, viewStarts } from './segment-shared.js';

beforeAll(() => {
  vi.stubGlobal('document', { title: 'Pricing – Acme', referrer: 'https://search.example/', querySelector: () => null });
  vi.stubGlobal('location', new URL('https://acme.example/pricing?plan=pro'));
});
afterAll(() => {
  vi.unstubAllGlobals();
});

const local = useLocalServer();

async function segmentWith(countly: Countly, options?: Parameters<typeof countlyDestination>[1]): Promise<Analytics> {
  const analytics = new Analytics({ writeKey: 'test-write-key' }, { disableClientPersistence: true });
  await analytics.register(countlyDestination(countly, options));
  return analytics;
}

describe('analytics-next → chartly → local Countly server', () => {
  it('track: name → key, count 1, numeric revenue → sum, properties flattened into segmentation', async () => {
    const { countly } = await local.sdk();
    const analytics = await segmentWith(countly);
    await analytics.track('Order Completed', { revenue: 42.5, value: 7, currency: 'EUR', coupon: null, cart: { size: 3, gift: true }, tags: ['a', 'b'], products: [{ id: 'p1' }] });
    await analytics.track('Signed Up', { revenue: '12' });
    await countly.queue.flush();
    const deviceId = countly.deviceId.get();
    expect(customEvents(local.server)).toEqual([
      { key: 'Order Completed', count: 1, sum: 42.5, segmentation: { value: 7, currency: 'EUR', cart_size: 3, cart_gift: true, tags: ['a', 'b'] }, device_id: deviceId },
      // A string is not revenue (spec 002: "The value must be a number"): it stays a segment.
      // chartly always sends `sum` (0 by default).
      { key: 'Signed Up', count: 1, sum: 0, segmentation: { revenue: '12' }, device_id: deviceId },
    ]);
  });

  it('page and screen: a view named after the page/screen, else the path, with its properties', async () => {
    const { countly } = await local.sdk();
    const analytics = await segmentWith(countly);
    await analytics.page('Marketing', 'Pricing', { plan: 'pro' });
    await analytics.screen('Settings', { tab: 'privacy' });
    await analytics.page();
    await countly.queue.flush();
    expect(viewStarts(local.server)).toEqual([
      {
        name: 'Pricing',
        segmentation: { plan: 'pro', category: 'Marketing', path: '/pricing', referrer: 'https://search.example/', search: '?plan=pro', title: 'Pricing – Acme', url: 'https://acme.example/pricing?plan=pro' },
      },
      { name: 'Settings', segmentation: { tab: 'privacy' } },
      { name: '/pricing', segmentation: { path: '/pricing', referrer: 'https://search.example/', search: '?plan=pro', title: 'Pricing – Acme', url: 'https://acme.example/pricing?plan=pro' } },
    ]);
  });

  it('identify: device ID changed with merge to the userId, spec traits → predefined keys, the rest → custom', async () => {
    const { countly } = await local.sdk();
    const anonymous = countly.deviceId.get();
    const analytics = await segmentWith(countly);
    await analytics.identify('user-42', {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      username: 'ada',
      phone: '+44 20 0000',
      avatar: 'https://example.com/ada.png',
      gender: 'female',
      birthday: '1815-12-10T00:00:00.000Z',
      company: { name: 'Analytical Engines', plan: 'enterprise' },
      address: { city: 'London' },
      plan: 'pro',
    });
    await analytics.track('After Identify');
    await countly.queue.flush();
    expect(merges(local.server)).toEqual([{ from: anonymous, to: 'user-42' }]);
    expect(userDetails(local.server)).toEqual([
      {
        device_id: 'user-42',
        details: {
          name: 'Ada Lovelace',
          username: 'ada',
          email: 'ada@example.com',
          phone: '+44 20 0000',
          picture: 'https://example.com/ada.png',
          gender: 'F',
          byear: 1815,
          organization: 'Analytical Engines',
          custom: { address_city: 'London', plan: 'pro', company_plan: 'enterprise', firstName: 'Ada', lastName: 'Lovelace' },
        },
      },
    ]);
    expect(customEvents(local.server)).toEqual([{ key: 'After Identify', count: 1, sum: 0, segmentation: undefined, device_id: 'user-42' }]);

    // The same userId again: no second change.
    await analytics.identify('user-42', { plan: 'max' });
    await countly.queue.flush();
    expect(merges(local.server)).toHaveLength(1);
    // analytics-next sends the user's accumulated traits with each identify.
    expect(userDetails(local.server).at(-1)).toMatchObject({ device_id: 'user-42', details: { email: 'ada@example.com', custom: { plan: 'max' } } });
  });

  it('group: the group ID and its traits as custom user properties group / group_<trait>', async () => {
    const { countly } = await local.sdk();
    const analytics = await segmentWith(countly);
    await analytics.group('acme-inc', { name: 'Acme Inc', employees: 120, address: { country: 'DE' } });
    await countly.queue.flush();
    expect(userDetails(local.server).map((u) => u.details)).toEqual([{ custom: { group: 'acme-inc', group_name: 'Acme Inc', group_employees: 120, group_address_country: 'DE' } }]);
  });

  it('alias: a device-ID change with merge to the new userId', async () => {
    const { countly } = await local.sdk();
    const anonymous = countly.deviceId.get();
    const analytics = await segmentWith(countly);
    // Before any identify: analytics-next keeps `to` as the event's userId (afterwards it
    // stamps the identified user's ID over it).
    await analytics.alias('member-7');
    await analytics.track('Aliased');
    await countly.queue.flush();
    expect(merges(local.server)).toEqual([{ from: anonymous, to: 'member-7' }]);
    expect(customEvents(local.server).map((e) => e.device_id)).toEqual(['member-7']);
  });

  it('consent follows context.consent.categoryPreferences when the instance requires consent', async () => {
    const { countly } = await local.sdk({ requiresConsent: true });
    const analytics = await segmentWith(countly);
    await analytics.track('Before Consent');
    await analytics.track('Consented', {}, { consent: { categoryPreferences: { Analytics: true, Advertising: false } } });
    await analytics.track('Still Consented', {}, { consent: { categoryPreferences: { Analytics: true } } });
    await analytics.track('Withdrawn', {}, { consent: { categoryPreferences: { Analytics: false } } });
    await countly.queue.flush();
    expect(customEvents(local.server).map((e) => e.key)).toEqual(['Consented', 'Still Consented']);
    const changes = consents(local.server);
    // Given once (no repeat for the same preferences), then removed.
    expect(changes.filter((c) => c.events === true)).toHaveLength(1);
    expect(changes.at(-1)).toMatchObject({ events: false, sessions: false, views: false, users: false });
    expect(countly.consent.get('events')).toBe(false);
    expect(countly.consent.get('attribution')).toBe(false);
  });

  it('consentCategories: false leaves chartly consent alone', async () => {
    const { countly } = await local.sdk({ requiresConsent: true, consent: ['events'] });
    const analytics = await segmentWith(countly, { consentCategories: false });
    await analytics.track('Kept', {}, { consent: { categoryPreferences: { Analytics: false } } });
    await countly.queue.flush();
    expect(customEvents(local.server).map((e) => e.key)).toEqual(['Kept']);
  });

  it('integrations: { Countly: false } keeps the event away from Countly', async () => {
    const { countly } = await local.sdk();
    const analytics = await segmentWith(countly);
    await analytics.track('Hidden', {}, { integrations: { Countly: false } });
    await analytics.track('Shown');
    await countly.queue.flush();
    expect(customEvents(local.server).map((e) => e.key)).toEqual(['Shown']);
  });

  it('a failing Countly call is logged in the Segment context and the pipeline goes on', async () => {
    const { countly } = await local.sdk();
    const lines: string[] = [];
    const broken = { ...countly, events: { ...countly.events, record: () => { throw new Error('boom'); } } } as Countly;
    const analytics = await segmentWith(broken, { log: (_level, message) => lines.push(message) });
    const ctx = await analytics.track('Explodes');
    expect(ctx.event.event).toBe('Explodes');
    expect(ctx.logs().map((l) => l.message)).toContain('[Countly] [Segment] track, failed: boom; event ignored');
    expect(lines).toEqual(['[Countly] [Segment] track, failed: boom; event ignored']);
    await analytics.page('Still Works');
    await countly.queue.flush();
    expect(viewStarts(local.server).map((v) => v.name)).toEqual(['Still Works']);
  });
});
