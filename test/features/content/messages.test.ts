/**
 * The handler of messages from content (spec 001: Content Communication Protocol
 * l. 1539-1598), pure: fast-check properties for the order of actions (close last, l. 1573) and
 * the origin check (l. 1588-1590), plus the shapes of each field.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { handleContentMessage, MAX_EVENTS_PER_MESSAGE, originAllowed } from '../../../src/features/content/messages.js';

const SERVER = 'https://countly.example.com:8443/api';
const SERVER_ORIGIN = 'https://countly.example.com:8443';
const ALLOWED = ['https://cdn.example.org'];

const rect = fc.record({ x: fc.integer({ min: 0, max: 2000 }), y: fc.integer({ min: 0, max: 2000 }), w: fc.integer({ min: 0, max: 2000 }), h: fc.integer({ min: 0, max: 2000 }) });
/** Any combination of the four fields, valid or not, plus noise. */
const message = fc.record(
  {
    close: fc.constantFrom(1, 0, true, false, '1', 'no', null),
    link: fc.oneof(fc.webUrl(), fc.constantFrom('javascript:alert(1)', 'not a url', 'file:///etc/passwd'), fc.integer()),
    event: fc.oneof(
      fc.array(fc.oneof(fc.record({ key: fc.string({ minLength: 1 }), count: fc.integer() }, { requiredKeys: ['key'] }), fc.constant({}), fc.constant(null)), { maxLength: 5 }),
      fc.record({ key: fc.string({ minLength: 1 }) }),
    ),
    resize_me: fc.oneof(fc.record({ p: rect, l: rect }, { requiredKeys: [] }), fc.constant('big')),
    other: fc.anything(),
  },
  { requiredKeys: [] },
);
const asString = (m: unknown) => fc.boolean().map((s) => (s ? JSON.stringify(m) : m));

describe('handleContentMessage: properties', () => {
  it('close is the last action and appears at most once; the other actions keep their order (events, link, resize)', () => {
    fc.assert(
      fc.property(message.chain(asString), (m) => {
        const { accepted, actions } = handleContentMessage(m, SERVER_ORIGIN, SERVER, ALLOWED);
        expect(accepted).toBe(true);
        const kinds = actions.map((a) => a.kind);
        const closes = kinds.filter((k) => k === 'close').length;
        expect(closes).toBeLessThanOrEqual(1);
        if (closes === 1) expect(kinds.at(-1)).toBe('close');
        const rank = { event: 0, link: 1, resize: 2, close: 3 } as const;
        for (let i = 1; i < kinds.length; i++) expect(rank[kinds[i]!]).toBeGreaterThanOrEqual(rank[kinds[i - 1]!]);
      }),
    );
  });

  it('every valid field gives its action, whatever else the message holds', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.array(fc.string({ minLength: 1 }), { maxLength: 5 }), rect, rect, fc.anything(), (link, keys, p, l, junk) => {
        const m = { junk, close: 1, link, event: keys.map((key) => ({ key })), resize_me: { p, l } };
        const { actions } = handleContentMessage(m, SERVER_ORIGIN, SERVER, ALLOWED);
        const nonBlank = keys.filter((k) => k.trim() !== '');
        expect(actions.filter((a) => a.kind === 'event').map((a) => (a.kind === 'event' ? a.event.key : ''))).toEqual(nonBlank);
        expect(actions.filter((a) => a.kind === 'link')).toEqual([{ kind: 'link', url: new URL(link).href }]);
        expect(actions.filter((a) => a.kind === 'resize')).toEqual([
          { kind: 'resize', placement: { portrait: { x: p.x, y: p.y, width: p.w, height: p.h }, landscape: { x: l.x, y: l.y, width: l.w, height: l.h } } },
        ]);
        expect(actions.at(-1)).toEqual({ kind: 'close' });
      }),
    );
  });

  it('a message from an origin that is neither the server nor allowed does nothing', () => {
    const foreign = fc.webUrl().filter((u) => {
      const o = new URL(u).origin;
      return o !== SERVER_ORIGIN && o !== 'https://cdn.example.org';
    });
    fc.assert(
      fc.property(message, foreign, (m, origin) => {
        expect(handleContentMessage(m, new URL(origin).origin, SERVER, ALLOWED)).toEqual({ accepted: false, actions: [], problems: [] });
      }),
    );
  });

  it('the server origin and the allowed origins are accepted, compared as origins', () => {
    fc.assert(
      fc.property(fc.constantFrom(SERVER_ORIGIN, `${SERVER_ORIGIN}/`, 'https://cdn.example.org', 'HTTPS://CDN.example.org:443'), (origin) => {
        expect(originAllowed(origin, SERVER, ALLOWED)).toBe(true);
      }),
    );
    for (const bad of ['https://countly.example.com', 'http://countly.example.com:8443', 'null', '', undefined, 42, 'https://cdn.example.org.evil.com']) {
      expect(originAllowed(bad, SERVER, ALLOWED)).toBe(false);
    }
  });

  it('never throws', () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), (m, origin) => void handleContentMessage(m, origin, SERVER, ALLOWED)));
  });
});

describe('handleContentMessage: fields', () => {
  const handle = (m: unknown) => handleContentMessage(m, SERVER_ORIGIN, SERVER, []);

  it('event: key, numbers and segmentation (or sg); bad entries are named', () => {
    const { actions, problems } = handle({ event: [{ key: 'a', count: 2, sum: 1.5, dur: 3, segmentation: { s: 'x' } }, { key: 'b', sg: { t: 1 }, count: 'many' }, { nokey: 1 }] });
    expect(actions).toEqual([
      { kind: 'event', event: { key: 'a', count: 2, sum: 1.5, dur: 3, segmentation: { s: 'x' } } },
      { kind: 'event', event: { key: 'b', segmentation: { t: 1 } } },
    ]);
    expect(problems).toEqual(['event[1] count is not a number; left out', 'event[2] has no key; not recorded']);
  });

  it('at most 100 events per message', () => {
    const { actions, problems } = handle({ event: Array.from({ length: 150 }, (_, i) => ({ key: `e${i}` })) });
    expect(actions).toHaveLength(MAX_EVENTS_PER_MESSAGE);
    expect(problems[0]).toContain('150 events');
  });

  it('link: only http(s); resize_me: one orientation serves both', () => {
    expect(handle({ link: 'javascript:alert(1)' }).actions).toEqual([]);
    expect(handle({ resize_me: { l: { x: 1, y: 2, w: 3, h: 4 } } }).actions).toEqual([
      { kind: 'resize', placement: { portrait: { x: 1, y: 2, width: 3, height: 4 }, landscape: { x: 1, y: 2, width: 3, height: 4 } } },
    ]);
    expect(handle({ resize_me: { p: { x: 0, y: 0, w: -1, h: 4 } } }).problems).toHaveLength(1);
  });

  it('a message that is not an object (or JSON of one) is named and ignored', () => {
    expect(handle('close')).toEqual({ accepted: true, actions: [], problems: ['the message is not an object; ignored'] });
    expect(handle('{"close":1}').actions).toEqual([{ kind: 'close' }]);
  });
});
