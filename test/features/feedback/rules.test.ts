/**
 * The pure feedback rules (spec 001: User Feedback l. 3443–3751; Star Rating (Legacy)
 * l. 5641–5658) and the WebView protocol parser (l. 3607–3665): examples from the spec, and
 * fast-check properties — the URL builder (every parameter, decodes back, never a checksum),
 * the parser (total on anything), rating validation, matching against a model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildWidgetUrl,
  checkResult,
  clampRating,
  decodeWidget,
  decodeWidgetData,
  decodeWidgetList,
  isFeedbackWidget,
  legacyRatingSegmentation,
  matchWidget,
  resultSegmentation,
  type UrlIdentity,
  wellFormed,
  type WidgetType,
} from '../../../src/features/feedback/rules.js';
import { ACTION_EVENT_BASE, isActionEventUrl, parseWidgetMessage } from '../../../src/features/feedback/webview.js';
import type { FeedbackWidget } from '../../../src/types.js';

const ID: UrlIdentity = { serverUrl: 'https://c.example', deviceId: 'dev 1', appKey: 'key', sdkVersion: '1.0.0', sdkName: 'chartly', appVersion: '2', platform: 'Web' };
const typeArb = fc.constantFrom<WidgetType>('nps', 'survey', 'rating');
const widgetArb: fc.Arbitrary<FeedbackWidget> = fc.record(
  { id: fc.string({ minLength: 1, maxLength: 12 }), type: typeArb, name: fc.string({ maxLength: 8 }), tags: fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), widgetVersion: fc.string({ minLength: 1, maxLength: 3 }) },
  { requiredKeys: ['id', 'type', 'name', 'tags'] },
);
// Any UTF-16 code units, lone surrogates included.
const textArb = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 });

describe('the widget list', () => {
  it('maps _id, type, name, tg, wv; wv absent, null or empty → no widgetVersion; bad tags dropped', () => {
    expect(decodeWidget({ _id: 'a', type: 'nps', name: 'N', tg: ['t', 3], wv: 2 })).toEqual({ id: 'a', type: 'nps', name: 'N', tags: ['t'], widgetVersion: '2' });
    expect(decodeWidget({ _id: 'a', type: 'survey', wv: null })).toEqual({ id: 'a', type: 'survey', name: '', tags: [] });
    expect(decodeWidget({ _id: 'a', type: 'rating', wv: '' })).toEqual({ id: 'a', type: 'rating', name: '', tags: [] });
    for (const bad of [null, [], 'x', { type: 'nps' }, { _id: '', type: 'nps' }, { _id: 'a', type: 'poll' }, { _id: 7, type: 'nps' }]) expect(decodeWidget(bad)).toBeNull();
  });

  it('decodeWidgetList: needs 2xx and a "result" list; counts what it dropped', () => {
    expect(decodeWidgetList(200, '{"result":[{"_id":"a","type":"nps"},{"_id":"b"}]}')).toEqual({ ok: true, value: [{ id: 'a', type: 'nps', name: '', tags: [] }], dropped: 1 });
    expect(decodeWidgetList(500, '{"result":[]}')).toEqual({ ok: false, error: 'the server answered 500' });
    expect(decodeWidgetList(200, '{"result":"Success"}').ok).toBe(false);
    expect(decodeWidgetList(200, 'not json').ok).toBe(false);
    expect(decodeWidgetData(200, '[1]').ok).toBe(false);
    expect(decodeWidgetData(200, '{"a":1}')).toEqual({ ok: true, value: { a: 1 }, dropped: 0 });
  });

  it('property: any JSON answer decodes without throwing, to valid widgets only', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify({ result: v }))), (status, body) => {
        const out = decodeWidgetList(status, body);
        if (out.ok) for (const w of out.value) expect(isFeedbackWidget(w)).toBe(true);
      }),
    );
  });
});

describe('matchWidget (spec l. 3566–3572)', () => {
  const list: FeedbackWidget[] = [
    { id: 'a', type: 'nps', name: 'b', tags: ['c'] },
    { id: 'c', type: 'nps', name: 'x', tags: ['b'] },
    { id: 'b', type: 'survey', name: 'a', tags: [] },
    { id: 'd', type: 'nps', name: 'a', tags: ['a'] },
  ];
  it('by type, then ID before name before tag; no match given: the first of the type', () => {
    expect(matchWidget(list, 'nps', 'c')?.id).toBe('c');
    expect(matchWidget(list, 'nps', 'b')?.id).toBe('a');
    expect(matchWidget(list, 'nps', 'x')?.id).toBe('c');
    expect(matchWidget(list, 'nps', null)?.id).toBe('a');
    expect(matchWidget(list, 'nps', '')?.id).toBe('a');
    expect(matchWidget(list, 'survey', 'c')).toBeNull();
    expect(matchWidget(list, 'rating', null)).toBeNull();
  });

  it('property: agrees with a three-pass model', () => {
    fc.assert(
      fc.property(fc.array(widgetArb, { maxLength: 8 }), typeArb, fc.option(fc.constantFrom('a', 'b', '', 'x'), { nil: null }), (widgets, type, match) => {
        const of = widgets.filter((w) => w.type === type);
        const model = !match ? of[0] : (of.find((w) => w.id === match) ?? of.find((w) => w.name === match) ?? of.find((w) => w.tags.includes(match)));
        expect(matchWidget(widgets, type, match)).toBe(model ?? null);
      }),
    );
  });
});

describe('buildWidgetUrl (spec l. 3671–3695)', () => {
  it('the exact example shape', () => {
    expect(buildWidgetUrl({ id: 'w1', type: 'nps', name: '', tags: [] }, { ...ID, serverUrl: 'https://c.example/' })).toBe(
      'https://c.example/feedback/nps?widget_id=w1&device_id=dev%201&app_key=key&sdk_version=1.0.0&sdk_name=chartly&app_version=2&platform=Web&custom=%7B%22tc%22%3A1%7D',
    );
  });

  it('property: every parameter once, in order, decoding back to its value; custom by widgetVersion; never a checksum', () => {
    const idArb = fc.record({ deviceId: textArb, appKey: textArb, sdkVersion: textArb, sdkName: textArb, appVersion: textArb, platform: textArb });
    fc.assert(
      fc.property(widgetArb, idArb, (w, id) => {
        const url = new URL(buildWidgetUrl(w, { ...id, serverUrl: 'https://s.example:8080/base' }));
        expect(url.pathname).toBe(`/base/feedback/${w.type}`);
        expect([...url.searchParams.keys()]).toEqual(['widget_id', 'device_id', 'app_key', 'sdk_version', 'sdk_name', 'app_version', 'platform', 'custom']);
        const got = Object.fromEntries(url.searchParams);
        const f = wellFormed;
        expect(got).toEqual({ widget_id: f(w.id), device_id: f(id.deviceId), app_key: f(id.appKey), sdk_version: f(id.sdkVersion), sdk_name: f(id.sdkName), app_version: f(id.appVersion), platform: f(id.platform), custom: got.custom });
        expect(JSON.parse(got.custom!)).toEqual(w.widgetVersion ? { tc: 1, xb: 1, rw: 1 } : { tc: 1 });
        expect(url.search).not.toMatch(/checksum/);
      }),
    );
  });
});

describe('results and ratings (spec l. 3526–3556, 5641–5658)', () => {
  it('property: an NPS rating is accepted iff a whole number 0–10, a rating widget 1–5; a survey needs none', () => {
    fc.assert(
      fc.property(typeArb, fc.oneof(fc.integer({ min: -3, max: 13 }), fc.double(), fc.constant('5'), fc.constant(undefined)), (type, rating) => {
        const out = checkResult(type, rating === undefined ? {} : { rating }, 256);
        const whole = typeof rating === 'number' && Number.isInteger(rating);
        const expected = type === 'survey' || (whole && (type === 'nps' ? rating >= 0 && rating <= 10 : rating >= 1 && rating <= 5));
        expect(out.ok).toBe(expected);
      }),
    );
  });

  it('property: strings end up within maxValueSize; unsupported values dropped with a warning', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.boolean(), fc.object(), fc.array(fc.string({ maxLength: 40 })))), fc.integer({ min: 1, max: 30 }), (result, max) => {
        const out = checkResult('survey', result, max);
        if (!out.ok || out.result === null) throw new Error('a survey result is always accepted');
        for (const v of Object.values(out.result)) for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string') expect(x.length).toBeLessThanOrEqual(max);
        const dropped = Object.keys(result).length - Object.keys(out.result).length;
        expect(out.warnings.filter((w) => w.endsWith('dropped'))).toHaveLength(dropped);
      }),
    );
  });

  it('the segmentation: the result, then platform, app_version, widget_id (which win); null → closed: "1"', () => {
    const base = { platform: 'P', appVersion: '1' };
    expect(resultSegmentation('w', { rating: 3, widget_id: 'fake' }, base)).toEqual({ rating: 3, platform: 'P', app_version: '1', widget_id: 'w' });
    expect(resultSegmentation('w', null, base)).toEqual({ closed: '1', platform: 'P', app_version: '1', widget_id: 'w' });
    expect(Object.keys(resultSegmentation('w', JSON.parse('{"__proto__":1}') as never, base))).toContain('__proto__');
  });

  it('legacy: the rating clamped to 1–5, contactMe, email and comment cut to maxValueSize', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: false }), (r) => {
        expect([1, 2, 3, 4, 5]).toContain(clampRating(r));
      }),
    );
    expect(legacyRatingSegmentation({ widgetId: 'w', rating: 0, contactMe: false, email: 'abcdef', comment: 'c' }, { platform: 'P', appVersion: '1' }, 3)).toEqual({
      platform: 'P',
      app_version: '1',
      widget_id: 'w',
      rating: 1,
      contactMe: false,
      email: 'abc',
      comment: 'c',
    });
  });
});

describe('parseWidgetMessage (spec l. 3607–3665)', () => {
  it('the spec examples', () => {
    expect(parseWidgetMessage('https://countly_action_event/?cly_widget_command=1&close=1')).toEqual({ kind: 'close', cancel: true });
    expect(parseWidgetMessage('https://countly_action_event?cly_widget_command=1')).toEqual({ kind: 'ignore' });
    expect(parseWidgetMessage('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fa.b%2Fc%3Fd%3D1')).toEqual({ kind: 'link', url: 'https://a.b/c?d=1', close: false });
    expect(parseWidgetMessage('https://countly_action_event/?cly_x_action_event=1&action=link&link=https://a.b&close=1')).toEqual({ kind: 'link', url: 'https://a.b', close: true });
    expect(parseWidgetMessage('https://countly_action_event/?cly_x_action_event=1&action=event&close=1')).toEqual({ kind: 'close', cancel: false });
    expect(parseWidgetMessage('https://countly_action_event/?cly_x_action_event=1&action=link')).toEqual({ kind: 'ignore' });
    expect(parseWidgetMessage('https://example.com/some-page?cly_x_int=1')).toEqual({ kind: 'external', url: 'https://example.com/some-page?cly_x_int=1' });
    expect(parseWidgetMessage('https://example.com/?a=1&cly_x_int=1')).toEqual({ kind: 'external', url: 'https://example.com/?a=1&cly_x_int=1' });
    expect(parseWidgetMessage('https://example.com/?cly_x_int=10')).toEqual({ kind: 'ignore' });
    expect(parseWidgetMessage('https://countly_action_events.com/?cly_widget_command=1&close=1')).toEqual({ kind: 'ignore' });
    expect(parseWidgetMessage('https://countly_action_event/?cly_widget_command=1&close=1%zz')).toEqual({ kind: 'ignore' });
    expect(isActionEventUrl(ACTION_EVENT_BASE)).toBe(true);
    expect(buildWidgetUrl({ id: '\uD800', type: 'nps', name: '', tags: [] }, ID)).toContain('widget_id=%EF%BF%BD&');
  });

  it('property: total on anything; a link always comes back as given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything({ maxDepth: 2 }), fc.string({ unit: 'grapheme-composite', maxLength: 40 }), textArb.map((s) => `${ACTION_EVENT_BASE}/?${s}`)), (input) => {
        const m = parseWidgetMessage(input);
        expect(['close', 'link', 'external', 'ignore']).toContain(m.kind);
      }),
    );
    fc.assert(
      fc.property(fc.webUrl(), fc.boolean(), (link, close) => {
        const url = `${ACTION_EVENT_BASE}/?cly_x_action_event=1&action=link&link=${encodeURIComponent(link)}${close ? '&close=1' : ''}`;
        expect(parseWidgetMessage(url)).toEqual({ kind: 'link', url: link, close });
      }),
      { numRuns: 200 },
    );
  });
});
