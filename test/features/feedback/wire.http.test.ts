/**
 * Feedback widgets over HTTP (spec 001: User Feedback l. 3443–3751; Star Rating (Legacy)
 * l. 5641–5658): each request and response shape as the local Countly-compatible server sees
 * it, the presented widget through a fake `platform.ui`, consent and temporary-ID mode.
 */
import { describe, expect, it } from 'vitest';
import type { Platform, PlatformUi, UiHandle } from '../../../src/adapters/types.js';
import { SDK_NAME, SDK_VERSION } from '../../../src/config.js';
import type { FeedbackWidget } from '../../../src/types.js';
import { useLocalServer } from '../../helpers/sdk.js';

const WIDGETS = [
  { _id: 'nps1', type: 'nps', name: 'Happy?', tg: ['checkout'], wv: '2' },
  { _id: 'sv1', type: 'survey', name: 'Survey one', tg: [] },
  { _id: 'rt1', type: 'rating', name: 'Stars', tg: ['home', 'main'] },
  { _id: 'nps2', type: 'nps', name: 'Second', tg: ['x'] },
  { type: 'nps', name: 'no id' },
  { _id: 'bad', type: 'poll', name: 'unknown type' },
  'junk',
];
const NPS1: FeedbackWidget = { id: 'nps1', type: 'nps', name: 'Happy?', tags: ['checkout'], widgetVersion: '2' };
const RT1: FeedbackWidget = { id: 'rt1', type: 'rating', name: 'Stars', tags: ['home', 'main'] };
const SV1: FeedbackWidget = { id: 'sv1', type: 'survey', name: 'Survey one', tags: [] };

