/**
 * User profiles (spec: SDK guide "User Profiles", 001 l. 3725–3944): property changes are held
 * in memory and sent as one `user_details={...}` request (l. 3921) by `save()`, which also runs
 * by itself right before a session begins, updates or ends, before queued events are batched
 * into a request, on `queue.flush()` (l. 3751, 3882), and before the device ID changes without
 * merge, so the data goes under the old ID. `upcl` changes pending force a save (l. 3911);
 * `upb`/`upw` drop keys before they are queued (l. 3903–3909, 4776); without "users" consent
 * nothing is recorded, and removing it drops what is pending (l. 3881, 3915).
 *
 * The config's `userProperties` are applied and saved when the actor starts, so their request
 * is queued before anything a later actor queues at boot (a session's `begin_session`).
 *
 * States: `starting` (transient: applies the config's properties) → `allowed` ⇄ `denied`
 * (the "users" consent). The accumulation rules are `src/domain/user-profile.ts`.
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import { keyAllowed, listFilter, type KeyFilter } from '../../domain/events.js';
import type { Instant } from '../../domain/types.js';
import { applyChange, EMPTY_PENDING, isEmpty, userDetails, type PendingUser, type UserChange } from '../../domain/user-profile.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export const MODULE = 'UserProfile';

/** spec: 001 l. 3911, 4863 — `upcl` default. */
export const DEFAULT_CACHE_LIMIT = 100;

export interface UserInput {
  /** "users" consent at boot. */
  consent: boolean;
  /** Behavior settings at boot (`upb`, `upw`, `upcl`). */
  settings: BehaviorSettings;
  /** The config's `userProperties`, validated. */
  initial: readonly UserChange[];
  /** What validating them warned about (logged at start). */
  initialWarnings: readonly string[];
}

export interface UserContext {
  consent: boolean;
  filter: KeyFilter;
  cacheLimit: number;
  pending: PendingUser;
  /** Kept for the start only. */
  initial: readonly UserChange[];
  initialWarnings: readonly string[];
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }>;

export type UserEvent =
  /** Validated changes of one call (`fn` names it in log lines). */
  | { type: 'user.change'; fn: string; changes: readonly UserChange[]; at: Instant }
  | { type: 'user.save'; at: Instant }
  | { type: 'user.clear' }
  | Stamped<'session.beginning'>
  | Stamped<'session.updating'>
  | Stamped<'session.ending'>
  | Stamped<'flush.requested'>
  | Stamped<'events.batching'>
  | Stamped<'identity.changing'>
  | (Stamped<'consent.changed'> & { at?: Instant })
  | (Stamped<'settings.updated'> & { at?: Instant });

export type UserCommand = Extract<Command, { type: 'request.enqueue' | 'log' }>;

export const userListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([
  'session.beginning',
  'session.updating',
  'session.ending',
  'flush.requested',
  'events.batching',
  'identity.changing',
  'consent.changed',
  'settings.updated',
] as const);

/** spec l. 3911: "upcl"; 0 would mean "hold nothing": every change is saved at once. */
const cacheLimitOf = (s: BehaviorSettings): number => Math.max(1, s.upcl ?? DEFAULT_CACHE_LIMIT);

type Emit = (command: UserCommand) => void;

/** The `user_details` request of what is pending, if anything is. */
function emitSave(pending: PendingUser, at: Instant | undefined, emit: Emit): void {
  const details = userDetails(pending);
  if (details === null) return;
  emit({ type: 'request.enqueue', params: { user_details: JSON.stringify(details) }, ...(at ? { at } : {}) });
}

/**
 * Applies one call's changes in order: filtered keys dropped, a conflicting modifier saves
 * what is pending first, and reaching the cache limit saves. Returns the new pending changes.
 */
function applyAll(
  context: Pick<UserContext, 'filter' | 'cacheLimit' | 'pending'>,
  fn: string,
  changes: readonly UserChange[],
  at: Instant | undefined,
  emit: Emit,
): PendingUser {
  let pending = context.pending;
  for (const change of changes) {
    if (!keyAllowed(context.filter, change.key)) {
      emit({ type: 'log', level: 'debug', module: MODULE, message: `${fn}, key [${change.key}] is filtered out by the server's user property filter; dropped` });
      continue;
    }
    const next = applyChange(pending, change);
    if (next.saveFirst) emitSave(pending, at, emit);
    pending = next.pending;
    if (pending.count >= context.cacheLimit) {
      emit({ type: 'log', level: 'debug', module: MODULE, message: `${fn}, ${pending.count} changes pending (limit ${context.cacheLimit}); saving` });
      emitSave(pending, at, emit);
      pending = EMPTY_PENDING;
    }
  }
  return pending;
}

