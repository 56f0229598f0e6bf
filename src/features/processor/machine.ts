/**
 * The request processor: takes the head of the persisted request queue, sends it, and
 * removes it only once it was delivered — one request at a time, in queue order
 * (spec: Request Queue). It does no I/O: it asks the transport effect for the head
 * (`transport.sendHead`), hears back `transport.succeeded` / `transport.failed` /
 * `transport.idle`, and asks for the removal (`requests.remove`).
 *
 * States (see docs/request-processor.md):
 * - `deciding`   transient: picks `held`, `sending` or `idle` from the context
 * - `idle`       nothing known to send; woken by `queue.changed`
 * - `sending`    exactly one `transport.sendHead` outstanding; everything else is remembered
 * - `coolingDown` after a failed send, waits `retryCooldown`, then tries the same head again
 * - `held`       a hold blocks sending (temporary ID, offline, networking disabled, booting, backoff)
 *
 * Beyond the spec: an answer that can never heal (`judge` in domain/response.ts) is retried
 * a few times with a growing cool-down, then the request is moved aside (`requests.deadLetter`,
 * domain/dead-letters.ts) so the queue moves on. It also owns the server's `tracking` flag
 * (spec l. 4836), which the queue effect reads to refuse new requests.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import { isHold, type Hold } from '../../domain/holds.js';
import { blocked, deadLetterStep, failureStep, hardHeld, initialProcessorContext, isFinalRejection, MODULE, settingsStep, verdictOf } from './steps.js';
import type { PendingFlush, RequestProcessorContext, RequestProcessorInput } from './steps.js';

export { HOLDS, isHold, type Hold } from '../../domain/holds.js';
export { initialProcessorContext, type PendingFlush, type Rejections, type RequestProcessorContext, type RequestProcessorInput } from './steps.js';

type QueueChanged = Extract<EffectResult, { type: 'queue.changed' }>;
type Succeeded = Extract<EffectResult, { type: 'transport.succeeded' }>;
type Failed = Extract<EffectResult, { type: 'transport.failed' }>;
type Idle = Extract<EffectResult, { type: 'transport.idle' }>;

export type RequestProcessorEvent =
  | QueueChanged
  | Succeeded
  | Failed
  | Idle
  | Extract<Broadcast, { type: 'sending.hold' | 'sending.release' | 'backoff.started' | 'backoff.ended' | 'app.exiting' }>
  | (Extract<Broadcast, { type: 'settings.updated' }> & { at?: unknown })
  | { type: 'processor.hold'; reason: Hold }
  | { type: 'processor.release'; reason: Hold }
  /** `queue.flush()`: send now, skipping the cool-down and the backoff pause. */
  | { type: 'processor.flush'; flushId: number };

export type RequestProcessorCommand = Extract<
  Command,
  | { type: 'transport.sendHead' }
  | { type: 'requests.remove' }
  | { type: 'requests.deadLetter' }
  | { type: 'requests.handOff' }
  | { type: 'requests.setMaxSize' }
  | { type: 'log' }
  | { type: 'broadcast' }
>;

/** The broadcasts the router must deliver to the request processor. */
export const requestProcessorListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([
  'sending.hold',
  'sending.release',
  'backoff.started',
  'backoff.ended',
  'settings.updated',
  'app.exiting',
] as const);

const holdOf = (e: RequestProcessorEvent): unknown =>
  e.type === 'backoff.started' || e.type === 'backoff.ended' ? 'backoff' : (e as { reason?: unknown }).reason;

const finished = (f: PendingFlush, failed: boolean): RequestProcessorCommand => ({
  type: 'broadcast',
  event: { type: 'flush.finished', flushId: f.flushId, delivered: f.delivered, failed },
});

