/**
 * Push notifications, the platform-neutral part (spec 001: Push Notifications l. 2291-2510;
 * write API 000 l. 195-212): the token session request, its timing, the stored token, and
 * the `[CLY]_push_action` event. Everything needs `push` consent (l. 2510).
 *
 * - `push.setToken` / `push.clearToken` make the token the one to register (`clearToken`
 *   sends `''`, l. 2402, 2504) and store it (`storage.set pushToken`, l. 2508).
 * - The token goes out as `token_session=1&<provider key>=…&token_provider=…&locale=…&test_mode=…`
 *   (l. 2481-2500), through the request queue, unless: the same token/provider went out less
 *   than 60 s ago (dropped, l. 2388), it went out in the last 60 s but was replaced since (it
 *   waits for the end of that window), or a session began less than 10 s ago (it waits,
 *   l. 2502). Only the latest token waits; a newer call replaces it.
 * - Consent given at run time sends the known token (l. 2510: "attempt to ... send the push
 *   token immediately"); a device-ID change without merge sends it for the new ID (l. 2399).
 * - `config.push.sendTokenAlways` re-sends the stored token at every init.
 * - `push.recordAction` records `[CLY]_push_action {i, b, p}` through the events machine,
 *   which combines it into a request at once (spec l. 941).
 *
 * States: `check` (transient: sends what is due, then decides), `idle` (nothing waits),
 * `waiting` (the latest token waits for the `untilDue` delay).
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import { param } from '../../log.js';
import {
  actionSegmentation,
  AFTER_SESSION_MS,
  DEFAULT_PROVIDER,
  dueOf,
  PUSH_ACTION_KEY,
  PUSH_TOKEN_KEY,
  remember,
  tokenParams,
  type PushProvider,
  type SentToken,
  type TokenKey,
} from './rules.js';

export interface PushInput {
  /** `push` consent at boot. */
  consent: boolean;
  testMode: 0 | 1 | 2;
  /** `config.push.provider`, canonical, or null when not set or unknown (the namespace warns about it). */
  provider: PushProvider | null;
  sendTokenAlways: boolean;
  /** The device locale (`metricOverride._locale`, else the platform's `_locale`), read at boot. */
  locale: string | undefined;
  /** The token stored by an earlier run. */
  stored: TokenKey | null;
  /** The moment of boot (ms). */
  now: number;
}

export interface PushContext {
  consent: boolean;
  testMode: 0 | 1 | 2;
  defaultProvider: PushProvider;
  locale: string | undefined;
  /** The token last set (the one the server should have); null: none known. */
  current: TokenKey | null;
  /** The token still to send (the latest), or null. */
  pending: TokenKey | null;
  /** Sends of the last 60 s, oldest first; the last one is what the server has. */
  recent: SentToken[];
  /** 10 s after the last `session.began` (ms), or null. */
  settleAt: number | null;
  /** The latest moment the machine knows of (ms): from events, and from its own timer. */
  now: number;
  /** When the waiting token is due (ms), while `waiting`. */
  dueAt: number | null;
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }> & { at?: Instant };

export type PushEvent =
  | { type: 'push.setToken'; token: string; provider: PushProvider | null; at: Instant }
  | { type: 'push.clearToken'; at: Instant }
  | { type: 'push.recordAction'; notificationId: string; button: number; at: Instant; id: string }
  | Stamped<'consent.changed'>
  | Stamped<'session.began'>
  | Stamped<'identity.changed'>;

export type PushCommand = Extract<Command, { type: 'request.enqueue' | 'storage.set' | 'storage.delete' | 'event.record' | 'log' }>;

export const pushListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['consent.changed', 'session.began', 'identity.changed'] as const);

const MODULE = 'Push';
const log = (level: 'warning' | 'debug' | 'info', message: string): PushCommand => ({ type: 'log', level, module: MODULE, message });
const momentOf = (context: PushContext, at: Instant | undefined): number => Math.max(context.now, at?.timestamp ?? context.now);

export function pushContextFrom(input: PushInput): PushContext {
  const resend = input.sendTokenAlways && input.consent && input.stored !== null;
  return {
    consent: input.consent,
    testMode: input.testMode,
    defaultProvider: input.provider ?? DEFAULT_PROVIDER,
    locale: input.locale,
    current: input.stored,
    pending: resend ? input.stored : null,
    recent: [],
    settleAt: null,
    now: input.now,
    dueAt: null,
  };
}

