/**
 * SDK health check (spec 001: Health Checks l. 4879-5075; docs/health-check.md). Counts
 * what went wrong since the last acknowledged report, persists it, and reports it once per
 * init as an immediate `/i` request with `hc=` and `metrics=`.
 *
 * - Counting (l. 4925-4960), in every state, whether or not reporting is enabled (l. 4899):
 *   `log.problems` → `el`/`wl`; a queued request the server did not take (`transport.succeeded`
 *   judged not delivered) → `sc`/`em` (a request with no answer has no status code, and the
 *   spec ignores a status outside 1..999: nothing recorded); `backoff.started` → `bom` and the
 *   current run; a delivered response that did not trigger a backoff ends the run. The
 *   backoff machine broadcasts `backoff.started` while it handles the response, after this
 *   machine heard the same response (DELIVERY_ORDER: healthCheck before backoff), so the run
 *   ends only when the *next* delivered response arrives with no `backoff.started` between.
 * - Saving (l. 4963-4979, 5010-5016): `session.updating`, `session.ending`, `app.hidden` and
 *   `sdk.stopping` write `HEALTH_CHECK` when something changed. `cbom` is kept at its maximum
 *   at every count, so the save needs no finalisation and does not cut a running run.
 * - Reporting (l. 4907-4923): at start, unless disabled or in temporary-ID mode. One attempt
 *   per init: a report withheld by a hold (offline, networking off) is not retried; counters
 *   are kept for the next init. Only a 2xx JSON object answer holding `result` clears them —
 *   to what was counted *after* the report left (warnings logged while it was in flight
 *   belong to the next report; the spec's clearAndSave would lose them).
 *
 * States: `deciding` (transient) → `reporting` (the request is in flight) → `idle`; or
 * `deciding` → `idle` when the report is skipped.
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import { classifyResult, judge } from '../../domain/response.js';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import {
  countBackoff,
  countFailure,
  countProblems,
  EMPTY_COUNTERS,
  HC_TAG,
  hcParam,
  HEALTH_CHECK_KEY,
  isEmpty,
  metricsParam,
  restoreCounters,
  serializeCounters,
  type HealthCounters,
} from './counters.js';

export interface HealthCheckInput {
  /** `false` after `disableHealthCheck` (l. 4891): counters still count, no report. */
  enabled: boolean;
  /** Temporary-ID mode at boot (l. 4910). */
  temporaryId: boolean;
  /** `metricOverride._app_version`, else `config.appVersion` (l. 5039). */
  appVersion: string;
  /** `BootData.stored.HEALTH_CHECK` as read. */
  stored: unknown;
}

export type HealthCheckOutcome = 'disabled' | 'temporary-id' | 'acknowledged' | 'unacknowledged' | 'withheld' | 'network';

export interface HealthCheckContext {
  enabled: boolean;
  temporaryId: boolean;
  appVersion: string;
  /** Everything since the last acknowledged report: what is reported and persisted. */
  counters: HealthCounters;
  /** Counted since the report left, while it is in flight (null otherwise): what remains once it is acknowledged. */
  fresh: HealthCounters | null;
  /** The current run of consecutive backoffs. */
  run: number;
  /** A delivered response was heard and no `backoff.started` followed it (yet): the next one ends the run. */
  runEnding: boolean;
  /** Counters changed since the last write. */
  dirty: boolean;
  /** The stored state was malformed at boot (cleared on start). */
  malformed: boolean;
  /** The report went out this init (the one-shot flag; a withheld report counts as not sent). */
  sent: boolean;
  outcome: HealthCheckOutcome | null;
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }> & { at?: Instant };
type Saving = 'session.updating' | 'session.ending' | 'app.hidden' | 'sdk.stopping';

export type HealthCheckEvent =
  | Extract<Broadcast, { type: 'log.problems' | 'backoff.started' }>
  | Extract<EffectResult, { type: 'transport.succeeded' | 'direct.answered' | 'direct.failed' }>
  | Stamped<Saving>;

export type HealthCheckCommand = Extract<Command, { type: 'direct.request' | 'storage.set' | 'log' }>;

export const healthCheckListensTo: readonly HealthCheckEvent['type'][] = /* @__PURE__ */ Object.freeze([
  'log.problems',
  'backoff.started',
  'transport.succeeded',
  'direct.answered',
  'direct.failed',
  'session.updating',
  'session.ending',
  'app.hidden',
  'sdk.stopping',
] as const);

const MODULE = 'HealthCheck';
const log = (level: 'debug' | 'info', message: string): HealthCheckCommand => ({ type: 'log', level, module: MODULE, message });

export function healthCheckContextFrom(input: HealthCheckInput): HealthCheckContext {
  const { counters, malformed } = restoreCounters(input.stored);
  return {
    enabled: input.enabled,
    temporaryId: input.temporaryId,
    appVersion: input.appVersion,
    counters,
    fresh: null,
    run: 0,
    runEnding: false,
    dirty: false,
    malformed,
    sent: false,
    outcome: null,
  };
}

/** Applies one counting rule to the counters and, while a report is in flight, to what was counted since. */
function both(c: HealthCheckContext, f: (x: HealthCounters) => HealthCounters): Pick<HealthCheckContext, 'counters' | 'fresh' | 'dirty'> {
  const counters = f(c.counters);
  return { counters, fresh: c.fresh === null ? null : f(c.fresh), dirty: c.dirty || counters !== c.counters };
}

const ownAnswer = (e: HealthCheckEvent): boolean => (e.type === 'direct.answered' || e.type === 'direct.failed') && e.tag === HC_TAG;