/** What `idle` and `held` do with an event that may change whether and what to send. */
const REDECIDE = {
  'queue.changed': { target: 'deciding', actions: 'recordQueueLength' },
  'sending.hold': { target: 'deciding', actions: 'addHold' },
  'processor.hold': { target: 'deciding', actions: 'addHold' },
  'backoff.started': { target: 'deciding', actions: 'addHold' },
  'sending.release': { target: 'deciding', actions: 'removeHold' },
  'processor.release': { target: 'deciding', actions: 'removeHold' },
  'backoff.ended': { target: 'deciding', actions: 'removeHold' },
  'settings.updated': { target: 'deciding', actions: 'applySettings' },
  'processor.flush': [{ guard: 'isHardHeld', actions: 'refuseFlush' }, { target: 'deciding', actions: 'addFlush' }],
} as const;

export const requestProcessorMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as RequestProcessorContext,
      events: {} as RequestProcessorEvent,
      input: {} as RequestProcessorInput,
      emitted: {} as RequestProcessorCommand,
    },
    delays: {
      retryCooldown: ({ context }) => context.cooldownMs,
    },
    guards: {
      isBlocked: ({ context }) => blocked(context),
      hasWork: ({ context }) => context.wake || context.flushes.length > 0,
      isHardHeld: ({ context }) => hardHeld(context),
      isDelivered: ({ event }) => event.type === 'transport.succeeded' && verdictOf(event).kind === 'delivered',
      /** Refused for good: moved aside, and the queue moves on. */
      isDeadLetter: ({ context, event }) => event.type === 'transport.succeeded' && isFinalRejection(context, event),
      /** The effect did not send at all: a hard hold arrived before the bytes left. */
      wasWithheld: ({ event }) => event.type === 'transport.failed' && event.withheld === true,
      /** A flush that arrived during the failed send still wants its own attempt, at once. */
      flushWaiting: ({ context }) => !hardHeld(context) && context.flushes.some((f) => !f.armed),
      /**
       * The page is going away: the queue may leave with it unless a hard hold stops sending
       * (as for a flush) or the last send failed (the server is unreachable: what is handed over
       * counts as sent, so it would be lost; it waits for the next visit instead).
       */
      mayHandOff: ({ context }) => !hardHeld(context) && context.lastFailure === null,
    },
    actions: {
      recordQueueLength: assign(({ event }) => {
        const requests = (event as QueueChanged).requests;
        const n = Number.isInteger(requests) && requests > 0 ? requests : 0;
        return { queueLength: n, wake: n > 0 };
      }),

      addHold: enqueueActions(({ context, event, enqueue }) => {
        const reason = holdOf(event);
        if (!isHold(reason)) {
          enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: `hold, unknown reason [${String(reason)}] ignored` });
          return;
        }
        const until = event.type === 'backoff.started' ? event.untilMs : context.backoffUntilMs;
        enqueue.assign({
          holds: context.holds.includes(reason) ? context.holds : [...context.holds, reason],
          backoffUntilMs: until,
        });
      }),

      removeHold: enqueueActions(({ context, event, enqueue }) => {
        const reason = holdOf(event);
        if (!isHold(reason)) {
          enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: `release, unknown reason [${String(reason)}] ignored` });
          return;
        }
        enqueue.assign({
          holds: context.holds.filter((h) => h !== reason),
          backoffUntilMs: reason === 'backoff' ? null : context.backoffUntilMs,
        });
      }),

      addFlush: assign({
        flushes: ({ context, event }) => [
          ...context.flushes,
          { flushId: (event as { flushId: number }).flushId, delivered: 0, armed: false },
        ],
      }),

      /** API: queue.flush() sends nothing while a hard hold is active; it resolves at once. */
      refuseFlush: enqueueActions(({ context, event, enqueue }) => {
        const flushId = (event as { flushId: number }).flushId;
        enqueue.emit({
          type: 'log',
          level: 'debug',
          module: MODULE,
          message: `flush, nothing sent while held [${context.holds.join(',')}]`,
        });
        enqueue.emit(finished({ flushId, delivered: 0, armed: false }, false));
      }),

      /** Asks for the head. Every running flush now covers this send. */
      requestHead: enqueueActions(({ context, enqueue }) => {
        enqueue.assign({ wake: false, flushes: context.flushes.map((f) => (f.armed ? f : { ...f, armed: true })) });
        enqueue.emit({ type: 'transport.sendHead', dropAgeHours: context.dropAgeHours });
      }),

      /** spec: Request Queue — removed only after a delivered response. */
      recordDelivered: enqueueActions(({ context, event, enqueue }) => {
        const seq = (event as Succeeded).seq;
        enqueue.emit({ type: 'requests.remove', seq });
        enqueue.assign({
          delivered: context.delivered + 1,
          lastFailure: null,
          rejections: null,
          cooldownMs: context.retryCooldownMs,
          wake: true,
          flushes: context.flushes.map((f) => (f.armed ? { ...f, delivered: f.delivered + 1 } : f)),
        });
      }),

      /**
       * A failed send ends every flush that covered it (API: until ... one send fails). The
       * cool-down is the spec's (l. 327), or a growing one after a refusal that cannot heal.
       */
      recordFailure: enqueueActions(({ context, event, enqueue }) => {
        const step = failureStep(context, event as Succeeded | Failed);
        for (const c of step.commands) enqueue.emit(c);
        for (const f of context.flushes) if (f.armed) enqueue.emit(finished(f, true));
        enqueue.assign(step.context);
      }),

      /**
       * The last refusal the policy allows: the request leaves the queue for the dead-letter
       * store. No cool-down (the next head has nothing to do with it); running flushes go on,
       * the moved request counted as neither delivered nor failed.
       */
      recordDeadLetter: enqueueActions(({ context, event, enqueue }) => {
        const e = event as Succeeded;
        const step = deadLetterStep(context, e);
        enqueue.emit({ type: 'requests.deadLetter', seq: e.seq, reason: step.reason });
        for (const c of step.commands) enqueue.emit(c);
        enqueue.assign(step.context);
      }),

      /** The queue is empty: every flush that covered the read is done. */
      recordIdle: enqueueActions(({ context, event, enqueue }) => {
        for (const f of context.flushes) if (f.armed) enqueue.emit(finished(f, false));
        const n = (event as Idle).queueLength;
        enqueue.assign({
          flushes: context.flushes.filter((f) => !f.armed),
          queueLength: Number.isInteger(n) && n > 0 ? n : 0,
        });
      }),

      /** A hard hold arrived during the send: flushes still running end now, not failed. */
      stopFlushesIfHardHeld: enqueueActions(({ context, enqueue }) => {
        if (!hardHeld(context) || context.flushes.length === 0) return;
        enqueue.emit({
          type: 'log',
          level: 'debug',
          module: MODULE,
          message: `flush, stopped by hold [${context.holds.join(',')}]`,
        });
        for (const f of context.flushes) enqueue.emit(finished(f, false));
        enqueue.assign({ flushes: [] });
      }),

      /** Not a failure: the head is still there and goes when the hold is released. */
      recordWithheld: assign({ wake: true }),

      /** spec: Queue Size Limit — a queue stored under a larger limit is cut to this one at once. */
      cutQueueAtBoot: enqueueActions(({ context, enqueue }) => {
        if (context.bootQueueLimit !== null) enqueue.emit({ type: 'requests.setMaxSize', max: context.bootQueueLimit, reason: 'boot' });
      }),

      /**
       * The server's settings this machine owns (spec: SDK Behavior Settings): `networking`
       * holds or releases sending, `rqs` sets the queue limit, `dort` the drop age (0 too:
       * developer settings < behavior settings).
       */
      applySettings: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'settings.updated') return;
        const step = settingsStep(context, event.settings);
        if (Object.keys(step.context).length > 0) enqueue.assign(step.context);
        for (const c of step.commands) enqueue.emit(c);
      }),

      handOff: enqueueActions(({ enqueue }) => {
        enqueue.emit({ type: 'requests.handOff' });
      }),

      keepForNextVisit: enqueueActions(({ context, enqueue }) => {
        const why = hardHeld(context) ? `held [${context.holds.join(',')}]` : 'the last send failed';
        enqueue.emit({ type: 'log', level: 'debug', module: MODULE, message: `exit, the queue stays for the next visit: ${why}` });
      }),

      ignoreStrayResult: enqueueActions(({ event, enqueue }) => {
        enqueue.emit({
          type: 'log',
          level: 'debug',
          module: MODULE,
          message: `result, [${event.type}] arrived with no send outstanding, ignored`,
        });
      }),
    },
  }).createMachine({
    id: 'requestProcessor',
    context: ({ input }) => initialProcessorContext(input),
    entry: 'cutQueueAtBoot',
    initial: 'deciding',
    // Defaults for every state: remember what happened. `idle`, `held` and `coolingDown`
    // override the events that may let them act.
    on: {
      'queue.changed': { actions: 'recordQueueLength' },
      'sending.hold': { actions: 'addHold' },
      'processor.hold': { actions: 'addHold' },
      'backoff.started': { actions: 'addHold' },
      'sending.release': { actions: 'removeHold' },
      'processor.release': { actions: 'removeHold' },
      'backoff.ended': { actions: 'removeHold' },
      'settings.updated': { actions: 'applySettings' },
      // While sending, a flush is remembered; it covers the next send.
      'processor.flush': [{ guard: 'isHardHeld', actions: 'refuseFlush' }, { actions: 'addFlush' }],
      'transport.succeeded': { actions: 'ignoreStrayResult' },
      'transport.failed': { actions: 'ignoreStrayResult' },
      'transport.idle': { actions: 'ignoreStrayResult' },
      // Whatever the state: the send in flight (if any) is the transport's to recognise.
      'app.exiting': [{ guard: 'mayHandOff', actions: 'handOff' }, { actions: 'keepForNextVisit' }],
    },
    states: {
      deciding: {
        always: [{ guard: 'isBlocked', target: 'held' }, { guard: 'hasWork', target: 'sending' }, { target: 'idle' }],
      },
      // Idle and held wait the same way: anything that may change the decision decides again.
      idle: { on: REDECIDE },
      // Only the backoff hold can be active here with a flush allowed: a flush skips it.
      held: { on: REDECIDE },
      sending: {
        entry: 'requestHead',
        on: {
          'transport.succeeded': [
            { guard: 'isDelivered', target: 'deciding', actions: ['recordDelivered', 'stopFlushesIfHardHeld'] },
            { guard: 'isDeadLetter', target: 'deciding', actions: ['recordDeadLetter', 'stopFlushesIfHardHeld'] },
            { guard: 'flushWaiting', target: 'deciding', actions: 'recordFailure' },
            { target: 'coolingDown', actions: ['recordFailure', 'stopFlushesIfHardHeld'] },
          ],
          'transport.failed': [
            { guard: 'wasWithheld', target: 'deciding', actions: ['recordWithheld', 'stopFlushesIfHardHeld'] },
            { guard: 'flushWaiting', target: 'deciding', actions: 'recordFailure' },
            { target: 'coolingDown', actions: ['recordFailure', 'stopFlushesIfHardHeld'] },
          ],
          'transport.idle': { target: 'deciding', actions: ['recordIdle', 'stopFlushesIfHardHeld'] },
        },
      },
      coolingDown: {
        // spec: Request Queue — after a failure, a cool-down, then the same request again.
        after: { retryCooldown: 'deciding' },
        on: {
          // API: queue.flush() skips the cool-down.
          'processor.flush': [{ guard: 'isHardHeld', actions: 'refuseFlush' }, { target: 'deciding', actions: 'addFlush' }],
        },
      },
    },
}))();
