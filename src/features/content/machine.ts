/**
 * The content zone (spec 001: Content Zone l. 1346-1604; SDK Behavior Settings `ecz`, `czi`,
 * `rcz`, `jte` l. 4766, 4852-4873). docs/content.md has the chart and the wire shapes.
 *
 * - `content.enter` enters the zone: the first fetch 4 s later when the SDK started less than
 *   4 s ago (l. 1411-1412), else at once; then one fetch every interval (`zoneTimerInterval`,
 *   the server's `czi` overrides, < 15 s ignored) until content comes. The server's `ecz`
 *   enters after init (and when it turns on).
 * - A fetch (`content.fetch`, the effect sends `/o/sdk/content` at once) is accepted only with
 *   `html` and `geo` (l. 1520); the content is then shown (`content.show`) and no fetch runs
 *   until it closes; then the zone waits 2 × the interval (l. 1414, 1537).
 * - No fetch while a feedback widget is shown (`overlay.shown`/`overlay.closed` by `feedback`,
 *   l. 1537); the content's own overlay is announced the same way.
 * - `content.refresh` (not with `rcz: false`, not while content is shown) flushes the queue
 *   first, then (re-)enters the zone and fetches (l. 1433-1435). A journey trigger (`jte`,
 *   `journey.triggered`) does the same once the flush delivered its event; an undelivered
 *   event or a failed / empty fetch is retried up to 3 times, 1 s apart (l. 4766).
 * - `content.preview` fetches one content by ID (`content_id`, `preview=true`) without
 *   entering the zone (l. 1438-1456).
 * - Messages from content go through `handleContentMessage` (messages.ts): events recorded,
 *   link opened, overlay moved, then closed last; the resize message to content is debounced 200 ms.
 * - Everything needs `content` consent and a real device ID; losing the consent or a device-ID
 *   change without merge leaves the zone and removes the content (l. 1522-1524, 1600-1604).
 *
 * States: `outside` (not in the zone, nothing running), `waiting` (in the zone, `untilFetch`),
 * `fetching` (a fetch out), `showing.steady` / `showing.resizing` (content on screen; the
 * resize debounce), `flushing` (a refresh waits for `queue.flush()`), `retrying` (a journey
 * trigger waits 1 s), `settle` (transient: where to go after a fetch, a close, a failure).
 */
import { and, enqueueActions, setup } from 'xstate';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import type { Deliverable } from '../define.js';
import type { ContentResult } from './commands.js';
import './commands.js';
import { handleContentMessage } from './messages.js';
import { entryDelayMs, intervalMsFrom, JOURNEY_RETRY_MS, parseContentAnswer, RESIZE_DEBOUNCE_MS } from './rules.js';
import { contentSteps, momentOf, type Show, type Step } from './steps.js';

export interface ContentInput {
  /** `content` consent at boot. */
  consent: boolean;
  /** Temporary-ID mode at boot. */
  temporaryId: boolean;
  /** `config.content.zoneTimerIntervalSeconds` (≥ 15). */
  intervalSeconds: number;
  /** Behavior settings known at boot (`ecz`, `czi`, `rcz`). */
  settings: BehaviorSettings;
  /** `config.content.allowedOrigins`: origins content messages may come from besides the server's. */
  allowedOrigins: readonly string[];
  /** The moment of boot (ms): the 4 s initial delay counts from it. */
  bootAt: number;
  /** A seed for the IDs of events content records. */
  idSeed: string;
}

export interface ContentContext {
  consent: boolean;
  temporaryId: boolean;
  intervalSeconds: number;
  /** The fetch interval in force (ms): `czi` over the config. */
  intervalMs: number;
  /** Server `rcz` (default true). */
  refreshAllowed: boolean;
  /** Server `ecz`. */
  enterAfterInit: boolean;
  allowedOrigins: readonly string[];
  /** A feedback widget is on screen. */
  feedbackShown: boolean;
  bootAt: number;
  /** The latest moment the machine knows of (ms). */
  now: number;
  /** In the content zone (entered, not exited). */
  inZone: boolean;
  /** The wait of the next `waiting` (ms). */
  waitMs: number;
  seq: number;
  /** The request in flight (`content.fetch` / `content.flush`), or null. */
  tag: string | null;
  /** The fetch in flight / the content shown is a preview of this ID. */
  previewId: string | null;
  /** A journey trigger's refresh: retries left. */
  journey: { retriesLeft: number } | null;
  show: Show | null;
  idSeed: string;
  eventSeq: number;
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }> & { at?: Instant };