export const healthCheckMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as HealthCheckInput,
      context: {} as HealthCheckContext,
      events: {} as HealthCheckEvent,
      emitted: {} as HealthCheckCommand,
    },
    guards: {
      disabled: ({ context }) => !context.enabled,
      temporaryId: ({ context }) => context.temporaryId,
      ownAnswer: ({ event }) => ownAnswer(event),
      /** l. 4920, 5051: a JSON object holding `result` (with a 2xx status, the queue's success rule). */
      acknowledged: ({ event }) =>
        ownAnswer(event) && event.type === 'direct.answered' && classifyResult({ kind: 'response', status: event.status, body: event.body, elapsedMs: 0 }).ok,
    },
    actions: {
      /** l. 4999: malformed stored state is cleared (`''`, as clearAndSave does). */
      clearMalformed: enqueueActions(({ context, enqueue }) => {
        if (!context.malformed) return;
        enqueue.emit({ type: 'storage.set', key: HEALTH_CHECK_KEY, value: '' });
        enqueue.emit(log('debug', 'init, the stored health counters were malformed; reset'));
        enqueue.assign({ malformed: false });
      }),
      skip: enqueueActions(({ context, enqueue }) => {
        const outcome = context.enabled ? 'temporary-id' : 'disabled';
        enqueue.emit(log('debug', `sendHealthCheck, not sent (${outcome === 'disabled' ? 'disabled by config' : 'temporary device ID mode'})`));
        enqueue.assign({ outcome });
      }),
      report: enqueueActions(({ context, enqueue }) => {
        enqueue.emit({
          type: 'direct.request',
          tag: HC_TAG,
          endpoint: '/i',
          params: { metrics: metricsParam(context.appVersion), hc: hcParam(context.counters) },
        });
        enqueue.assign({ sent: true, fresh: { ...EMPTY_COUNTERS } });
      }),
      acknowledge: enqueueActions(({ context, enqueue }) => {
        const rest = context.fresh ?? { ...EMPTY_COUNTERS };
        enqueue.emit({ type: 'storage.set', key: HEALTH_CHECK_KEY, value: isEmpty(rest) ? '' : serializeCounters(rest) });
        enqueue.emit(log('debug', 'sendHealthCheck, acknowledged; counters cleared'));
        enqueue.assign({ counters: rest, fresh: null, dirty: false, outcome: 'acknowledged' });
      }),
      /** l. 4922-4923: kept in memory and storage, re-sent at the next init. */
      retain: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, ['direct.answered', 'direct.failed']);
        const outcome: HealthCheckOutcome = event.type === 'direct.answered' ? 'unacknowledged' : event.kind;
        const why = event.type === 'direct.answered' ? `status ${event.status} without "result"` : event.reason;
        enqueue.emit(log(outcome === 'withheld' ? 'info' : 'debug', `sendHealthCheck, not acknowledged (${why}); counters kept for the next init`));
        enqueue.assign({ fresh: null, outcome, ...(outcome === 'withheld' ? { sent: false } : {}) });
      }),
      countProblems: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'log.problems');
        if (event.errors === 0 && event.warnings === 0) return;
        enqueue.assign(both(context, (c) => countProblems(c, event.errors, event.warnings)));
      }),
      countResponse: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'transport.succeeded');
        const verdict = judge({ kind: 'response', status: event.status, body: event.body, elapsedMs: event.elapsedMs });
        if (verdict.kind !== 'delivered') enqueue.assign(both(context, (c) => countFailure(c, event.status, event.body)));
        // logConsecutiveBackoffRequest (l. 4953-4958): the previous delivered response did not back off.
        if (classifyResult({ kind: 'response', status: event.status, body: event.body, elapsedMs: event.elapsedMs }).ok) {
          enqueue.assign({ run: context.runEnding ? 0 : context.run, runEnding: true });
        }
      }),
      countBackoff: enqueueActions(({ context, enqueue }) => {
        const run = context.run + 1;
        enqueue.assign({ ...both(context, (c) => countBackoff(c, run)), run, runEnding: false });
      }),
      save: enqueueActions(({ context, enqueue }) => {
        if (!context.dirty) return;
        enqueue.emit({ type: 'storage.set', key: HEALTH_CHECK_KEY, value: serializeCounters(context.counters) });
        enqueue.assign({ dirty: false });
      }),
    },
  }).createMachine({
    id: 'healthCheck',
    context: ({ input }) => healthCheckContextFrom(input),
    initial: 'deciding',
    on: {
      'log.problems': { actions: 'countProblems' },
      'transport.succeeded': { actions: 'countResponse' },
      'backoff.started': { actions: 'countBackoff' },
      'session.updating': { actions: 'save' },
      'session.ending': { actions: 'save' },
      'app.hidden': { actions: 'save' },
      'sdk.stopping': { actions: 'save' },
    },
    states: {
      deciding: {
        entry: 'clearMalformed',
        always: [
          { guard: 'disabled', target: 'idle', actions: 'skip' },
          { guard: 'temporaryId', target: 'idle', actions: 'skip' },
          { target: 'reporting' },
        ],
      },
      reporting: {
        entry: 'report',
        on: {
          'direct.answered': [
            { guard: 'acknowledged', target: 'idle', actions: 'acknowledge' },
            { guard: 'ownAnswer', target: 'idle', actions: 'retain' },
          ],
          'direct.failed': { guard: 'ownAnswer', target: 'idle', actions: 'retain' },
        },
      },
      idle: {},
    },
}))();
