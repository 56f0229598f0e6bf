/**
 * The content machine's steps as pure functions: (context, event, params) → context changes and
 * commands. machine.ts wires each to a named action (the chart decides when each runs); none
 * reads a clock, the platform or the network.
 */
import type { ContentContext, ContentEmitted, ContentEvent } from './machine.js';
import { handleContentMessage } from './messages.js';
import { CONTENT_CALLBACK_CHANNEL, entryDelayMs, intervalMsFrom, JOURNEY_RETRIES, parseContentAnswer } from './rules.js';
import { param } from '../../log.js';

const MODULE = 'Content';

/** The content on screen. */
export interface Show {
  id: number;
  url: string;
  /** The preview's content ID, or null for zone content. */
  contentId: string | null;
  /** The content recorded events or opened a link: a close then completes it. */
  acted: boolean;
}

/** Who closed the content: its own `close` message, the platform (the user), the SDK, or nobody (it never showed). */
export type ClosedBy = 'content' | 'platform' | 'sdk' | 'failed';

/** What a step asks for: context changes (merged by `assign`) and commands, in order. */
export interface Step {
  assign?: Partial<ContentContext>;
  emit?: ContentEmitted[];
}

type StepFn<P = undefined> = (args: { context: ContentContext; event: ContentEvent }, params: P) => Step | void;

/** A step written against a collector (`emit`, `assign`), returned as plain data for machine.ts to apply. */
const act =
  <P = undefined>(fn: (args: { context: ContentContext; event: ContentEvent; enqueue: Collector }, params: P) => void): StepFn<P> =>
  ({ context, event }, params) => {
    const out: Required<Step> = { assign: {}, emit: [] };
    fn({ context, event, enqueue: { emit: (c) => void out.emit.push(c), assign: (a) => void Object.assign(out.assign, a) } }, params);
    return out;
  };

interface Collector {
  emit(command: ContentEmitted): void;
  assign(changes: Partial<ContentContext>): void;
}

const log = (level: 'warning' | 'debug' | 'info', message: string): ContentEmitted => ({ type: 'log', level, module: MODULE, message });

/** The latest moment known: the event's (an `Instant` from the API, ms from an effect) or the last one. */
export function momentOf(context: ContentContext, event: ContentEvent): number {
  const at = 'at' in event ? (event.at as unknown) : undefined;
  const ms = typeof at === 'number' ? at : typeof at === 'object' && at !== null ? (at as { timestamp: number }).timestamp : context.now;
  return Math.max(context.now, ms);
}

/** Why a call cannot run now, for its warning. */
function refusal(c: ContentContext, fn: string): string {
  if (!c.consent) return 'no "content" consent';
  if (c.temporaryId) return 'the device ID is temporary';
  if (fn === 'refreshZone' && !c.refreshAllowed) return 'refreshing is disabled by the server settings (rcz)';
  if (c.show !== null) return 'content is being shown';
  if (c.feedbackShown) return 'a feedback widget is being shown';
  return 'not possible now';
}

const nextTag = (c: ContentContext, kind: 'fetch' | 'flush'): { seq: number; tag: string } => ({ seq: c.seq + 1, tag: `content:${kind}:${c.seq + 1}` });

