/**
 * The feedback machine (spec 001: User Feedback l. 3443–3751; Star Rating (Legacy)
 * l. 5641–5658) as pure transitions: each event's commands, from `initialTransition()` /
 * `transition()`. Paths and properties: machine.model.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { feedbackMachine, type FeedbackEmitted, type FeedbackEvent, type FeedbackInput } from '../../../src/features/feedback/machine.js';
import { emittedCommands } from '../../helpers/machines.js';
import { at, ev, input, NPS } from './helpers.js';

type Snap = SnapshotFrom<typeof feedbackMachine>;
const start = (over: Partial<FeedbackInput> = {}): Snap => initialTransition(feedbackMachine, input(over))[0];
function step(snap: Snap, event: FeedbackEvent): [Snap, FeedbackEmitted[]] {
  const [next, actions] = transition(feedbackMachine, snap, event);
  return [next, emittedCommands<FeedbackEmitted>(actions)];
}
function run(snap: Snap, ...events: FeedbackEvent[]): Snap {
  return events.reduce((s, e) => step(s, e)[0], snap);
}
const types = (cs: FeedbackEmitted[]) => cs.map((c) => (c.type === 'broadcast' ? `broadcast ${c.event.type}` : c.type));

describe('feedbackMachine: requests', () => {
  it('starts idle, with nothing pending and no command', () => {
    const [snap, actions] = initialTransition(feedbackMachine, input());
    expect(snap.value).toBe('idle');
    expect(emittedCommands(actions)).toEqual([]);
  });

  it('feedback.list: a direct request to /o/sdk method=feedback; its answer settles the token with the widgets', () => {
    const [s1, c1] = step(start(), ev.list('tok'));
    expect(c1).toEqual([{ type: 'direct.request', tag: 'fb:0', endpoint: '/o/sdk', params: { method: 'feedback' } }]);
    const [same, none] = step(s1, ev.answered('rc:0'));
    expect(none).toEqual([]);
    expect(same.context).toBe(s1.context);
    const [s2, c2] = step(s1, ev.answered('fb:0'));
    expect(c2).toEqual([{ type: 'callback.invoke', token: 'tok', args: [[{ id: 's1', type: 'survey', name: 'S', tags: [] }, { ...NPS }]] }]);
    expect(s2.context.requests).toEqual({});
  });

  it('feedback.data: GET /o/surveys/{type}/widget with widget_id, shown=1, app_version, platform', () => {
    const [s1, c1] = step(start(), ev.data('tok'));
    expect(c1).toEqual([{ type: 'direct.request', tag: 'fb:0', endpoint: '/o/surveys/nps/widget', params: { widget_id: 'n1', shown: '1', app_version: '1.0', platform: 'Web' }, get: true }]);
    expect(step(s1, ev.answered('fb:0', '{"a":1}'))[1]).toEqual([{ type: 'callback.invoke', token: 'tok', args: [{ a: 1 }] }]);
    const [, failed] = step(s1, ev.failed('fb:0', 'withheld'));
    expect(types(failed)).toEqual(['log', 'callback.invoke']);
    expect(failed[1]).toMatchObject({ args: [{}] });
  });

  it('without consent or in temporary mode: nothing requested, the token settles empty, a warning', () => {
    for (const snap of [start({ consent: false }), start({ temporary: true }), run(start(), ev.identity(true)), run(start(), ev.consent(false))]) {
      const [, c] = step(snap, ev.list('tok'));
      expect(c).toEqual([
        { type: 'log', level: 'warning', module: 'Feedback', message: expect.stringMatching(/^getAvailableWidgets, (no "feedback" consent|temporary device ID mode); nothing requested$/) },
        { type: 'callback.invoke', token: 'tok', args: [[]] },
      ]);
    }
    expect(step(run(start({ temporary: true }), ev.identity(false)), ev.list())[1][0]!.type).toBe('direct.request');
  });
});

describe('feedbackMachine: present', () => {
  it('fetch → pick → show: overlay.shown and feedback.show; shown → onFinished(null)', () => {
    const [s1, c1] = step(start(), ev.present(null, 't'));
    expect(s1.value).toBe('fetching');
    expect(c1).toEqual([{ type: 'direct.request', tag: 'fb:0', endpoint: '/o/sdk', params: { method: 'feedback' } }]);
    const [s2, c2] = step(s1, ev.answered('fb:0'));
    expect(s2.value).toEqual({ showing: 'opening' });
    expect(c2).toEqual([
      { type: 'broadcast', event: { type: 'overlay.shown', by: 'feedback' } },
      { type: 'feedback.show', widget: NPS, platform: 'Web' },
    ]);
    const [s3, c3] = step(s2, { type: 'feedback.shown' });
    expect(s3.value).toEqual({ showing: 'open' });
    expect(c3).toEqual([{ type: 'callback.invoke', token: 'F', args: [null] }]);
  });

  it('the close button: the cancel event, a flush, close; then closed → overlay.closed and onClosed', () => {
    const shown = run(start(), ev.present(NPS), { type: 'feedback.shown' });
    const [s1, c1] = step(shown, ev.close(9));
    expect(s1.value).toEqual({ showing: 'closing' });
    expect(c1).toEqual([
      { type: 'event.record', key: '[CLY]_nps', count: 1, segmentation: { closed: '1', platform: 'Web', app_version: '1.0', widget_id: 'n1' }, at: at(9), id: 'e9' },
      { type: 'broadcast', event: { type: 'flush.requested', at: at(9) } },
      { type: 'feedback.close' },
    ]);
    expect(step(s1, ev.close())[1]).toEqual([]);
    const [s2, c2] = step(s1, { type: 'feedback.closed' });
    expect(s2.value).toBe('idle');
    expect(s2.context.presenting).toBeNull();
    expect(types(c2)).toEqual(['broadcast overlay.closed', 'log', 'callback.invoke']);
    expect(c2[2]).toEqual({ type: 'callback.invoke', token: 'C', args: [] });
  });

  it('links open outside the app; link with close=1 closes without a cancel event', () => {
    const shown = run(start(), ev.present(NPS), { type: 'feedback.shown' });
    const [s1, c1] = step(shown, ev.message('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fa.b'));
    expect(s1.value).toEqual({ showing: 'open' });
    expect(c1).toEqual([{ type: 'feedback.openUrl', url: 'https://a.b' }]);
    expect(step(shown, ev.message('https://x.y/?cly_x_int=1'))[1]).toEqual([{ type: 'feedback.openUrl', url: 'https://x.y/?cly_x_int=1' }]);
    const [s2, c2] = step(shown, ev.message('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fa.b&close=1'));
    expect(s2.value).toEqual({ showing: 'closing' });
    expect(c2).toEqual([{ type: 'feedback.openUrl', url: 'https://a.b' }, { type: 'feedback.close' }]);
    expect(step(shown, ev.message('https://c.example/feedback/nps?x=1'))[1]).toEqual([]);
  });

  it('ends with onFinished(error): nothing matches, the list fails, the UI fails; busy and blocked refuse', () => {
    const fetching = run(start(), ev.present(null, 'nope'));
    const [s1, c1] = step(fetching, ev.answered('fb:0'));
    expect(s1.value).toBe('idle');
    expect(c1).toEqual([
      { type: 'log', level: 'warning', module: 'Feedback', message: 'presentNps, no nps widget matching "nope" is available' },
      { type: 'callback.invoke', token: 'F', args: ['no nps widget matching "nope" is available'] },
      // Never shown, so never closed: the onClosed token is released, not kept until shutdown.
      { type: 'callback.release', tokens: ['C'] },
    ]);
    expect(step(fetching, ev.failed('fb:0'))[1][1]).toMatchObject({ args: ['the widget list could not be fetched: refused'] });
    expect(step(fetching, ev.answered('fb:0', 'x', 500))[1][1]).toMatchObject({ args: ['the widget list could not be fetched: the server answered 500'] });
    const [s2, c2] = step(run(start(), ev.present(NPS)), { type: 'feedback.showFailed', reason: 'no UI' });
    expect(s2.value).toBe('idle');
    expect(types(c2)).toEqual(['broadcast overlay.closed', 'log', 'callback.invoke', 'callback.release']);
    const [s3, c3] = step(fetching, ev.present(NPS, null, 'F2'));
    expect(s3.context).toBe(fetching.context);
    expect(c3[1]).toEqual({ type: 'callback.invoke', token: 'F2', args: ['another feedback widget is being presented'] });
    expect(c3[2]).toEqual({ type: 'callback.release', tokens: ['C'] });
    expect(step(start({ temporary: true }), ev.present(NPS))[1][1]).toMatchObject({ args: ['temporary device ID mode'] });
    expect(step(start({ consent: false }), ev.present(NPS, null, null))[1]).toEqual([expect.objectContaining({ type: 'log' }), { type: 'callback.release', tokens: ['C'] }]);
  });

  it('a list request answered while fetching settles its own token, the present waits', () => {
    const s = run(start(), ev.list('L'), ev.present());
    const [s1, c1] = step(s, ev.answered('fb:0'));
    expect(s1.value).toBe('fetching');
    expect(c1).toEqual([expect.objectContaining({ type: 'callback.invoke', token: 'L' })]);
  });
});

describe('feedbackMachine: reports and the legacy rating widget', () => {
  it('feedback.report: the event with the base segmentation, then flush.requested', () => {
    expect(step(start(), ev.report({ rating: 9 }))[1]).toEqual([
      { type: 'event.record', key: '[CLY]_nps', count: 1, segmentation: { rating: 9, platform: 'Web', app_version: '1.0', widget_id: 'n1' }, at: at(7), id: 'r7' },
      { type: 'broadcast', event: { type: 'flush.requested', at: at(7) } },
    ]);
    expect(step(start({ temporary: true }), ev.report(null))[1]).toEqual([{ type: 'log', level: 'warning', module: 'Feedback', message: 'reportManually, temporary device ID mode; call ignored' }]);
  });

  it('feedback.rate: [CLY]_star_rating with star-rating consent, no flush; without it a warning', () => {
    const rate: FeedbackEvent = { type: 'feedback.rate', rating: { widgetId: 'w', rating: 7, contactMe: true }, at: at(3), id: 'x' };
    expect(step(start({ consent: false }), rate)[1]).toEqual([
      { type: 'event.record', key: '[CLY]_star_rating', count: 1, segmentation: { platform: 'Web', app_version: '1.0', widget_id: 'w', rating: 5, contactMe: true }, at: at(3), id: 'x' },
    ]);
    expect(types(step(run(start(), ev.consent(false, ['star-rating'])), rate)[1])).toEqual(['log']);
  });
});