export type ContentEvent =
  | { type: 'content.enter'; at: Instant }
  | { type: 'content.exit'; at: Instant }
  | { type: 'content.refresh'; at: Instant }
  | { type: 'content.preview'; contentId: string; at: Instant }
  | ContentResult
  | Stamped<'consent.changed'>
  | Stamped<'identity.changed'>
  | Stamped<'settings.updated'>
  | Stamped<'overlay.shown'>
  | Stamped<'overlay.closed'>
  | Stamped<'journey.triggered'>;

export type ContentEmitted = Extract<Command, { type: 'callback.invoke' | 'event.record' | 'broadcast' | 'log' | `content.${string}` }>;

export const contentListensTo: readonly Deliverable[] = /* @__PURE__ */ Object.freeze([
  'consent.changed',
  'identity.changed',
  'settings.updated',
  'overlay.shown',
  'overlay.closed',
  'journey.triggered',
  'content.fetched',
  'content.fetchFailed',
  'content.flushed',
  'content.showFailed',
  'content.closed',
  'content.messaged',
  'content.viewportChanged',
] as const);

export function contentContextFrom(input: ContentInput): ContentContext {
  return {
    consent: input.consent,
    temporaryId: input.temporaryId,
    intervalSeconds: input.intervalSeconds,
    intervalMs: intervalMsFrom(input.intervalSeconds, input.settings.czi),
    refreshAllowed: input.settings.rcz ?? true,
    enterAfterInit: input.settings.ecz === true,
    allowedOrigins: [...input.allowedOrigins],
    feedbackShown: false,
    bootAt: input.bootAt,
    now: input.bootAt,
    inZone: false,
    waitMs: 0,
    seq: 0,
    tag: null,
    previewId: null,
    journey: null,
    show: null,
    idSeed: input.idSeed,
    eventSeq: 0,
  };
}

const usable = (c: ContentContext): boolean => c.consent && !c.temporaryId;
const ownTag = (c: ContentContext, e: ContentEvent): boolean => 'tag' in e && e.tag === c.tag;
const ownShow = (c: ContentContext, e: ContentEvent): boolean => 'showId' in e && c.show !== null && e.showId === c.show.id;
const messageOf = (c: ContentContext, e: ContentEvent) =>
  e.type === 'content.messaged' ? handleContentMessage(e.message, e.origin, e.serverUrl, c.allowedOrigins) : null;

type Steps = typeof contentSteps;
type ParamsOf<K extends keyof Steps> = Parameters<Steps[K]>[1];

/** A named action running one pure step: assigns what it changed, emits what it asked for. */
const action = <K extends keyof Steps>(name: K) =>
  enqueueActions<ContentContext, ContentEvent, ParamsOf<K>, ContentEvent, never, never, never, never, ContentEmitted>(({ context, event, enqueue }, params) => {
    const out = (contentSteps[name] as (a: { context: ContentContext; event: ContentEvent }, p: ParamsOf<K>) => Step | void)({ context, event }, params);
    if (!out) return;
    for (const command of out.emit ?? []) enqueue.emit(command);
    if (out.assign && Object.keys(out.assign).length > 0) enqueue.assign(out.assign);
  });

const actions = /* @__PURE__ */ (() => Object.fromEntries(Object.keys(contentSteps).map((k) => [k, action(k as keyof Steps)])))() as { [K in keyof Steps]: ReturnType<typeof action<K>> };

