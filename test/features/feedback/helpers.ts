/** Shared inputs and events of the feedback machine tests. */
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import type { FeedbackEvent, FeedbackInput } from '../../../src/features/feedback/machine.js';
import type { FeedbackWidget } from '../../../src/types.js';

export const at = (ms: number) => ({ timestamp: ms, hour: 0, dow: 4, tz: 0 });
export const input = (over: Partial<FeedbackInput> = {}): FeedbackInput => ({
  consent: true,
  starRating: true,
  temporary: false,
  platform: 'Web',
  appVersion: '1.0',
  maxValueSize: 256,
  ...over,
});
export const NPS: FeedbackWidget = { id: 'n1', type: 'nps', name: 'N', tags: ['t'], widgetVersion: '1' };
export const LIST = JSON.stringify({ result: [{ _id: 's1', type: 'survey', name: 'S', tg: [] }, { _id: 'n1', type: 'nps', name: 'N', tg: ['t'], wv: '1' }] });
export const ev = {
  list: (token = 'L'): FeedbackEvent => ({ type: 'feedback.list', token }),
  data: (token = 'D'): FeedbackEvent => ({ type: 'feedback.data', widget: NPS, token }),
  present: (widget: FeedbackWidget | null = null, match: string | null = null, finished: string | null = 'F', closed: string | null = 'C'): FeedbackEvent => ({
    type: 'feedback.present',
    fn: widget ? 'present' : 'presentNps',
    widgetType: widget?.type ?? 'nps',
    widget,
    match,
    finished,
    closed,
  }),
  answered: (tag: string, body = LIST, status = 200): FeedbackEvent => ({ type: 'direct.answered', tag, status, body }),
  failed: (tag: string, kind: 'withheld' | 'network' = 'network'): FeedbackEvent => ({ type: 'direct.failed', tag, kind, reason: 'refused' }),
  message: (url: string, ms = 5): FeedbackEvent => ({ type: 'feedback.message', url, at: at(ms), id: `e${ms}` }),
  close: (ms = 5): FeedbackEvent => ev.message('https://countly_action_event/?cly_widget_command=1&close=1', ms),
  report: (result: Record<string, string | number> | null, ms = 7): FeedbackEvent => ({ type: 'feedback.report', widget: NPS, result, at: at(ms), id: `r${ms}` }),
  consent: (given: boolean, features: Array<'feedback' | 'star-rating'> = ['feedback']): FeedbackEvent => ({
    type: 'consent.changed',
    before: allConsent(!given),
    after: withConsent(allConsent(true), features, given),
  }),
  identity: (temporary: boolean): FeedbackEvent => ({
    type: 'identity.changed',
    deviceId: temporary ? 'CLYTemporaryDeviceID' : 'dev',
    deviceIdType: temporary ? 'TEMPORARY_ID' : 'DEVELOPER_SUPPLIED',
    merged: false,
    previousId: 'old',
  }),
};
