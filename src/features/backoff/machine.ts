/**
 * The backoff mechanism (spec: Backoff Mechanism): when the server answers slowly while the
 * queue is short and the request is recent, pause the request processor for `bom_d`
 * seconds. The machine hears every `transport.succeeded`, decides, and broadcasts
 * `backoff.started` / `backoff.ended`; the request processor turns those into its
 * `backoff` hold. It also keeps the health-check counters `bom` and `cbom`.
 *
 * States: `watching` → `backingOff.pausing` (re-entered when another response triggers
 * during the pause, which restarts the pause) → `watching`.
 */
import { assign, enqueueActions, setup } from 'xstate';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import { classifyResult } from '../../domain/response.js';

/** The server-configurable backoff settings (spec: SDK Behavior Settings). */
export interface BackoffSettings {
  /** enabled */
  bom: boolean;
  /** accepted response time, seconds */
  bom_at: number;
  /** accepted share of the request queue in use, 0..1 */
  bom_rqp: number;
  /** accepted request age, hours */
  bom_ra: number;
  /** pause length, seconds */
  bom_d: number;
}

/** spec: SDK Behavior Settings > Storage — the defaults. */
export const DEFAULT_BACKOFF_SETTINGS: Readonly<BackoffSettings> = /* @__PURE__ */ Object.freeze({
  bom: true,
  bom_at: 10,
  bom_rqp: 0.5,
  bom_ra: 24,
  bom_d: 60,
});

export interface BackoffCounters {
  /** Health check `bom`: responses that triggered a backoff. */
  total: number;
  /** Health check `cbom`: the longest run of consecutive triggering responses. */
  maxConsecutive: number;
}

export interface BackoffInput {
  /** `false` after `disableBackoffMechanism()`: never backs off, whatever the server says. */
  enabled: boolean;
  /** The request queue limit the queue load check divides by. */
  maxQueueSize: number;
  /** Behavior settings known at boot, decoded; missing keys take the defaults. */
  settings?: BehaviorSettings;
  /** Counters kept from an earlier run (the health check persists them). */
  counters?: Partial<BackoffCounters>;
}

export interface BackoffContext extends BackoffCounters {
  enabled: boolean;
  maxQueueSize: number;
  settings: BackoffSettings;
  /**
   * The current run: triggering responses since the last delivered response that did not
   * trigger. Responses that were not delivered, and responses while disabled, leave it.
   */
  consecutive: number;
  /** When the current pause ends (ms), or `null` when not backing off. */
  untilMs: number | null;
}

type Succeeded = Extract<EffectResult, { type: 'transport.succeeded' }>;

export type BackoffEvent =
  | Succeeded
  /** Behavior settings changed (decoded): the `bom*` keys (and `rqs`) are read, the rest ignored. */
  | Extract<Broadcast, { type: 'settings.updated' }>
  /** The health check delivered its report: start counting again. */
  | { type: 'backoff.resetCounters' };

export type BackoffCommand = Extract<Command, { type: 'log' } | { type: 'broadcast' }>;

/** The broadcasts the router must deliver to the backoff machine (`transport.succeeded` is a fixed route). */
export const backoffListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['settings.updated'] as const);

const MODULE = 'Backoff';
const DEFAULT_MAX_QUEUE_SIZE = 1000;
const HOUR_MS = 3_600_000;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const KEYS = /* @__PURE__ */ Object.keys(DEFAULT_BACKOFF_SETTINGS) as (keyof BackoffSettings)[];

/**
 * The `bom*` keys the settings carry. They arrive decoded (spec: SDK Behavior Settings —
 * `bom` a boolean, `bom_at`/`bom_ra`/`bom_d` > 0, `bom_rqp` in (0, 1]): the decoder dropped
 * and warned about invalid values, so an absent key keeps the current value.
 */
export function readBackoffSettings(settings: BehaviorSettings): Partial<BackoffSettings> {
  const out: Partial<BackoffSettings> = {};
  for (const key of KEYS) if (settings[key] !== undefined) (out as Record<string, unknown>)[key] = settings[key];
  return out;
}

export function initialBackoffContext(input: BackoffInput): BackoffContext {
  const settings = readBackoffSettings(input.settings ?? {});
  const total = isCount(input.counters?.total) ? input.counters.total : 0;
  const maxConsecutive = isCount(input.counters?.maxConsecutive) ? Math.min(input.counters.maxConsecutive, total) : 0;
  return {
    enabled: input.enabled !== false,
    maxQueueSize: Number.isInteger(input.maxQueueSize) && input.maxQueueSize > 0 ? input.maxQueueSize : DEFAULT_MAX_QUEUE_SIZE,
    settings: { ...DEFAULT_BACKOFF_SETTINGS, ...settings },
    total,
    consecutive: 0,
    maxConsecutive,
    untilMs: null,
  };
}

