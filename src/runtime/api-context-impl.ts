/**
 * The API context of one instance: what the public namespaces call. Before `ready` every call
 * is kept and replayed in call order once storage is loaded and the device ID acquired; after
 * `shutdown()` calls are ignored with a warning.
 */
import type { EventObject } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { Instant } from '../domain/types.js';
import type { Broadcast, Command } from '../effects/commands.js';
import type { ActorName } from '../features/order.js';
import type { Logger } from '../log.js';
import type { CountlyState } from '../state.js';
import type { ApiContext, RecordFields } from './api-context.js';
import type { CallbackRegistry } from './callbacks.js';

export type PendingCall =
  | { kind: 'send'; target: ActorName; event: EventObject }
  | { kind: 'broadcast'; event: Broadcast }
  | { kind: 'command'; command: Command };

export interface ApiHost {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  status(): CountlyState['status'];
  /** Hands over buffered records (so what follows cannot overtake them). */
  settle(): void;
  /** The current instant, after the buffered records took theirs. */
  stamp(): Instant;
  /** An instant / event ID for a record kept while booting (not buffered). */
  instant(): Instant;
  eventId(): string;
  bufferRecord(fields: RecordFields): void;
  sendNow(target: ActorName, event: EventObject): void;
  deliver(event: Broadcast): void;
  commandNow(command: Command): void;
  snapshot(target: ActorName): ReturnType<ApiContext['snapshot']>;
  state(): CountlyState;
  flush(): Promise<void>;
  newId(): string;
  readonly callbacks: CallbackRegistry;
}

export function createApiContext(host: ApiHost, pending: PendingCall[]): ApiContext {
  const { log } = host;
  /** True when the call may go on now; otherwise it was kept (booting) or refused (stopped). */
  const open = (what: string, keep: () => PendingCall, fn = 'send'): boolean => {
    const status = host.status();
    if (status === 'stopped') {
      log.warning('Init', `${fn}, the SDK was shut down; ${what} ignored`);
      return false;
    }
    if (status === 'booting') {
      pending.push(keep());
      return false;
    }
    return true;
  };
  return {
    config: host.config,
    log,
    callbacks: host.callbacks,
    now: () => host.stamp(),
    newId: () => host.newId(),
    eventId: () => {
      host.settle();
      return host.eventId();
    },
    record: (fields) => {
      const keep = (): PendingCall => ({ kind: 'send', target: 'events', event: { type: 'events.record', ...fields, at: host.instant(), id: host.eventId() } as EventObject });
      if (open('events.record', keep)) host.bufferRecord(fields);
    },
    send: (target, event) => {
      if (!open(event.type, () => ({ kind: 'send', target, event }))) return;
      host.settle();
      host.sendNow(target, event);
    },
    broadcast: (event) => {
      if (open(event.type, () => ({ kind: 'broadcast', event }), 'broadcast')) host.deliver(event);
    },
    command: (command) => {
      if (!open(command.type, () => ({ kind: 'command', command }), 'command')) return;
      host.settle();
      host.commandNow(command);
    },
    snapshot: (target) => {
      host.settle();
      return host.snapshot(target);
    },
    state: () => host.state(),
    isReady: () => host.status() === 'ready',
    flush: () => host.flush(),
  };
}
