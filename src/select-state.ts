/**
 * Derives the public `CountlyState` from the actors' snapshots and the queue sizes. Pure:
 * reads snapshots, never changes them.
 */
import type { AnyActorRef } from 'xstate';
import type { ResolvedConfig } from './config.js';
import { ConsentFeatures, type ConsentState } from './domain/types.js';
import type { Identity } from './effects/deps.js';
import type { CountlyState } from './state.js';

export interface StateSources {
  status: CountlyState['status'];
  config: ResolvedConfig;
  serverUrl: string;
  identity: Identity | null;
  queue: { requests: number; events: number };
  actors: Record<string, AnyActorRef>;
}

type Ctx = Record<string, unknown>;

const contextOf = (actors: Record<string, AnyActorRef>, name: string): Ctx | undefined =>
  (actors[name]?.getSnapshot() as { context?: Ctx } | undefined)?.context;

const stateValueOf = (actors: Record<string, AnyActorRef>, name: string): string => {
  const value = (actors[name]?.getSnapshot() as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value : value === undefined ? 'stopped' : JSON.stringify(value);
};

function consentOf(ctx: Ctx | undefined, required: boolean): ConsentState {
  const given = ctx?.given ?? ctx?.consent;
  if (given && typeof given === 'object') return { ...(given as ConsentState) };
  return Object.fromEntries(ConsentFeatures.map((f) => [f, !required])) as unknown as ConsentState;
}

export function selectState(s: StateSources): CountlyState {
  const { actors, config } = s;
  const processor = contextOf(actors, 'processor');
  const backoff = contextOf(actors, 'backoff');
  const session = contextOf(actors, 'session');
  const views = contextOf(actors, 'views');
  const consent = contextOf(actors, 'consent');
  const runningViews = Array.isArray(views?.running)
    ? (views.running as Array<{ id: string; name: string; paused?: boolean }>).map((v) => ({ id: v.id, name: v.name, paused: v.paused === true }))
    : [];
  return {
    status: s.status,
    deviceId: s.identity?.deviceId ?? null,
    deviceIdType: s.identity?.deviceIdType ?? null,
    offline: s.identity?.deviceIdType === 'TEMPORARY_ID',
    session: {
      running: stateValueOf(actors, 'session').includes('running') || session?.running === true,
      mode: config.manualSessions === 'hybrid' ? 'hybrid' : config.manualSessions ? 'manual' : 'automatic',
      foreground: session?.foreground !== false,
    },
    views: { current: typeof views?.currentViewId === 'string' && views.currentViewId !== '' ? views.currentViewId : null, running: runningViews },
    consent: { required: consent?.required === true || config.requiresConsent, given: consentOf(consent, config.requiresConsent) },
    queue: { ...s.queue },
    backoff: {
      active: typeof backoff?.untilMs === 'number',
      total: typeof backoff?.total === 'number' ? backoff.total : 0,
      maxConsecutive: typeof backoff?.maxConsecutive === 'number' ? backoff.maxConsecutive : 0,
    },
    processor: { state: stateValueOf(actors, 'processor'), holds: Array.isArray(processor?.holds) ? [...(processor.holds as string[])] : [] },
    serverUrl: s.serverUrl,
  };
}
