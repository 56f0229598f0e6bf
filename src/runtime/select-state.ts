/**
 * Derives the public `CountlyState`: the runtime's own fields (status, identity, queue sizes,
 * server URL) and one slice per feature, from that feature's typed `select`. Pure: reads
 * snapshots, never changes them.
 */
import type { AnyActorRef } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { Identity } from '../effects/deps.js';
import type { AnyFeature } from '../features/define.js';
import type { Features } from '../features/index.js';
import type { CountlyState } from '../state.js';

export interface StateSources {
  status: CountlyState['status'];
  config: ResolvedConfig;
  serverUrl: string;
  identity: Identity | null;
  queue: { requests: number; events: number };
  actors: Readonly<Record<string, AnyActorRef>>;
}

/** The runtime's own fields; every other key of `CountlyState` comes from a feature's slice. */
type RuntimeKeys = 'status' | 'deviceId' | 'deviceIdType' | 'offline' | 'queue' | 'serverUrl';
type SliceKeys<F> = F extends { select?: (...args: never[]) => infer R } ? keyof R : never;
/** Compile-time check: the runtime and the registered features' slices cover `CountlyState` exactly. */
type Uncovered = Exclude<keyof CountlyState, RuntimeKeys | SliceKeys<Features[number]>>;
const covered: [Uncovered] extends [never] ? true : { uncovered: Uncovered } = true;
void covered;

export function selectState(s: StateSources, list: readonly AnyFeature[]): CountlyState {
  const state: Record<string, unknown> = {
    status: s.status,
    deviceId: s.identity?.deviceId ?? null,
    deviceIdType: s.identity?.deviceIdType ?? null,
    offline: s.identity?.deviceIdType === 'TEMPORARY_ID',
    queue: { ...s.queue },
    serverUrl: s.serverUrl,
  };
  for (const feature of list) {
    if (!feature.select) continue;
    const actor = s.actors[feature.name];
    Object.assign(state, feature.select(actor?.getSnapshot(), s.config));
  }
  return state as unknown as CountlyState;
}