/** A platform whose UI records what it is asked and lets a test play the user. */
function fakeUi(opts: { handle?: boolean; showThrows?: boolean } = {}) {
  const shown: Array<{ url: string; onMessage(url: string): void; onClosed(): void }> = [];
  const opened: string[] = [];
  let closes = 0;
  const ui: PlatformUi = {
    showWidget(url, handlers) {
      if (opts.showThrows) throw new Error('no web view');
      shown.push({ url, ...handlers });
      if (opts.handle === false) return undefined;
      const handle: UiHandle = {
        close: () => {
          closes += 1;
          handlers.onClosed();
        },
      };
      return handle;
    },
    openUrl: (url) => void opened.push(url),
  };
  const platform: Platform = { name: 'TestOS', metrics: () => ({ _os: 'TestOS' }), ui };
  return { platform, shown, opened, closes: () => closes };
}

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('feedback over HTTP', () => {
  const local = useLocalServer();
  const feedbackEvents = () => local.server.events().filter((e) => ['[CLY]_nps', '[CLY]_survey', '[CLY]_star_rating'].includes(e.key));

  it('getAvailableWidgets: POST /o/sdk method=feedback, not queued; _id/type/name/tg/wv parsed, invalid items dropped', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const s = await local.sdk({ appVersion: '1.2' });
    const widgets = await s.countly.feedback.getAvailableWidgets();
    expect(widgets).toEqual([NPS1, SV1, RT1, { id: 'nps2', type: 'nps', name: 'Second', tags: ['x'] }]);
    const req = local.server.received.filter((r) => r.params.method === 'feedback');
    expect(req).toHaveLength(1);
    expect(req[0]!.path).toBe('/o/sdk');
    expect(req[0]!.params).toMatchObject({ app_key: 'test-app-key', av: '1.2', sdk_name: expect.any(String), device_id: s.countly.getState().deviceId });
    expect(s.countly.getState().queue.requests).toBe(0);
    expect(s.warnings().some((w) => w.includes('3 invalid widget(s)'))).toBe(true);
  });

  it('getAvailableWidgets resolves [] on a failure, with a warning, and never rejects', async () => {
    const s = await local.sdk();
    local.server.injectFaults({ kind: 'status', status: 500 });
    expect(await s.countly.feedback.getAvailableWidgets()).toEqual([]);
    local.server.injectFaults({ kind: 'malformed', body: '{"result":7}' });
    expect(await s.countly.feedback.getAvailableWidgets()).toEqual([]);
    expect(s.warnings().filter((w) => w.includes('getAvailableWidgets, the request failed'))).toHaveLength(2);
  });

  it('getWidgetData: GET /o/surveys/{type}/widget with widget_id, shown=1, sdk_version, sdk_name, app_version, platform', async () => {
    const data = { _id: 'nps1', type: 'nps', msg: { mainQuestion: 'How likely?' }, followUpType: 'score' };
    local.server.configure({ widgetData: { nps1: data } });
    const s = await local.sdk({ appVersion: '3.1', platform: fakeUi().platform, salt: 'pepper' });
    local.server.configure({ salt: 'pepper' });
    expect(await s.countly.feedback.getWidgetData(NPS1)).toEqual(data);
    const [req] = local.server.received.filter((r) => r.path.startsWith('/o/surveys/'));
    expect(req!.method).toBe('GET');
    expect(req!.path).toBe('/o/surveys/nps/widget');
    expect(req!.accepted).toBe(true);
    expect(req!.params).toMatchObject({ widget_id: 'nps1', shown: '1', app_version: '3.1', av: '3.1', platform: 'TestOS', sdk_version: expect.any(String), sdk_name: expect.any(String) });
    expect(req!.params.checksum256).toMatch(/^[0-9a-f]{64}$/);
    // An unknown widget: the server's 404, resolved as {} with a warning.
    expect(await s.countly.feedback.getWidgetData(SV1)).toEqual({});
    expect(s.warnings().some((w) => w.includes('getWidgetData, the request failed: the server answered 404'))).toBe(true);
  });

  it('reportManually: the event per type with the exact segmentation, combined and sent at once', async () => {
    const s = await local.sdk({ appVersion: '2.0', platform: fakeUi().platform, eventQueueThreshold: 100 });
    s.countly.feedback.reportManually(NPS1, {}, { rating: 8, comment: 'Great' });
    s.countly.feedback.reportManually(SV1, null, { q1: 'yes', q2: [1, 2] });
    s.countly.feedback.reportManually(RT1, {}, { rating: 5, email: 'a@b.c' });
    s.countly.feedback.reportManually(RT1, {}, null);
    // None waits for the threshold: each was combined into a request at once.
    expect(s.countly.getState().queue.events).toBe(0);
    await local.server.waitFor(() => feedbackEvents().length === 4);
    expect(feedbackEvents().map((e) => [e.key, e.count, e.segmentation])).toEqual([
      ['[CLY]_nps', 1, { rating: 8, comment: 'Great', platform: 'TestOS', app_version: '2.0', widget_id: 'nps1' }],
      ['[CLY]_survey', 1, { q1: 'yes', q2: [1, 2], platform: 'TestOS', app_version: '2.0', widget_id: 'sv1' }],
      ['[CLY]_star_rating', 1, { rating: 5, email: 'a@b.c', platform: 'TestOS', app_version: '2.0', widget_id: 'rt1' }],
      ['[CLY]_star_rating', 1, { closed: '1', platform: 'TestOS', app_version: '2.0', widget_id: 'rt1' }],
    ]);
  });

  it('reportManually validates: NPS 0–10, rating 1–5, whole numbers; strings cut to maxValueSize', async () => {
    const s = await local.sdk({ limits: { maxValueSize: 5 } });
    s.countly.feedback.reportManually(NPS1, {}, { rating: 11 });
    s.countly.feedback.reportManually(NPS1, {}, { rating: 7.5 });
    s.countly.feedback.reportManually(RT1, {}, { rating: 0 });
    s.countly.feedback.reportManually(RT1, {}, { comment: 'no rating' });
    s.countly.feedback.reportManually({ id: '', type: 'nps', name: '', tags: [] }, {}, { rating: 1 });
    s.countly.feedback.reportManually(NPS1, {}, 'yes' as never);
    s.countly.feedback.reportManually(NPS1, {}, { rating: 0, comment: 'abcdefgh', bad: { x: 1 } as never });
    await s.countly.queue.flush();
    expect(feedbackEvents().map((e) => e.segmentation)).toEqual([{ rating: 0, comment: 'abcde', platform: 'JS', app_version: '0.0', widget_id: 'nps1' }]);
    expect(s.warnings().filter((w) => w.includes('call ignored'))).toHaveLength(6);
  });

  it('present: fetches, filters by type, matches ID then name then tag, and hands the URL to showWidget', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const ui = fakeUi();
    const s = await local.sdk({ platform: ui.platform, appVersion: '9' });
    const finished: Array<string | null> = [];
    s.countly.feedback.presentNps('x', { onFinished: (e) => finished.push(e) });
    await local.server.waitFor((r) => r.some((q) => q.params.method === 'feedback'));
    await waitUntil(() => ui.shown.length === 1);
    const url = new URL(ui.shown[0]!.url);
    expect(url.origin + url.pathname).toBe(`${local.server.url}/feedback/nps`);
    expect([...url.searchParams.keys()]).toEqual(['widget_id', 'device_id', 'app_key', 'sdk_version', 'sdk_name', 'app_version', 'platform', 'custom']);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ widget_id: 'nps2', device_id: s.countly.getState().deviceId, app_key: 'test-app-key', app_version: '9', platform: 'TestOS', custom: '{"tc":1}' });
    await tick();
    expect(finished).toEqual([null]);
    expect(s.countly.getState().feedback.widgetShown).toBe(true);
  });

  it('the widget protocol: a link opens outside, the close button records the cancel event and closes; onClosed', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const ui = fakeUi();
    const s = await local.sdk({ platform: ui.platform, eventQueueThreshold: 100 });
    let closed = 0;
    s.countly.feedback.presentNps('checkout', { onClosed: () => void (closed += 1) });
    await waitUntil(() => ui.shown.length === 1);
    const w = ui.shown[0]!;
    expect(new URL(w.url).searchParams.get('custom')).toBe('{"tc":1,"xb":1,"rw":1}');
    w.onMessage('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fcount.ly%2Fterms%3Fa%3D1');
    w.onMessage('https://example.com/page?cly_x_int=1');
    expect(ui.opened).toEqual(['https://count.ly/terms?a=1', 'https://example.com/page?cly_x_int=1']);
    w.onMessage('https://countly_action_event/?cly_widget_command=1&close=1');
    expect(ui.closes()).toBe(1);
    expect(s.countly.getState().feedback.widgetShown).toBe(false);
    await local.server.waitFor(() => feedbackEvents().length === 1);
    expect(feedbackEvents()[0]!.segmentation).toEqual({ closed: '1', platform: 'TestOS', app_version: '0.0', widget_id: 'nps1' });
    await tick();
    expect(closed).toBe(1);
  });

  it('present(widget) skips the list; closed by the platform: onClosed, no cancel event; a second present waits its turn', async () => {
    const ui = fakeUi({ handle: false });
    const s = await local.sdk({ platform: ui.platform });
    const log: string[] = [];
    s.countly.feedback.present(RT1, { onFinished: (e) => log.push(`finished ${e}`), onClosed: () => log.push('closed') });
    s.countly.feedback.presentSurvey(undefined, { onFinished: (e) => log.push(`second ${e}`) });
    expect(ui.shown).toHaveLength(1);
    expect(new URL(ui.shown[0]!.url).pathname).toBe('/feedback/rating');
    ui.shown[0]!.onClosed();
    ui.shown[0]!.onClosed();
    await tick();
    expect(log).toEqual(['finished null', 'second another feedback widget is being presented', 'closed']);
    expect(local.server.received.filter((r) => r.params.method === 'feedback')).toHaveLength(0);
    await s.countly.queue.flush();
    expect(feedbackEvents()).toHaveLength(0);
  });

  it('no UI hook, a throwing hook, no matching widget: onFinished(error) and a warning', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const errors: Array<string | null> = [];
    const cb = { onFinished: (e: string | null) => void errors.push(e) };
    const bare = await local.sdk();
    bare.countly.feedback.present(NPS1, cb);
    const throwing = await local.sdk({ platform: fakeUi({ showThrows: true }).platform });
    throwing.countly.feedback.present(NPS1, cb);
    const ui = fakeUi();
    const s = await local.sdk({ platform: ui.platform });
    s.countly.feedback.presentRating('nope', cb);
    await waitUntil(() => errors.length === 3);
    expect(errors).toEqual([
      'no UI: the platform has no showWidget hook',
      "the platform's showWidget hook failed: Error: no web view",
      'no rating widget matching "nope" is available',
    ]);
    expect(bare.warnings().some((w) => w.includes('present, no UI'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('presentRating, no rating widget'))).toBe(true);
    expect(ui.shown).toHaveLength(0);
    expect([bare, throwing, s].map((x) => x.countly.getState().feedback.widgetShown)).toEqual([false, false, false]);
  });

  it('temporary-ID mode: nothing is requested, present fails fast, reports are ignored, widgetUrl is empty', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const ui = fakeUi();
    const s = await local.sdk({ platform: ui.platform, temporaryDeviceId: true });
    const errors: Array<string | null> = [];
    expect(await s.countly.feedback.getAvailableWidgets()).toEqual([]);
    expect(await s.countly.feedback.getWidgetData(NPS1)).toEqual({});
    s.countly.feedback.presentNps(undefined, { onFinished: (e) => void errors.push(e) });
    s.countly.feedback.reportManually(NPS1, {}, { rating: 3 });
    expect(s.countly.feedback.widgetUrl(NPS1)).toBe('');
    await tick();
    expect(errors).toEqual(['temporary device ID mode']);
    expect(local.server.received).toHaveLength(0);
    expect(ui.shown).toHaveLength(0);
    expect(s.countly.getState().queue.events).toBe(0);
  });

  it('feedback consent: required for widgets; star-rating consent for the legacy rating widget', async () => {
    local.server.configure({ feedbackWidgets: WIDGETS });
    const s = await local.sdk({ requiresConsent: true, appVersion: '4' });
    expect(await s.countly.feedback.getAvailableWidgets()).toEqual([]);
    expect(s.countly.feedback.widgetUrl(NPS1)).toBe('');
    s.countly.feedback.recordRatingWidget({ widgetId: 'w1', rating: 4 });
    expect(local.server.received).toHaveLength(0);
    s.countly.consent.give(['feedback', 'star-rating']);
    expect(await s.countly.feedback.getAvailableWidgets()).toHaveLength(4);
    s.countly.feedback.recordRatingWidget({ widgetId: 'w1', rating: 9, email: 'e@x.y', comment: 'ok', contactMe: true });
    await s.countly.queue.flush();
    expect(feedbackEvents().map((e) => [e.key, e.segmentation])).toEqual([
      ['[CLY]_star_rating', { platform: 'JS', app_version: '4', widget_id: 'w1', rating: 5, contactMe: true, email: 'e@x.y', comment: 'ok' }],
    ]);
    expect(s.warnings().filter((w) => w.includes('no "feedback" consent') || w.includes('no "star-rating" consent'))).toHaveLength(3);
  });

  it('widgetUrl: the exact parameter set from the current server URL and device ID, no checksum even with a salt', async () => {
    const s = await local.sdk({ salt: 's', appVersion: '5', platform: fakeUi().platform });
    const id = s.countly.getState().deviceId!;
    // The sdk_name / sdk_version the SDK's requests carry.
    await s.countly.feedback.getAvailableWidgets();
    const { sdk_name: sdkName, sdk_version: sdkVersion } = local.server.received[0]!.params;
    expect(sdkVersion).toBe(SDK_VERSION);
    expect(sdkName).toContain(SDK_NAME);
    const url = s.countly.feedback.widgetUrl(RT1);
    expect(url).toBe(
      `${local.server.url}/feedback/rating?widget_id=rt1&device_id=${encodeURIComponent(id)}&app_key=test-app-key` +
        `&sdk_version=${sdkVersion}&sdk_name=${sdkName}&app_version=5&platform=TestOS&custom=%7B%22tc%22%3A1%7D`,
    );
    s.countly.setServerUrl('https://other.example/');
    expect(s.countly.feedback.widgetUrl(NPS1)).toMatch(/^https:\/\/other\.example\/feedback\/nps\?widget_id=nps1&/);
    expect(s.countly.feedback.widgetUrl({ id: 'x' } as never)).toBe('');
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