const atOf = (event: UserEvent): Instant | undefined => ('at' in event ? event.at : undefined);

export const userMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as UserInput,
      context: {} as UserContext,
      events: {} as UserEvent,
      emitted: {} as UserCommand,
    },
    guards: {
      consented: ({ context }) => context.consent,
      usersGiven: ({ event }) => event.type === 'consent.changed' && event.after.users,
      usersRemoved: ({ event }) => event.type === 'consent.changed' && !event.after.users,
    },
    actions: {
      applyInitial: enqueueActions(({ context, enqueue }) => {
        for (const w of context.initialWarnings) enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: `userProperties, ${w}` });
        const pending = applyAll(context, 'userProperties', context.initial, undefined, (c) => enqueue.emit(c));
        // spec: the config's properties "are set and sent after init".
        emitSave(pending, undefined, (c) => enqueue.emit(c));
        enqueue.assign({ pending: EMPTY_PENDING, initial: [], initialWarnings: [] });
      }),
      refuseInitial: enqueueActions(({ context, enqueue }) => {
        if (context.initial.length > 0) {
          enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: 'userProperties, no "users" consent; properties ignored' });
        }
        enqueue.assign({ initial: [], initialWarnings: [] });
      }),
      change: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'user.change');
        const pending = applyAll(context, event.fn, event.changes, event.at, (c) => enqueue.emit(c));
        enqueue.assign({ pending });
      }),
      refuse: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'user.change');
        enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: `${event.fn}, no "users" consent; call ignored` });
      }),
      refuseSave: enqueueActions(({ enqueue }) => {
        enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: 'save, no "users" consent; nothing sent' });
      }),
      save: enqueueActions(({ context, event, enqueue }) => {
        if (isEmpty(context.pending)) return;
        emitSave(context.pending, atOf(event), (c) => enqueue.emit(c));
        enqueue.assign({ pending: EMPTY_PENDING });
      }),
      clear: enqueueActions(({ enqueue }) => {
        enqueue.assign({ pending: EMPTY_PENDING });
      }),
      drop: enqueueActions(({ context, enqueue }) => {
        if (!isEmpty(context.pending)) {
          enqueue.emit({ type: 'log', level: 'info', module: MODULE, message: `"users" consent removed; ${context.pending.count} pending change(s) dropped` });
        }
        enqueue.assign({ consent: false, pending: EMPTY_PENDING });
      }),
      allow: enqueueActions(({ enqueue }) => {
        enqueue.assign({ consent: true });
      }),
      storeSettings: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'settings.updated');
        const cacheLimit = cacheLimitOf(event.settings);
        enqueue.assign({ filter: listFilter(event.settings.upb, event.settings.upw), cacheLimit });
        // A lower limit applies to what is already pending.
        if (!isEmpty(context.pending) && context.pending.count >= cacheLimit) {
          emitSave(context.pending, undefined, (c) => enqueue.emit(c));
          enqueue.assign({ pending: EMPTY_PENDING });
        }
      }),
    },
  }).createMachine({
    id: 'user',
    context: ({ input }) => ({
      consent: input.consent,
      filter: listFilter(input.settings.upb, input.settings.upw),
      cacheLimit: cacheLimitOf(input.settings),
      pending: EMPTY_PENDING,
      initial: input.initial,
      initialWarnings: input.initialWarnings,
    }),
    initial: 'starting',
    states: {
      starting: {
        always: [{ guard: 'consented', target: 'allowed', actions: 'applyInitial' }, { target: 'denied', actions: 'refuseInitial' }],
      },
      allowed: {
        on: {
          'user.change': { actions: 'change' },
          'user.save': { actions: 'save' },
          'user.clear': { actions: 'clear' },
          'session.beginning': { actions: 'save' },
          'session.updating': { actions: 'save' },
          'session.ending': { actions: 'save' },
          'flush.requested': { actions: 'save' },
          'events.batching': { actions: 'save' },
          // Sent before a device-ID change without merge: pending data belongs to the old ID.
          'identity.changing': { actions: 'save' },
          'consent.changed': { guard: 'usersRemoved', target: 'denied', actions: 'drop' },
          'settings.updated': { actions: 'storeSettings' },
        },
      },
      denied: {
        on: {
          'user.change': { actions: 'refuse' },
          'user.save': { actions: 'refuseSave' },
          'consent.changed': { guard: 'usersGiven', target: 'allowed', actions: 'allow' },
          'settings.updated': { actions: 'storeSettings' },
        },
      },
    },
}))();
