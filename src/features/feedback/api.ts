import type { ResolvedConfig } from '../../config.js';
import { param } from '../../log.js';
import type { Countly, FeedbackCallback, FeedbackWidget } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { feedbackMachine } from './machine.js';
import { buildWidgetUrl, checkResult, readWidget, type WidgetType } from './rules.js';
import { ownEntries } from '../../domain/untrusted.js';

const MODULE = 'Feedback';
type Ctx = FeatureContext<typeof feedbackMachine>;

/**
 * `countly.feedback` (spec 001: User Feedback l. 3443–3751; Star Rating (Legacy) l. 5641–5658):
 * validates each call, logs `[Countly] [Feedback] fn, message`, and sends one event to the
 * feedback machine, which applies consent and temporary-ID mode. Promises settle through
 * callback tokens and never reject: a failure resolves `[]` / `{}` with a warning.
 * `widgetUrl` is synchronous: it reads the server URL and device ID the SDK has now.
 */
export function createFeedbackApi(ctx: Ctx): Countly['feedback'] {
  const { log, config } = ctx;

  /** The widget argument as a plain copy read once, or null (warned about). */
  const widgetArg = (fn: string, widget: unknown): FeedbackWidget | null => {
    const copy = readWidget(widget);
    if (copy === null) log.warning(MODULE, `${fn}, widget must be a feedback widget from getAvailableWidgets() ({id, type: nps|survey|rating, name, tags}), got ${param(widget)}; call ignored`);
    return copy;
  };

  const present = (fn: string, widgetType: WidgetType, widget: FeedbackWidget | null, match: string | null, callback: unknown): void => {
    const cb = callbackOf(ctx, fn, callback);
    ctx.send({ type: 'feedback.present', fn, widgetType, widget, match, ...cb });
  };

  const presentOfType = (fn: string, widgetType: WidgetType) => (nameIdOrTag?: string, callback?: FeedbackCallback) => {
    log.info(MODULE, `${fn}${nameIdOrTag !== undefined ? `, nameIdOrTag ${param(nameIdOrTag)}` : ''}`);
    if (nameIdOrTag !== undefined && nameIdOrTag !== null && typeof nameIdOrTag !== 'string') {
      log.warning(MODULE, `${fn}, nameIdOrTag must be a string (a widget ID, name or tag), got ${param(nameIdOrTag)}; call ignored`);
      return;
    }
    present(fn, widgetType, null, typeof nameIdOrTag === 'string' && nameIdOrTag !== '' ? nameIdOrTag : null, callback);
  };

  return {
    getAvailableWidgets(): Promise<FeedbackWidget[]> {
      log.info(MODULE, 'getAvailableWidgets');
      return new Promise<FeedbackWidget[]>((resolve) => {
        ctx.send({ type: 'feedback.list', token: ctx.callbacks.once(resolve) });
      });
    },

    getWidgetData(given: FeedbackWidget): Promise<Record<string, unknown>> {
      log.info(MODULE, `getWidgetData, widget ${param(given)}`);
      const widget = widgetArg('getWidgetData', given);
      if (widget === null) return Promise.resolve({});
      return new Promise<Record<string, unknown>>((resolve) => {
        ctx.send({ type: 'feedback.data', widget, token: ctx.callbacks.once(resolve) });
      });
    },

    widgetUrl(given: FeedbackWidget): string {
      log.info(MODULE, `widgetUrl, widget ${param(given)}`);
      const widget = widgetArg('widgetUrl', given);
      if (widget === null) return '';
      const machine = ctx.snapshot()?.context;
      const state = ctx.state();
      if (machine === undefined || state.deviceId === null) {
        log.warning(MODULE, 'widgetUrl, the SDK is not ready (no device ID yet); await countly.ready first');
        return '';
      }
      if (!machine.consent) {
        log.warning(MODULE, 'widgetUrl, no "feedback" consent; no URL');
        return '';
      }
      if (machine.temporary || state.offline) {
        log.warning(MODULE, 'widgetUrl, temporary device ID mode; no URL');
        return '';
      }
      return buildWidgetUrl(widget, urlIdentity(config, state.serverUrl, state.deviceId, machine.platform));
    },

    reportManually(given: FeedbackWidget, data: Record<string, unknown> | null, givenResult: Record<string, unknown> | null): void {
      log.info(MODULE, `reportManually, widget ${param(given)}, result ${param(givenResult)}`);
      const widget = widgetArg('reportManually', given);
      if (widget === null) return;
      // Read once into a plain object: a getter or proxy trap that throws drops that entry.
      const read = givenResult === null || givenResult === undefined ? null : ownEntries(givenResult);
      const result = read === null ? givenResult : Object.fromEntries(read.entries);
      for (const key of read?.unreadable ?? []) log.warning(MODULE, `reportManually, result ${param(key)} could not be read; left out`);
      if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
        log.warning(MODULE, `reportManually, data must be the object getWidgetData() gave, or null, got ${param(data)}; call ignored`);
        return;
      }
      if (result !== null && result !== undefined && (typeof result !== 'object' || Array.isArray(result))) {
        log.warning(MODULE, `reportManually, result must be an object or null (closed), got ${param(result)}; call ignored`);
        return;
      }
      const checked = checkResult(widget.type, result ?? null, config.limits.maxValueSize);
      if (!checked.ok) {
        log.warning(MODULE, `reportManually, ${checked.error}; call ignored`);
        return;
      }
      for (const w of checked.warnings) log.warning(MODULE, `reportManually, ${w}`);
      ctx.send({ type: 'feedback.report', widget, result: checked.result, at: ctx.now(), id: ctx.eventId() });
    },

    present(given: FeedbackWidget, callback?: FeedbackCallback): void {
      log.info(MODULE, `present, widget ${param(given)}`);
      const widget = widgetArg('present', given);
      if (widget === null) return;
      present('present', widget.type, widget, null, callback);
    },

    presentNps: presentOfType('presentNps', 'nps'),
    presentSurvey: presentOfType('presentSurvey', 'survey'),
    presentRating: presentOfType('presentRating', 'rating'),

    recordRatingWidget(options: { widgetId: string; rating: number; email?: string; comment?: string; contactMe?: boolean }): void {
      log.info(MODULE, `recordRatingWidget, options ${param(options)}`);
      const fn = 'recordRatingWidget';
      const read = ownEntries(options);
      if (read === null) {
        log.warning(MODULE, `${fn}, options must be an object {widgetId, rating, email?, comment?, contactMe?}, got ${param(options)}; call ignored`);
        return;
      }
      const { widgetId, rating, email, comment, contactMe } = Object.fromEntries(read.entries) as Partial<Record<'widgetId' | 'rating' | 'email' | 'comment' | 'contactMe', unknown>>;
      if (typeof widgetId !== 'string' || widgetId.trim() === '') {
        log.warning(MODULE, `${fn}, widgetId must be a non-empty string, got ${param(widgetId)}; call ignored`);
        return;
      }
      if (typeof rating !== 'number' || !Number.isFinite(rating)) {
        log.warning(MODULE, `${fn}, rating must be a number from 1 to 5, got ${param(rating)}; call ignored`);
        return;
      }
      // spec l. 5645: "rating is clamped to the range [1, 5]".
      if (rating < 1 || rating > 5 || !Number.isInteger(rating)) log.warning(MODULE, `${fn}, rating ${rating} is not a whole number from 1 to 5; clamped`);
      const text = (name: string, v: unknown): string | undefined => {
        if (v === undefined || v === null) return undefined;
        if (typeof v === 'string') return v;
        log.warning(MODULE, `${fn}, ${name} must be a string, got ${param(v)}; left out`);
        return undefined;
      };
      const e = text('email', email);
      const c = text('comment', comment);
      if (contactMe !== undefined && typeof contactMe !== 'boolean') log.warning(MODULE, `${fn}, contactMe must be a boolean, got ${param(contactMe)}; false used`);
      ctx.send({
        type: 'feedback.rate',
        rating: { widgetId, rating, contactMe: contactMe === true, ...(e !== undefined ? { email: e } : {}), ...(c !== undefined ? { comment: c } : {}) },
        at: ctx.now(),
        id: ctx.eventId(),
      });
    },
  };
}