export const contentMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as ContentInput,
      context: {} as ContentContext,
      events: {} as ContentEvent,
      emitted: {} as ContentEmitted,
    },
    delays: {
      untilFetch: ({ context }) => context.waitMs,
      journeyRetry: JOURNEY_RETRY_MS,
      resizeDebounce: RESIZE_DEBOUNCE_MS,
    },
    guards: {
      usable: ({ context }) => usable(context),
      unusable: ({ context }) => !usable(context),
      noConsent: ({ context }) => !context.consent,
      inZone: ({ context }) => context.inZone,
      refreshRefused: ({ context }) => !usable(context) || !context.refreshAllowed,
      feedbackShown: ({ context }) => context.feedbackShown,
      enterAtBoot: ({ context }) => context.enterAfterInit && usable(context),
      /** `ecz` turns on now (it was off): the zone is entered, once. */
      eczTurnsOn: ({ context, event }) => event.type === 'settings.updated' && event.settings.ecz === true && !context.enterAfterInit && usable(context),
      canFetch: ({ context }) => usable(context) && !context.feedbackShown,
      ownTag: ({ context, event }) => ownTag(context, event),
      ownShow: ({ context, event }) => ownShow(context, event),
      showable: ({ context, event }) =>
        ownTag(context, event) && event.type === 'content.fetched' && !context.feedbackShown && parseContentAnswer(event.status, event.body) !== null,
      /** A flush that did not deliver a journey trigger's event: retried. */
      undelivered: ({ context, event }) => ownTag(context, event) && event.type === 'content.flushed' && !event.delivered && context.journey !== null,
      /** An entry fetches at once (no timer of 0 ms): past the first 4 s, and nothing blocks. */
      entryFetchesNow: ({ context, event }) => usable(context) && !context.feedbackShown && entryDelayMs(context.bootAt, momentOf(context, event)) === 0,
      retriesLeft: ({ context }) => context.journey !== null && context.journey.retriesLeft > 0,
      messageCloses: ({ context, event }) => ownShow(context, event) && (messageOf(context, event)?.actions.some((a) => a.kind === 'close') ?? false),
      /** A message that resizes and does not close: the resize message to content is (re)debounced. */
      messageOnlyResizes: ({ context, event }) => {
        const actions = ownShow(context, event) ? (messageOf(context, event)?.actions ?? []) : [];
        return actions.some((a) => a.kind === 'resize') && !actions.some((a) => a.kind === 'close');
      },
      losesConsent: ({ event }) => event.type === 'consent.changed' && !event.after.content,
      /** A device-ID change without merge: a new user (the boot broadcast and merges are not). */
      newUser: ({ event }) => event.type === 'identity.changed' && !event.merged && event.previousId !== null && event.previousId !== event.deviceId,
    },
    actions,
  }).createMachine({
    id: 'content',
    context: ({ input }) => contentContextFrom(input),
    initial: 'booting',
    on: {
      'content.enter': [{ guard: 'unusable', actions: { type: 'refuse', params: { fn: 'enterZone' } } }, { guard: 'inZone', actions: 'alreadyInZone' }, { actions: 'joinZone' }],
      'content.exit': [{ guard: 'noConsent', actions: { type: 'refuse', params: { fn: 'exitZone' } } }, { target: '.outside', actions: [{ type: 'closeContent', params: { by: 'sdk' } }, 'exitZone'] }],
      'content.refresh': [{ guard: 'refreshRefused', actions: { type: 'refuse', params: { fn: 'refreshZone' } } }, { target: '.flushing', actions: 'startRefresh' }],
      'journey.triggered': [{ guard: 'refreshRefused', actions: 'ignoreJourney' }, { target: '.flushing', actions: 'startJourney' }],
      'content.preview': [
        { guard: 'unusable', actions: { type: 'refuse', params: { fn: 'preview' } } },
        { guard: 'feedbackShown', actions: { type: 'refuse', params: { fn: 'preview' } } },
        { target: '.fetching', actions: 'startPreview' },
      ],
      'consent.changed': [{ guard: 'losesConsent', target: '.outside', actions: [{ type: 'closeContent', params: { by: 'sdk' } }, 'exitZone', 'noteConsent'] }, { actions: 'noteConsent' }],
      'identity.changed': [{ guard: 'newUser', target: '.outside', actions: [{ type: 'closeContent', params: { by: 'sdk' } }, 'exitZone', 'noteIdentity'] }, { actions: 'noteIdentity' }],
      'settings.updated': [{ guard: 'eczTurnsOn', actions: ['applySettings', 'joinZone'] }, { actions: 'applySettings' }],
      'overlay.shown': { actions: 'noteOverlay' },
      'overlay.closed': { actions: 'noteOverlay' },
    },
    states: {
      booting: {
        always: [{ guard: 'enterAtBoot', target: 'waiting', actions: 'enterZone' }, { target: 'outside' }],
      },
      outside: {
        on: {
          'content.enter': [
            { guard: 'entryFetchesNow', target: 'fetching', actions: ['enterZone', 'startFetch'] },
            { guard: 'usable', target: 'waiting', actions: 'enterZone' },
          ],
          'settings.updated': [
            { guard: and(['eczTurnsOn', 'entryFetchesNow']), target: 'fetching', actions: ['applySettings', 'enterZone', 'startFetch'] },
            { guard: 'eczTurnsOn', target: 'waiting', actions: ['applySettings', 'enterZone'] },
            { actions: 'applySettings' },
          ],
        },
      },
      waiting: {
        after: {
          untilFetch: [
            { guard: 'canFetch', target: 'fetching', actions: 'startFetch' },
            { target: 'waiting', reenter: true, actions: 'skipFetch' },
          ],
        },
      },
      fetching: {
        on: {
          'content.fetched': [{ guard: 'showable', target: 'showing', actions: 'show' }, { guard: 'ownTag', target: 'settle', actions: 'noContent' }],
          'content.fetchFailed': { guard: 'ownTag', target: 'settle', actions: 'fetchFailed' },
        },
      },
      showing: {
        initial: 'steady',
        on: {
          'content.enter': { actions: { type: 'refuse', params: { fn: 'enterZone' } } },
          'content.refresh': { actions: { type: 'refuse', params: { fn: 'refreshZone' } } },
          'content.preview': { actions: { type: 'refuse', params: { fn: 'preview' } } },
          'journey.triggered': { actions: 'ignoreJourney' },
          'content.closed': { guard: 'ownShow', target: 'settle', actions: [{ type: 'closeContent', params: { by: 'platform' } }, 'waitAfterClose'] },
          'content.showFailed': { guard: 'ownShow', target: 'settle', actions: ['showFailed', { type: 'closeContent', params: { by: 'failed' } }] },
          'content.messaged': [
            { guard: 'messageCloses', target: 'settle', actions: ['applyMessage', { type: 'closeContent', params: { by: 'content' } }, 'waitAfterClose'] },
            { guard: 'ownShow', actions: 'applyMessage' },
          ],
        },
        states: {
          steady: {
            on: {
              'content.messaged': { guard: 'messageOnlyResizes', target: 'resizing', actions: 'applyMessage' },
              'content.viewportChanged': { guard: 'ownShow', target: 'resizing' },
            },
          },
          resizing: {
            after: { resizeDebounce: { target: 'steady', actions: 'notifyResize' } },
            on: {
              'content.messaged': { guard: 'messageOnlyResizes', target: 'resizing', reenter: true, actions: 'applyMessage' },
              'content.viewportChanged': { guard: 'ownShow', target: 'resizing', reenter: true },
            },
          },
        },
      },
      flushing: {
        on: {
          'content.refresh': { actions: 'alreadyRefreshing' },
          'journey.triggered': { actions: 'alreadyRefreshing' },
          'content.flushed': [
            { guard: 'undelivered', target: 'settle', actions: 'undelivered' },
            { guard: and(['ownTag', 'entryFetchesNow']), target: 'fetching', actions: ['joinZone', 'startFetch'] },
            { guard: 'ownTag', target: 'waiting', actions: ['joinZone', 'waitEntry'] },
          ],
        },
      },
      retrying: {
        on: {
          'content.refresh': { actions: 'alreadyRefreshing' },
          'journey.triggered': { actions: 'alreadyRefreshing' },
        },
        after: {
          journeyRetry: [
            // Consent and the device ID end a journey at once; `rcz` turned off ends it here.
            { guard: 'refreshRefused', target: 'settle', actions: 'endJourney' },
            { target: 'flushing', actions: 'retryFlush' },
          ],
        },
      },
      settle: {
        always: [
          { guard: 'retriesLeft', target: 'retrying', actions: 'countRetry' },
          { guard: 'inZone', target: 'waiting', actions: 'endJourney' },
          { target: 'outside', actions: 'endJourney' },
        ],
      },
    },
}))();
