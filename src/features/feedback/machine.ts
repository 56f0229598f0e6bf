/**
 * Feedback widgets (spec 001: User Feedback l. 3443–3751) and the legacy rating widget (Star
 * Rating (Legacy) l. 5600–5714). docs/feedback.md has the chart and the wire shapes.
 *
 * - `feedback.list` / `feedback.data`: one immediate request each (`direct.request`, tag
 *   `fb:<n>`; `/o/sdk?method=feedback`, GET `/o/surveys/{type}/widget?...&shown=1`); the answer
 *   settles the caller's promise token. Never in temporary-ID mode or without `feedback`
 *   consent (l. 3474–3478, 3597): the promise settles at once, empty.
 * - `feedback.present`: fetch the list, pick the widget (type, then ID / name / tag, l. 3566),
 *   and show it through the platform's UI hook (`feedback.show`); one widget at a time.
 * - While a widget is on screen the machine says `overlay.shown` (the content zone waits) and
 *   hands every URL the widget loads to the WebView parser (`webview.ts`): the widget's close
 *   button records the cancel event (`closed: "1"`, l. 3625–3631), links open outside the app.
 * - `feedback.report` (manual results) records `[CLY]_nps` / `[CLY]_survey` /
 *   `[CLY]_star_rating` and asks for a flush at once (l. 3553–3556); `feedback.rate` records
 *   the legacy `[CLY]_star_rating` (`star-rating` consent, l. 5641–5658).
 *
 * States: `idle`; `fetching` (the list for a present); `showing.opening` (the platform has the
 * URL), `showing.open` (it took it), `showing.closing` (the SDK asked it to close).
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { Instant, Segmentation } from '../../domain/types.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import type { FeedbackWidget } from '../../types.js';
import type { Deliverable } from '../define.js';
import type { FeedbackResult } from './commands.js';
import { copyWidget, decodeWidgetData, decodeWidgetList, EVENT_KEYS, legacyRatingSegmentation, matchWidget, resultSegmentation, STAR_RATING_KEY, type LegacyRating, type WidgetType } from './rules.js';
import { parseWidgetMessage } from './webview.js';

export interface FeedbackInput {
  /** `feedback` consent at boot. */
  consent: boolean;
  /** `star-rating` consent at boot. */
  starRating: boolean;
  /** Temporary-ID mode at boot. */
  temporary: boolean;
  /** The `platform` of widget URLs and events (the platform's name). */
  platform: string;
  appVersion: string;
  maxValueSize: number;
}

type Pending = { kind: 'list'; token: string } | { kind: 'data'; token: string; widgetId: string };

export interface Presenting {
  /** The public method that asked (for logs). */
  fn: string;
  widgetType: WidgetType;
  match: string | null;
  /** The widget to show: given, or picked from the list. */
  widget: FeedbackWidget | null;
  /** The list request of this present, while `fetching`. */
  tag: string | null;
  /** Callback tokens (`FeedbackCallback.onFinished` / `onClosed`), null when not given. */
  finished: string | null;
  closed: string | null;
}

export interface FeedbackContext extends FeedbackInput {
  seq: number;
  requests: Record<string, Pending>;
  presenting: Presenting | null;
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }> & { at?: Instant };

export type FeedbackEvent =
  | { type: 'feedback.list'; token: string }
  | { type: 'feedback.data'; widget: FeedbackWidget; token: string }
  | { type: 'feedback.present'; fn: string; widgetType: WidgetType; widget: FeedbackWidget | null; match: string | null; finished: string | null; closed: string | null }
  /** A checked manual result (`null`: closed). */
  | { type: 'feedback.report'; widget: FeedbackWidget; result: Segmentation | null; at: Instant; id: string }
  | { type: 'feedback.rate'; rating: LegacyRating; at: Instant; id: string }
  | Extract<EffectResult, { type: 'direct.answered' | 'direct.failed' }>
  | FeedbackResult
  | Stamped<'consent.changed'>
  | Stamped<'identity.changed'>;

export type FeedbackEmitted = Extract<Command, { type: 'direct.request' | 'callback.invoke' | 'callback.release' | 'event.record' | 'broadcast' | 'log' | `feedback.${string}` }>;

export const feedbackListensTo: readonly Deliverable[] = /* @__PURE__ */ Object.freeze([
  'consent.changed',
  'identity.changed',
  'direct.answered',
  'direct.failed',
  'feedback.shown',
  'feedback.showFailed',
  'feedback.message',
  'feedback.closed',
] as const);