function urlIdentity(config: ResolvedConfig, serverUrl: string, deviceId: string, platform: string) {
  return { serverUrl, deviceId, appKey: config.appKey, sdkVersion: config.sdkVersion, sdkName: config.sdkName, appVersion: config.appVersion, platform };
}

/** The developer's `FeedbackCallback` as two one-shot tokens (each hook guarded by the registry). */
function callbackOf(ctx: Ctx, fn: string, callback: unknown): { finished: string | null; closed: string | null } {
  if (callback === undefined || callback === null) return { finished: null, closed: null };
  if (typeof callback !== 'object') {
    ctx.log.warning(MODULE, `${fn}, callback must be an object {onFinished?, onClosed?}, got ${param(callback)}; ignored`);
    return { finished: null, closed: null };
  }
  // Each hook read once (a getter or proxy trap that throws counts as absent).
  const hook = (name: 'onFinished' | 'onClosed'): ((...args: never[]) => unknown) | null => {
    try {
      const f = (callback as Record<string, unknown>)[name];
      return typeof f === 'function' ? (f as (...args: never[]) => unknown).bind(callback) : null;
    } catch {
      ctx.log.warning(MODULE, `${fn}, callback.${name} could not be read; ignored`);
      return null;
    }
  };
  const onFinished = hook('onFinished') as FeedbackCallback['onFinished'] | null;
  const onClosed = hook('onClosed') as FeedbackCallback['onClosed'] | null;
  const finished = onFinished ? ctx.callbacks.once((error: string | null) => onFinished(error)) : null;
  const closed = onClosed ? ctx.callbacks.once(() => onClosed()) : null;
  return { finished, closed };
}