export const pushMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as PushInput,
      context: {} as PushContext,
      events: {} as PushEvent,
      emitted: {} as PushCommand,
    },
    delays: {
      /** Until the waiting token is due: the end of its debounce window or of the session's 10 s. */
      untilDue: ({ context }) => Math.max(0, (context.dueAt ?? context.now) - context.now),
    },
    guards: {
      consented: ({ context }) => context.consent,
      waits: ({ context }) => context.pending !== null,
    },
    actions: {
      /** Sends the waiting token if it is due now; otherwise notes when it will be. */
      settle: enqueueActions(({ context, enqueue }) => {
        const pending = context.pending;
        if (pending === null) return;
        if (!context.consent) {
          enqueue.assign({ pending: null, dueAt: null });
          return;
        }
        const due = dueOf(pending, context.recent, context.settleAt, context.now);
        if (due.kind === 'redundant') {
          enqueue.emit(log('debug', `setToken, the same token and provider were sent less than 60 s ago; not sent again`));
          enqueue.assign({ pending: null, dueAt: null });
        } else if (due.kind === 'at') {
          enqueue.assign({ dueAt: due.at });
        } else {
          enqueue.emit({ type: 'request.enqueue', params: tokenParams(pending, context.locale, context.testMode) });
          enqueue.assign({ pending: null, dueAt: null, recent: remember(context.recent, { ...pending, at: context.now }) });
        }
      }),
      /** The timer fired: it is now the moment the token was due. */
      reachDue: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({ now: Math.max(context.now, context.dueAt ?? context.now), dueAt: null });
      }),
      setToken: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['push.setToken', 'push.clearToken']);
        const now = momentOf(context, event.at);
        const token: TokenKey =
          event.type === 'push.setToken'
            ? { token: event.token, provider: event.provider ?? context.defaultProvider }
            : { token: '', provider: context.current?.provider ?? context.defaultProvider };
        enqueue.emit(token.token === '' ? { type: 'storage.delete', key: PUSH_TOKEN_KEY } : { type: 'storage.set', key: PUSH_TOKEN_KEY, value: { ...token } });
        enqueue.assign({ now, current: token, pending: token });
      }),
      refuse: enqueueActions(({ event, enqueue }) => {
        const fn = event.type === 'push.clearToken' ? 'clearToken' : event.type === 'push.recordAction' ? 'recordAction' : 'setToken';
        enqueue.emit(log('warning', `${fn}, no "push" consent; call ignored`));
      }),
      recordAction: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'push.recordAction');
        const provider = context.current?.provider ?? context.defaultProvider;
        enqueue.emit({
          type: 'event.record',
          key: PUSH_ACTION_KEY,
          count: 1,
          segmentation: actionSegmentation(event.notificationId, event.button, provider),
          at: event.at,
          id: event.id,
        });
        enqueue.emit(log('debug', `recordAction, notification ${param(event.notificationId)} button ${param(event.button)} recorded`));
        enqueue.assign({ now: momentOf(context, event.at) });
      }),
      consentChanged: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        const given = event.after.push;
        const now = momentOf(context, event.at);
        if (given && !context.consent) {
          // spec l. 2510: consent given at run time sends the token the SDK knows.
          const send = context.current !== null && context.current.token !== '';
          enqueue.assign({ consent: true, now, pending: send ? context.current : null });
        } else if (!given) {
          enqueue.assign({ consent: false, now, pending: null, dueAt: null });
        } else {
          enqueue.assign({ now });
        }
      }),
      sessionBegan: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'session.began');
        const now = momentOf(context, event.at);
        enqueue.assign({ now, settleAt: now + AFTER_SESSION_MS });
      }),
      identityChanged: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'identity.changed');
        const now = momentOf(context, event.at);
        // A new device ID without merge is a new user on the server: it has no token yet (l. 2399).
        // The boot broadcast (no previous ID), merges and the offline placeholder change nothing.
        const newUser = !event.merged && event.previousId !== null && event.deviceIdType !== 'TEMPORARY_ID' && event.previousId !== event.deviceId;
        if (!newUser) {
          enqueue.assign({ now });
          return;
        }
        const send = context.consent && context.current !== null && context.current.token !== '';
        enqueue.assign({ now, recent: [], pending: send ? context.current : context.pending });
      }),
    },
  }).createMachine({
    id: 'push',
    context: ({ input }) => pushContextFrom(input),
    initial: 'check',
    on: {
      'push.setToken': [{ guard: 'consented', target: '.check', actions: 'setToken' }, { actions: 'refuse' }],
      'push.clearToken': [{ guard: 'consented', target: '.check', actions: 'setToken' }, { actions: 'refuse' }],
      'push.recordAction': [{ guard: 'consented', actions: 'recordAction' }, { actions: 'refuse' }],
      'consent.changed': { target: '.check', actions: 'consentChanged' },
      'session.began': { target: '.check', actions: 'sessionBegan' },
      'identity.changed': { target: '.check', actions: 'identityChanged' },
    },
    states: {
      check: {
        entry: 'settle',
        always: [{ guard: 'waits', target: 'waiting' }, { target: 'idle' }],
      },
      idle: {},
      waiting: {
        after: { untilDue: { target: 'check', actions: 'reachDue' } },
      },
    },
}))();