/** Whether a response is judged at all: the mechanism is on and the request was delivered. */
function evaluated(c: BackoffContext, e: Succeeded): boolean {
  return c.enabled && c.settings.bom && classifyResult({ kind: 'response', status: e.status, body: e.body, elapsedMs: e.elapsedMs }, e.route).ok;
}

/** spec: Backoff Mechanism — the 3-stage check. */
export function shouldBackOff(c: BackoffContext, e: Succeeded): boolean {
  if (!evaluated(c, e)) return false;
  const s = c.settings;
  const slow = e.elapsedMs >= s.bom_at * 1000;
  const queueLight = e.queueLength / c.maxQueueSize <= s.bom_rqp;
  const age = e.completedAt - e.createdAt;
  // An unknown creation time (NaN) fails the age check: never back off on a guess.
  const recent = Number.isFinite(age) && age <= s.bom_ra * HOUR_MS;
  return slow && queueLight && recent;
}

export const backoffMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as BackoffContext,
      events: {} as BackoffEvent,
      input: {} as BackoffInput,
      emitted: {} as BackoffCommand,
    },
    delays: {
      backoffDuration: ({ context }) => context.settings.bom_d * 1000,
    },
    guards: {
      triggers: ({ context, event }) => event.type === 'transport.succeeded' && shouldBackOff(context, event),
      isEvaluated: ({ context, event }) => event.type === 'transport.succeeded' && evaluated(context, event),
      turnsOff: ({ context, event }) =>
        event.type === 'settings.updated' && event.settings.bom === false && context.settings.bom,
    },
    actions: {
      /** Health check: logBackoffRequest. `cbom` is kept up to date at once, so cbom ≤ bom always. */
      countBackoff: assign(({ context, event }) => {
        const e = event as Succeeded;
        const consecutive = context.consecutive + 1;
        return {
          total: context.total + 1,
          consecutive,
          maxConsecutive: Math.max(context.maxConsecutive, consecutive),
          untilMs: e.completedAt + context.settings.bom_d * 1000,
        };
      }),
      /** Health check: logConsecutiveBackoffRequest — a delivered response that did not trigger ends the run. */
      endRun: assign({ consecutive: 0 }),
      announce: enqueueActions(({ context, event, enqueue }) => {
        const e = event as Succeeded;
        enqueue.emit({
          type: 'log',
          level: 'warning',
          module: MODULE,
          message: `backoff, server slow (${e.elapsedMs} ms, ${e.queueLength} queued), pausing for ${context.settings.bom_d} s`,
        });
        enqueue.emit({ type: 'broadcast', event: { type: 'backoff.started', untilMs: context.untilMs as number } });
      }),
      finish: enqueueActions(({ enqueue }) => {
        enqueue.assign({ untilMs: null });
        enqueue.emit({ type: 'broadcast', event: { type: 'backoff.ended' } });
      }),
      applySettings: assign(({ context, event }) => {
        if (event.type !== 'settings.updated') return {};
        return {
          settings: { ...context.settings, ...readBackoffSettings(event.settings) },
          // rqs is the request queue size the load check divides by (spec: SDK Behavior Settings).
          maxQueueSize: event.settings.rqs ?? context.maxQueueSize,
        };
      }),
      resetCounters: assign({ total: 0, consecutive: 0, maxConsecutive: 0 }),
    },
  }).createMachine({
    id: 'backoff',
    context: ({ input }) => initialBackoffContext(input),
    initial: 'watching',
    on: {
      'settings.updated': { actions: 'applySettings' },
      'backoff.resetCounters': { actions: 'resetCounters' },
    },
    states: {
      watching: {
        on: {
          'transport.succeeded': [
            { guard: 'triggers', target: 'backingOff', actions: 'countBackoff' },
            { guard: 'isEvaluated', actions: 'endRun' },
          ],
        },
      },
      backingOff: {
        exit: 'finish',
        initial: 'pausing',
        on: {
          // spec: disableBackoffMechanism — "after disabling, mechanism must not work".
          'settings.updated': [{ guard: 'turnsOff', target: 'watching', actions: 'applySettings' }, { actions: 'applySettings' }],
        },
        states: {
          pausing: {
            entry: 'announce',
            after: { backoffDuration: '#backoff.watching' },
            on: {
              // A flush may send during the pause; a slow answer to it restarts the pause.
              'transport.succeeded': [
                { guard: 'triggers', target: 'pausing', reenter: true, actions: 'countBackoff' },
                { guard: 'isEvaluated', actions: 'endRun' },
              ],
            },
          },
        },
      },
    },
}))();