const MODULE = 'Feedback';
export const TAG_PREFIX = 'fb:';
const log = (level: 'warning' | 'debug', message: string): FeedbackEmitted => ({ type: 'log', level, module: MODULE, message });
const invoke = (token: string | null, ...args: unknown[]): FeedbackEmitted[] => (token === null ? [] : [{ type: 'callback.invoke', token, args }]);
const fnOf = (p: { fn: string } | null): string => p?.fn ?? 'present';
const blockedReason = (c: FeedbackContext): string | null => (!c.consent ? 'no "feedback" consent' : c.temporary ? 'temporary device ID mode' : null);
const tagOf = (e: FeedbackEvent): string | null => (e.type === 'direct.answered' || e.type === 'direct.failed' ? e.tag : null);

export function feedbackContextFrom(input: FeedbackInput): FeedbackContext {
  return { ...input, seq: 0, requests: {}, presenting: null };
}

export const feedbackMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as FeedbackInput,
      context: {} as FeedbackContext,
      events: {} as FeedbackEvent,
      emitted: {} as FeedbackEmitted,
    },
    guards: {
      blocked: ({ context }) => blockedReason(context) !== null,
      hasWidget: ({ event }) => event.type === 'feedback.present' && event.widget !== null,
      /** An answer to one of this machine's list / data requests. */
      isRequest: ({ context, event }) => {
        const tag = tagOf(event);
        return tag !== null && Object.hasOwn(context.requests, tag);
      },
      /** An answer to the list request of the present in progress. */
      isPresentList: ({ context, event }) => tagOf(event) !== null && tagOf(event) === context.presenting?.tag,
      foundInPresentList: ({ context, event }) => {
        if (event.type !== 'direct.answered' || context.presenting === null || event.tag !== context.presenting.tag) return false;
        if (blockedReason(context) !== null) return false;
        const list = decodeWidgetList(event.status, event.body);
        return list.ok && matchWidget(list.value, context.presenting.widgetType, context.presenting.match) !== null;
      },
      /** The URL asks the overlay to close. */
      asksClose: ({ event }) => {
        if (event.type !== 'feedback.message') return false;
        const m = parseWidgetMessage(event.url);
        return m.kind === 'close' || (m.kind === 'link' && m.close);
      },
      ratingConsent: ({ context }) => context.starRating,
    },
    actions: {
      requestList: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.list');
        const tag = `${TAG_PREFIX}${context.seq}`;
        enqueue.emit({ type: 'direct.request', tag, endpoint: '/o/sdk', params: { method: 'feedback' } });
        enqueue.assign({ seq: context.seq + 1, requests: { ...context.requests, [tag]: { kind: 'list', token: event.token } } });
      }),
      requestData: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.data');
        const tag = `${TAG_PREFIX}${context.seq}`;
        const w = event.widget;
        // spec l. 3505–3508, 3727–3730: sdk_version / sdk_name come with the base params.
        const params = { widget_id: w.id, shown: '1', app_version: context.appVersion, platform: context.platform };
        enqueue.emit({ type: 'direct.request', tag, endpoint: `/o/surveys/${w.type}/widget`, params, get: true });
        enqueue.assign({ seq: context.seq + 1, requests: { ...context.requests, [tag]: { kind: 'data', token: event.token, widgetId: w.id } } });
      }),
      refuseRequest: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['feedback.list', 'feedback.data']);
        const list = event.type === 'feedback.list';
        enqueue.emit(log('warning', `${list ? 'getAvailableWidgets' : 'getWidgetData'}, ${blockedReason(context) ?? 'not allowed'}; nothing requested`));
        enqueue.emit({ type: 'callback.invoke', token: event.token, args: [list ? [] : {}] });
      }),
      settleRequest: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['direct.answered', 'direct.failed']);
        const pending = context.requests[event.tag];
        if (pending === undefined) return;
        const { [event.tag]: _, ...rest } = context.requests;
        enqueue.assign({ requests: rest });
        const fn = pending.kind === 'list' ? 'getAvailableWidgets' : 'getWidgetData';
        const decoded =
          event.type === 'direct.failed'
            ? ({ ok: false, error: event.kind === 'withheld' ? event.reason : `no answer: ${event.reason}` } as const)
            : pending.kind === 'list'
              ? decodeWidgetList(event.status, event.body)
              : decodeWidgetData(event.status, event.body);
        if (!decoded.ok) {
          enqueue.emit(log('warning', `${fn}, the request failed: ${decoded.error}`));
          enqueue.emit({ type: 'callback.invoke', token: pending.token, args: [pending.kind === 'list' ? [] : {}] });
          return;
        }
        if (decoded.dropped > 0) enqueue.emit(log('warning', `${fn}, ${decoded.dropped} invalid widget(s) in the answer dropped`));
        enqueue.emit({ type: 'callback.invoke', token: pending.token, args: [decoded.value] });
      }),

      startPresent: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.present');
        const base = { fn: event.fn, widgetType: event.widgetType, match: event.match, finished: event.finished, closed: event.closed };
        if (event.widget !== null) {
          enqueue.assign({ presenting: { ...base, widget: copyWidget(event.widget), tag: null } });
          return;
        }
        const tag = `${TAG_PREFIX}${context.seq}`;
        enqueue.emit({ type: 'direct.request', tag, endpoint: '/o/sdk', params: { method: 'feedback' } });
        enqueue.assign({ seq: context.seq + 1, presenting: { ...base, widget: null, tag } });
      }),
      /** A present that cannot start: its `onFinished` hears why; another present in progress is not touched. */
      refusePresent: enqueueActions(({ context, event, enqueue }, params: { reason: 'blocked' | 'busy' }) => {
        assertEvent(event, 'feedback.present');
        const reason = params.reason === 'busy' ? 'another feedback widget is being presented' : (blockedReason(context) ?? 'not allowed');
        enqueue.emit(log('warning', `${event.fn}, ${reason}; not shown`));
        for (const c of invoke(event.finished, reason)) enqueue.emit(c);
        // Never shown, so never closed: its onClosed is forgotten.
        if (event.closed !== null) enqueue.emit({ type: 'callback.release', tokens: [event.closed] });
      }),
      pick: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'direct.answered');
        const p = context.presenting;
        if (p === null) return;
        const list = decodeWidgetList(event.status, event.body);
        const widget = list.ok ? matchWidget(list.value, p.widgetType, p.match) : null;
        if (widget !== null) enqueue.assign({ presenting: { ...p, widget, tag: null } });
      }),
      /** The present ends without a widget on screen: `onFinished(error)`. */
      failPresent: enqueueActions(({ context, event, enqueue }) => {
        const p = context.presenting;
        if (p === null) return;
        let reason: string;
        const blocked = blockedReason(context);
        // Consent withdrawn or temporary mode entered while the list was on its way.
        if (blocked !== null && (event.type === 'direct.answered' || event.type === 'direct.failed')) reason = blocked;
        else if (event.type === 'direct.failed') reason = `the widget list could not be fetched: ${event.reason}`;
        else if (event.type === 'direct.answered') {
          const list = decodeWidgetList(event.status, event.body);
          reason = list.ok
            ? `no ${p.widgetType} widget${p.match !== null && p.match !== '' ? ` matching ${JSON.stringify(p.match)}` : ''} is available`
            : `the widget list could not be fetched: ${list.error}`;
        } else if (event.type === 'feedback.showFailed') reason = event.reason;
        else reason = 'not shown';
        enqueue.emit(log('warning', `${fnOf(p)}, ${reason}`));
        for (const c of invoke(p.finished, reason)) enqueue.emit(c);
        if (p.closed !== null) enqueue.emit({ type: 'callback.release', tokens: [p.closed] });
      }),
      forget: enqueueActions(({ context, enqueue }) => {
        if (context.presenting !== null) enqueue.assign({ presenting: null });
      }),

      show: enqueueActions(({ context, enqueue }) => {
        const widget = context.presenting?.widget;
        if (!widget) return;
        // spec: Content Zone — no content is fetched while a feedback widget is on screen.
        enqueue.emit({ type: 'broadcast', event: { type: 'overlay.shown', by: 'feedback' } });
        enqueue.emit({ type: 'feedback.show', widget, platform: context.platform });
      }),
      hide: enqueueActions(({ enqueue }) => {
        enqueue.emit({ type: 'broadcast', event: { type: 'overlay.closed', by: 'feedback' } });
      }),
      announceShown: enqueueActions(({ context, enqueue }) => {
        // spec l. 3588–3590: onFinished(null) — shown without an error.
        for (const c of invoke(context.presenting?.finished ?? null, null)) enqueue.emit(c);
      }),
      announceClosed: enqueueActions(({ context, enqueue }) => {
        enqueue.emit(log('debug', `${fnOf(context.presenting)}, the widget was closed`));
        for (const c of invoke(context.presenting?.closed ?? null)) enqueue.emit(c);
      }),
      askClose: enqueueActions(({ enqueue }) => {
        enqueue.emit({ type: 'feedback.close' });
      }),
      /** One URL the widget loaded (spec l. 3607–3665). */
      onMessage: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.message');
        const m = parseWidgetMessage(event.url);
        const widget = context.presenting?.widget;
        if (m.kind === 'link' || m.kind === 'external') enqueue.emit({ type: 'feedback.openUrl', url: m.url });
        else if (m.kind === 'close' && m.cancel && widget) {
          // spec l. 3625–3631: the widget's close button is a cancel: `closed: "1"`.
          if (blockedReason(context) === null) {
            const segmentation = resultSegmentation(widget.id, null, context);
            enqueue.emit({ type: 'event.record', key: EVENT_KEYS[widget.type], count: 1, segmentation, at: event.at, id: event.id });
            enqueue.emit({ type: 'broadcast', event: { type: 'flush.requested', at: event.at } });
          } else enqueue.emit(log('debug', `present, the widget was cancelled; ${blockedReason(context)}, no event recorded`));
        }
      }),

      report: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.report');
        const blocked = blockedReason(context);
        if (blocked !== null) {
          enqueue.emit(log('warning', `reportManually, ${blocked}; call ignored`));
          return;
        }
        const segmentation = resultSegmentation(event.widget.id, event.result, context);
        enqueue.emit({ type: 'event.record', key: EVENT_KEYS[event.widget.type], count: 1, segmentation, at: event.at, id: event.id });
        // spec l. 3553–3556: "force-flush the queue immediately" — for a rating widget too, whose
        // `[CLY]_star_rating` is not an immediate-flush event of its own (l. 941).
        enqueue.emit({ type: 'broadcast', event: { type: 'flush.requested', at: event.at } });
      }),
      rate: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'feedback.rate');
        const segmentation = legacyRatingSegmentation(event.rating, context, context.maxValueSize);
        enqueue.emit({ type: 'event.record', key: STAR_RATING_KEY, count: 1, segmentation, at: event.at, id: event.id });
      }),
      refuseRate: enqueueActions(({ enqueue }) => {
        enqueue.emit(log('warning', 'recordRatingWidget, no "star-rating" consent; call ignored'));
      }),

      consentChanged: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        enqueue.assign({ consent: event.after.feedback, starRating: event.after['star-rating'] });
      }),
      identityChanged: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'identity.changed');
        enqueue.assign({ temporary: event.deviceIdType === 'TEMPORARY_ID' });
      }),
    },
  }).createMachine({
    id: 'feedback',
    context: ({ input }) => feedbackContextFrom(input),
    initial: 'idle',
    on: {
      'feedback.list': [{ guard: 'blocked', actions: 'refuseRequest' }, { actions: 'requestList' }],
      'feedback.data': [{ guard: 'blocked', actions: 'refuseRequest' }, { actions: 'requestData' }],
      'direct.answered': { guard: 'isRequest', actions: 'settleRequest' },
      'direct.failed': { guard: 'isRequest', actions: 'settleRequest' },
      'feedback.present': { actions: { type: 'refusePresent', params: { reason: 'busy' } } },
      'feedback.report': { actions: 'report' },
      'feedback.rate': [{ guard: 'ratingConsent', actions: 'rate' }, { actions: 'refuseRate' }],
      'consent.changed': { actions: 'consentChanged' },
      'identity.changed': { actions: 'identityChanged' },
    },
    states: {
      idle: {
        entry: 'forget',
        on: {
          'feedback.present': [
            { guard: 'blocked', actions: { type: 'refusePresent', params: { reason: 'blocked' } } },
            { guard: 'hasWidget', target: 'showing', actions: 'startPresent' },
            { target: 'fetching', actions: 'startPresent' },
          ],
        },
      },
      fetching: {
        on: {
          // Not this present's answer: the root's handler settles it (list / data requests).
          'direct.answered': [
            { guard: 'foundInPresentList', target: 'showing', actions: 'pick' },
            { guard: 'isPresentList', target: 'idle', actions: 'failPresent' },
          ],
          'direct.failed': { guard: 'isPresentList', target: 'idle', actions: 'failPresent' },
        },
      },
      showing: {
        initial: 'opening',
        entry: 'show',
        exit: 'hide',
        on: {
          'feedback.message': [{ guard: 'asksClose', target: '.closing', actions: 'onMessage' }, { actions: 'onMessage' }],
          'feedback.closed': { target: 'idle', actions: 'announceClosed' },
        },
        states: {
          opening: {
            on: {
              'feedback.shown': { target: 'open', actions: 'announceShown' },
              'feedback.showFailed': { target: '#feedback.idle', actions: 'failPresent' },
            },
          },
          open: {},
          closing: {
            entry: 'askClose',
            on: { 'feedback.message': {} },
          },
        },
      },
    },
}))();