// Built by a pure arrow called at once: `act(...)` calls would otherwise stay in every bundle.
export const contentSteps = /* @__PURE__ */ (() => ({
  refuse: act<{ fn: string }>(({ context, enqueue }, { fn }) => {
    enqueue.emit(log('warning', `${fn}, ${refusal(context, fn)}; call ignored`));
  }),
  alreadyInZone: act(({ enqueue }) => enqueue.emit(log('debug', 'enterZone, already in the content zone; call ignored'))),
  alreadyRefreshing: act(({ event, enqueue }) => {
    enqueue.emit(log('debug', `${event.type === 'journey.triggered' ? `journey trigger ${param(event.key)}` : 'refreshZone'}, a refresh is already running; ignored`));
  }),
  ignoreJourney: act(({ context, event, enqueue }) => {
    if (event.type !== 'journey.triggered') return;
    enqueue.emit(log('debug', `journey trigger ${param(event.key)}, no refresh: ${refusal(context, 'refreshZone')}`));
  }),

  joinZone: act(({ context, event, enqueue }) => enqueue.assign({ inZone: true, now: momentOf(context, event) })),
  /** Enters the zone: the first fetch after the entry delay (4 s in the SDK's first 4 s, else none). */
  enterZone: act(({ context, event, enqueue }) => {
    const now = momentOf(context, event);
    const waitMs = entryDelayMs(context.bootAt, now);
    enqueue.emit(log('debug', `enterZone, in the content zone; first fetch in ${waitMs} ms, then every ${context.intervalMs / 1000} s`));
    enqueue.assign({ inZone: true, now, waitMs });
  }),
  exitZone: act(({ context, enqueue }) => {
    if (context.inZone) enqueue.emit(log('debug', 'exitZone, left the content zone'));
    enqueue.assign({ inZone: false, tag: null, previewId: null, journey: null, waitMs: 0 });
  }),

  startFetch: act(({ context, event, enqueue }) => {
    const { seq, tag } = nextTag(context, 'fetch');
    enqueue.emit({ type: 'content.fetch', tag, contentId: null });
    enqueue.assign({ seq, tag, previewId: null, now: momentOf(context, event) });
  }),
  startPreview: act(({ context, event, enqueue }) => {
    if (event.type !== 'content.preview') return;
    const { seq, tag } = nextTag(context, 'fetch');
    enqueue.emit({ type: 'content.fetch', tag, contentId: event.contentId });
    enqueue.assign({ seq, tag, previewId: event.contentId, journey: null, now: momentOf(context, event) });
  }),
  /** The timer fired while fetching is blocked (a feedback widget): the next try an interval later. */
  skipFetch: act(({ context, enqueue }) => {
    enqueue.emit(log('debug', `zone, ${refusal(context, 'fetch')}; next fetch in ${context.intervalMs / 1000} s`));
    enqueue.assign({ waitMs: context.intervalMs });
  }),

  startRefresh: act(({ context, event, enqueue }) => {
    const { seq, tag } = nextTag(context, 'flush');
    enqueue.emit({ type: 'content.flush', tag });
    enqueue.assign({ seq, tag, previewId: null, journey: null, now: momentOf(context, event) });
  }),
  startJourney: act(({ context, event, enqueue }) => {
    if (event.type !== 'journey.triggered') return;
    const { seq, tag } = nextTag(context, 'flush');
    enqueue.emit(log('debug', `journey trigger ${param(event.key)}, refreshing the content zone once the event is delivered`));
    enqueue.emit({ type: 'content.flush', tag });
    enqueue.assign({ seq, tag, previewId: null, journey: { retriesLeft: JOURNEY_RETRIES }, now: momentOf(context, event) });
  }),
  retryFlush: act(({ context, enqueue }) => {
    const { seq, tag } = nextTag(context, 'flush');
    enqueue.emit({ type: 'content.flush', tag });
    enqueue.assign({ seq, tag });
  }),
  /** The refresh's flush is done, but the fetch waits (the first 4 s, or a feedback widget). */
  waitEntry: act(({ context, event, enqueue }) => {
    const now = momentOf(context, event);
    enqueue.assign({ tag: null, journey: null, now, waitMs: entryDelayMs(context.bootAt, now) });
  }),
  undelivered: act(({ context, enqueue }) => {
    enqueue.emit(log('debug', 'journey trigger, the event was not delivered'));
    enqueue.assign({ tag: null, waitMs: context.intervalMs });
  }),
  countRetry: act(({ context, enqueue }) => {
    const left = (context.journey?.retriesLeft ?? 1) - 1;
    enqueue.emit(log('debug', `journey trigger, retrying in 1 s (${JOURNEY_RETRIES - left} of ${JOURNEY_RETRIES})`));
    enqueue.assign({ journey: { retriesLeft: left } });
  }),
  endJourney: act(({ context, enqueue }) => {
    if (context.journey !== null) {
      enqueue.emit(log('debug', 'journey trigger, the refresh is given up'));
      enqueue.assign({ journey: null });
    }
  }),

  show: act(({ context, event, enqueue }) => {
    if (event.type !== 'content.fetched') return;
    const block = parseContentAnswer(event.status, event.body);
    if (block === null) return;
    const id = context.seq + 1;
    enqueue.emit({ type: 'content.show', showId: id, url: block.url, placement: block.placement });
    enqueue.emit({ type: 'broadcast', event: { type: 'overlay.shown', by: 'content' } });
    enqueue.assign({ seq: id, tag: null, previewId: null, journey: null, show: { id, url: block.url, contentId: context.previewId, acted: false } });
  }),
  noContent: act(({ context, enqueue }) => {
    if (context.previewId !== null) enqueue.emit(log('warning', `preview, no content ${param(context.previewId)} to show (the answer has no html and geo)`));
    else enqueue.emit(log('debug', 'zone, no content now'));
    enqueue.assign({ tag: null, previewId: null, waitMs: context.intervalMs });
  }),
  fetchFailed: act(({ context, event, enqueue }) => {
    const reason = event.type === 'content.fetchFailed' ? event.reason : 'failed';
    enqueue.emit(log(context.previewId !== null ? 'warning' : 'debug', `${context.previewId !== null ? 'preview' : 'zone'}, the content request failed: ${reason}`));
    enqueue.assign({ tag: null, previewId: null, waitMs: context.intervalMs });
  }),
  showFailed: act(({ context, event, enqueue }) => {
    if (event.type === 'content.showFailed') enqueue.emit(log('warning', `show, the content could not be shown: ${event.reason}`));
    enqueue.assign({ waitMs: context.intervalMs });
  }),
  /** spec l. 1414: "After content is closed, there is a wait period of 2x zone timer interval". */
  waitAfterClose: act(({ context, enqueue }) => enqueue.assign({ waitMs: 2 * context.intervalMs })),

  /**
   * The content goes: the overlay is removed (a no-op if the platform closed it), the overlay
   * is announced gone, and `onContent` hears `COMPLETED` when the content closed itself after
   * recording events or opening a link, else `CLOSED` (l. 1366-1387).
   */
  closeContent: act<{ by: ClosedBy }>(({ context, enqueue }, { by }) => {
    const show = context.show;
    if (show === null) return;
    enqueue.emit({ type: 'content.close', showId: show.id });
    enqueue.emit({ type: 'broadcast', event: { type: 'overlay.closed', by: 'content' } });
    if (by !== 'failed') {
      const status = by === 'content' && show.acted ? 'COMPLETED' : 'CLOSED';
      const data: Record<string, unknown> = { url: show.url, closedBy: by, ...(show.contentId !== null ? { contentId: show.contentId } : {}) };
      enqueue.emit({ type: 'callback.invoke', token: CONTENT_CALLBACK_CHANNEL, args: [status, data] });
    }
    enqueue.assign({ show: null });
  }),
  /** One message from content: its actions in order (close is the chart's, last). */
  applyMessage: act(({ context, event, enqueue }) => {
    if (event.type !== 'content.messaged' || context.show === null) return;
    const handled = handleContentMessage(event.message, event.origin, event.serverUrl, context.allowedOrigins);
    if (!handled.accepted) {
      // spec l. 1590: "Messages from unlisted origins are silently ignored".
      enqueue.emit(log('debug', `message, from origin ${param(event.origin)} which is not allowed; ignored`));
      return;
    }
    for (const p of handled.problems) enqueue.emit(log('warning', `message, ${p}`));
    let eventSeq = context.eventSeq;
    let acted = context.show.acted;
    for (const a of handled.actions) {
      if (a.kind === 'event') {
        eventSeq += 1;
        acted = true;
        enqueue.emit({ type: 'event.record', ...a.event, at: event.at, id: `${context.idSeed}-c${eventSeq}` });
      } else if (a.kind === 'link') {
        acted = true;
        enqueue.emit({ type: 'content.openUrl', url: a.url });
      } else if (a.kind === 'resize') {
        enqueue.emit({ type: 'content.place', showId: context.show.id, placement: a.placement });
      }
    }
    enqueue.assign({ eventSeq, show: { ...context.show, acted } });
  }),
  notifyResize: act(({ context, enqueue }) => {
    if (context.show !== null) enqueue.emit({ type: 'content.notifyResize', showId: context.show.id });
  }),

  noteConsent: act(({ event, enqueue }) => {
    if (event.type === 'consent.changed') enqueue.assign({ consent: event.after.content });
  }),
  noteIdentity: act(({ event, enqueue }) => {
    if (event.type === 'identity.changed') enqueue.assign({ temporaryId: event.deviceIdType === 'TEMPORARY_ID' });
  }),
  /** `czi` (≥ 15 s, else the config's), `rcz`, `ecz`: the full merged settings each time. */
  applySettings: act(({ context, event, enqueue }) => {
    if (event.type !== 'settings.updated') return;
    const s = event.settings;
    enqueue.assign({ intervalMs: intervalMsFrom(context.intervalSeconds, s.czi), refreshAllowed: s.rcz ?? true, enterAfterInit: s.ecz === true, now: momentOf(context, event) });
  }),
  noteOverlay: act(({ event, enqueue }) => {
    if ((event.type === 'overlay.shown' || event.type === 'overlay.closed') && event.by === 'feedback') enqueue.assign({ feedbackShown: event.type === 'overlay.shown' });
  }),
}))();
