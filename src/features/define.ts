/**
 * The shape of a feature: one definition per feature, from which the runtime derives
 * everything it needs to host it (actor, routing, effects, stamped broadcasts, its slice of
 * `CountlyState`, its public namespace). A feature lives in `src/features/<name>/` and is
 * registered by one line in `src/features/index.ts`; see docs/adding-a-feature.md.
 */
import type { AnyStateMachine, EventFromLogic, InputFrom, SnapshotFrom } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { BehaviorSettings } from '../domain/behavior-settings.js';
import type { ConsentState, DeviceIdType, Instant, PlatformFacts, WireEvent } from '../domain/types.js';
import type { Broadcast, EffectResult } from '../effects/commands.js';
import type { Effect } from '../effects/deps.js';
import type { ApiContext } from '../runtime/api-context.js';
import type { CountlyState } from '../state.js';

/**
 * Everything a feature's `input` may read, read once at boot as plain data: storage, the
 * truth table's identity, the platform's facts. No adapter reaches a machine.
 */
export interface BootData {
  readonly config: ResolvedConfig;
  /** The parsed key-value storage. */
  readonly stored: Readonly<Record<string, unknown>>;
  /** The persisted event queue. */
  readonly storedEvents: readonly WireEvent[];
  /** What the platform said at boot (foreground, orientation, name), read once. */
  readonly platform: PlatformFacts;
  /** The device ID the platform found in the URL (browser `cly_id`), read once. */
  readonly urlDeviceId: string | undefined;
  /** A fresh UUID the device-ID machine uses if it has to generate an ID. */
  readonly generatedId: string;
  readonly queueLength: number;
  /** The device ID the truth table gives at boot (the device-ID machine starts with it). */
  readonly initialIdentity: { deviceId: string; deviceIdType: DeviceIdType };
  /** The device ID in use that came from the URL (sent with `t=3`), if any. */
  readonly urlIdentity: string | null;
  /** The stored identity `clearStoredDeviceId` replaced at this init, if any. */
  readonly clearedIdentity: { deviceId: string; deviceIdType: DeviceIdType } | null;
  /** The consent every feature starts with (config and `cr`), computed once. */
  readonly consent: ConsentState;
  /** Behavior settings known at boot (provided < stored), decoded. */
  readonly settings: BehaviorSettings;
  /** The same, as stored: the raw merged object the settings feature persists and merges into. */
  readonly rawSettings: Readonly<Record<string, unknown>>;
  /** The moment of boot (a session that begins at init is stamped with it). */
  readonly at: Instant;
  /** A seed for view and orientation event IDs. */
  readonly idSeed: string;
}

/** What the router may deliver to an actor: broadcasts and effect results. */
export type Deliverable = Broadcast['type'] | EffectResult['type'] | 'event.record';

/** A feature's public namespace context: the shared API context plus a typed line to its own actor. */
export interface FeatureContext<M extends AnyStateMachine> extends Omit<ApiContext, 'send' | 'snapshot'> {
  /** Sends an event to this feature's actor (kept and replayed in call order before `ready`). */
  send(event: EventFromLogic<M>): void;
  /** This feature's actor snapshot (after boot). */
  snapshot(): SnapshotFrom<M> | undefined;
  /** Sends an event to another feature's actor, typed by that feature's definition. */
  sendTo<F extends AnyFeature>(feature: F, event: EventFromLogic<F['machine']>): void;
  /** Another feature's actor snapshot (after boot), typed by its definition: cheaper than `state()`. */
  snapshotOf<F extends AnyFeature>(feature: F): SnapshotFrom<F['machine']> | undefined;
}

export interface FeatureDefinition<Name extends string, M extends AnyStateMachine, Api extends object, Keys extends keyof CountlyState> {
  /** The actor name (`countly.actors[name]`). */
  readonly name: Name;
  /** Its folder under `src/features/`, also the base name of its exported model (`models/<model>.machine.json`). */
  readonly model: string;
  readonly machine: M;
  /** The actor's input, from the boot data. */
  readonly input: (boot: BootData) => InputFrom<M>;
  /** Broadcasts and effect results the router delivers to this actor. */
  readonly listensTo: readonly Deliverable[];
  /** Effects of this feature's own commands; they join the pipeline. */
  readonly effects?: readonly Effect[];
  /** Broadcasts this feature emits that are stamped with the moment of delivery when they carry none. */
  readonly stamped?: readonly Broadcast['type'][];
  /** This feature's slice of `CountlyState`, from its snapshot (undefined before boot / after shutdown). */
  readonly select?: (snapshot: SnapshotFrom<M> | undefined, config: ResolvedConfig) => Pick<CountlyState, Keys>;
  /** The public namespaces (and methods) this feature adds to the instance. */
  readonly api?: (ctx: FeatureContext<M>) => Api;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFeature = FeatureDefinition<string, AnyStateMachine, object, any>;

/** Identity with inference: the one way a feature is declared. */
export function defineFeature<Name extends string, M extends AnyStateMachine, Api extends object = object, Keys extends keyof CountlyState = never>(
  definition: FeatureDefinition<Name, M, Api, Keys>,
): FeatureDefinition<Name, M, Api, Keys> {
  return definition;
}
