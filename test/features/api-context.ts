/**
 * A small ApiContext for namespace tests: real feature actors on a simulated clock,
 * every send, broadcast and log line recorded.
 */
import type { CallbackInvokeCommand } from '../../src/effects/commands.js';
import { createCallbackRegistry } from '../../src/runtime/callbacks.js';
import { createActor, type AnyActorRef, type AnyStateMachine, type EventObject } from 'xstate';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import type { ActorName, ApiContext } from '../../src/runtime/api-context.js';
import { resolveConfig } from '../../src/config.js';
import type { Broadcast } from '../../src/effects/commands.js';
import type { LogLevel } from '../../src/domain/types.js';
import { createLogger } from '../../src/log.js';
import { instantAt } from '../../src/protocol/time.js';
import type { CountlyState } from '../../src/state.js';

export interface TestContext {
  ctx: ApiContext;
  clock: ManualClock;
  sent: Array<{ target: ActorName; event: EventObject }>;
  broadcasts: Broadcast[];
  lines: Array<{ level: LogLevel; line: string }>;
  actors: Partial<Record<ActorName, AnyActorRef>>;
  commands: unknown[];
  ready: boolean;
}

export function testContext(machines: Partial<Record<ActorName, { machine: AnyStateMachine; input: unknown }>> = {}): TestContext {
  const clock = simulatedClock(Date.UTC(2026, 0, 1, 10));
  const lines: TestContext['lines'] = [];
  const log = createLogger({ console: false, listener: (line, level) => lines.push({ level, line }) });
  const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, log);
  const callbacks = createCallbackRegistry(log);
  const t: TestContext = { ctx: undefined as never, clock, sent: [], broadcasts: [], lines, actors: {}, commands: [], ready: true };
  for (const [name, spec] of Object.entries(machines)) {
    const actor = createActor(spec.machine, { clock, input: spec.input });
    // Callbacks are called as the callback effect would (after the transition, here at once).
    actor.on('*', (c) => (t.commands.push(c), c.type === 'callback.invoke' && callbacks.invoke((c as CallbackInvokeCommand).token, (c as CallbackInvokeCommand).args)));
    actor.start();
    t.actors[name as ActorName] = actor;
  }
  let ids = 0;
  let last = 0;
  t.ctx = {
    config,
    log,
    callbacks,
    now: () => {
      last = Math.max(last + 1, clock.now());
      return instantAt(last);
    },
    newId: () => `id-${(ids += 1)}`,
    eventId: () => `id-${(ids += 1)}`,
    // The SDK stamps a record when it hands it over; here at once.
    record(fields) {
      this.send('events', { type: 'events.record', ...fields, at: this.now(), id: this.eventId() } as never);
    },
    send: (target, event) => {
      t.sent.push({ target, event });
      t.actors[target]?.send(event);
    },
    broadcast: (event) => {
      t.broadcasts.push(event);
    },
    command: () => undefined,
    snapshot: (target) => t.actors[target]?.getSnapshot() as never,
    state: () => ({}) as CountlyState,
    isReady: () => t.ready,
    flush: async () => undefined,
  };
  return t;
}
