/**
 * Starting and stopping the features' actors: one top-level actor per registered feature,
 * its commands forwarded to the effect pipeline, its changes published. Started in registry
 * (boot) order, stopped in reverse delivery order.
 */
import { createActor, type AnyActorRef, type AnyStateMachine, type InspectionEvent } from 'xstate';
import type { Clock } from '../adapters/types.js';
import type { Command } from '../effects/commands.js';
import type { AnyFeature, BootData } from '../features/define.js';
import { DELIVERY_ORDER, type ActorName } from '../features/order.js';
import { errorText, type Logger } from '../log.js';
import type { CountlyConfig } from '../types.js';

export interface ActorHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly inspect: ((event: InspectionEvent) => void) | undefined;
  command(command: Command): void;
  changed(): void;
}

export class Actors {
  /** `countly.actors`: filled at boot, the same object for the instance's life. */
  readonly refs: Record<string, AnyActorRef> = {};
  private readonly cleanups: Array<() => void> = [];

  /** Creates every actor (commands reach listeners only if attached before start), then starts them in order. */
  start(list: readonly AnyFeature[], boot: BootData, host: ActorHost): void {
    const created: AnyActorRef[] = [];
    for (const feature of list) {
      const actor = createActor(feature.machine as AnyStateMachine, {
        input: feature.input(boot),
        clock: host.clock,
        ...(host.inspect ? { inspect: host.inspect } : {}),
      });
      actor.on('*', (command) => host.command(command as Command));
      const watched = actor.subscribe({
        next: () => host.changed(),
        error: (error: unknown) => host.log.error('Init', `actor ${feature.name} failed: ${errorText(error)}`),
      });
      this.cleanups.push(() => watched.unsubscribe());
      this.refs[feature.name] = actor;
      created.push(actor);
    }
    for (const actor of created) actor.start();
  }

  get(name: ActorName): AnyActorRef | undefined {
    return this.refs[name];
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const name of [...DELIVERY_ORDER].reverse()) this.refs[name]?.stop();
  }
}

/**
 * The user's inspector, made safe: an inspector that throws (a closed WebSocket, a bug in a
 * callback) must not stop an actor. Every event still goes to it; only the first failure is logged.
 */
export function guardInspector(inspect: CountlyConfig['inspect'], log: Logger): ((event: InspectionEvent) => void) | undefined {
  if (inspect === undefined || inspect === null) return undefined;
  const next = typeof inspect === 'function' ? inspect : typeof inspect.next === 'function' ? inspect.next.bind(inspect) : undefined;
  if (!next) {
    log.warning('Init', 'createCountly, "inspect" must be a function or an observer with next(); ignored');
    return undefined;
  }
  let failed = false;
  return (event) => {
    try {
      next(event);
    } catch (error) {
      if (!failed) log.error('Init', `inspect, the inspector threw (logged once, the SDK goes on): ${errorText(error)}`);
      failed = true;
    }
  };
}
