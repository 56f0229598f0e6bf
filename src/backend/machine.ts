/**
 * The backend's pool machine: decides when the event pool (`pool.ts`) becomes requests
 * (SDK guide l. 5531–5549). It holds no events — the pool is plain data the hot path fills in
 * O(1) — and hears only what changes a decision: a threshold reached (`pool.reached`), a
 * request of a device (its pooled events go first, so per device the server sees the calls
 * in order), `flush()`, `shutdown()`, and its own timer.
 *
 * States:
 * - `running`  the periodic timer (`flushInterval`, spec l. 5549 "the SDK's periodic timer ...
 *              triggers a full dump") re-enters it and empties the whole pool;
 * - `stopped`  after `backend.stop`: the pool was emptied once more, nothing is decided again.
 */
import { enqueueActions, setup } from 'xstate';
import type { Command } from '../effects/commands.js';
import type { BackendRequest, PoolScope, TakeReason } from './commands.js';
import type { PoolLevel } from './pool.js';

export interface PoolMachineInput {
  /** `flushIntervalSeconds` in ms. */
  readonly flushIntervalMs: number;
}

export interface PoolMachineContext {
  readonly flushIntervalMs: number;
  /** Takes decided so far, per reason (diagnostics, `state`). */
  readonly takes: Readonly<Record<TakeReason, number>>;
}

export type PoolMachineEvent =
  /** The hot path reached a threshold while pooling an event of this device. */
  | { type: 'pool.reached'; level: Exclude<PoolLevel, 'none'>; appKey: string; deviceId: string }
  /** A request of a device (session, crash, user details, merge, direct). */
  | { type: 'backend.request'; request: BackendRequest }
  /** `flush()`: everything pooled becomes requests now. */
  | { type: 'backend.flush' }
  /** `shutdown()`: everything pooled becomes requests, the timer stops. */
  | { type: 'backend.stop' };

export type PoolMachineCommand = Extract<Command, { type: 'pool.take' | 'backend.store' }>;

const NO_TAKES: Readonly<Record<TakeReason, number>> = /* @__PURE__ */ Object.freeze({ device: 0, app: 0, server: 0, timer: 0, flush: 0, order: 0, shutdown: 0 });

/** The part of the pool a threshold empties: the level reached says how much (spec l. 5535–5545). */
export function scopeOf(level: Exclude<PoolLevel, 'none'>, appKey: string, deviceId: string): PoolScope {
  if (level === 'server') return { kind: 'all' };
  if (level === 'app') return { kind: 'app', appKey };
  return { kind: 'device', appKey, deviceId };
}

export const poolMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as PoolMachineInput,
      context: {} as PoolMachineContext,
      events: {} as PoolMachineEvent,
      emitted: {} as PoolMachineCommand,
    },
    delays: {
      flushInterval: ({ context }) => context.flushIntervalMs,
    },
    actions: {
      takeReached: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'pool.reached') return;
        enqueue.emit({ type: 'pool.take', scope: scopeOf(event.level, event.appKey, event.deviceId), reason: event.level });
        enqueue.assign({ takes: { ...context.takes, [event.level]: context.takes[event.level] + 1 } });
      }),
      /** The device's pooled events are queued before its request: the server sees its calls in order. */
      storeAfterDevice: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'backend.request') return;
        const { appKey, deviceId } = event.request;
        enqueue.emit({ type: 'pool.take', scope: { kind: 'device', appKey, deviceId }, reason: 'order' });
        enqueue.emit({ type: 'backend.store', request: event.request });
      }),
      takeAll: enqueueActions(({ context, enqueue }, params: { reason: 'timer' | 'flush' | 'shutdown' }) => {
        enqueue.emit({ type: 'pool.take', scope: { kind: 'all' }, reason: params.reason });
        enqueue.assign({ takes: { ...context.takes, [params.reason]: context.takes[params.reason] + 1 } });
      }),
    },
  }).createMachine({
    id: 'backendPool',
    context: ({ input }) => ({ flushIntervalMs: input.flushIntervalMs, takes: NO_TAKES }),
    initial: 'running',
    states: {
      running: {
        after: {
          flushInterval: { target: 'running', reenter: true, actions: { type: 'takeAll', params: { reason: 'timer' } } },
        },
        on: {
          'pool.reached': { actions: 'takeReached' },
          'backend.request': { actions: 'storeAfterDevice' },
          'backend.flush': { actions: { type: 'takeAll', params: { reason: 'flush' } } },
          'backend.stop': { target: 'stopped', actions: { type: 'takeAll', params: { reason: 'shutdown' } } },
        },
      },
      stopped: {
        // Calls after shutdown never reach the machine (the API refuses them); nothing is decided here.
        type: 'final',
      },
    },
}))();
