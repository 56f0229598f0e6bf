/**
 * Transition coverage for model-based tests: every guarded branch of every event
 * transition of a machine, and which of them an event takes from a snapshot. Eventless
 * (`always`) branches are left out: tests check the states they lead to.
 */
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

interface NodeLike {
  id: string;
  transitions: Map<string, unknown[]>;
  states: Record<string, NodeLike>;
}

/** `<state id>|<event type>|<branch index>` for every branch of every event transition. */
export function allTransitions(machine: AnyStateMachine): Set<string> {
  const out = new Set<string>();
  const walk = (node: NodeLike): void => {
    for (const [eventType, defs] of node.transitions) defs.forEach((_, i) => out.add(`${node.id}|${eventType}|${i}`));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as NodeLike);
  return out;
}

/** The branches `event` takes from `snapshot`, in the same notation. */
export function takenTransitions(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): string[] {
  const defs = machine.getTransitionData(snapshot as never, event as never) as unknown as Array<{ source: NodeLike; eventType: string }>;
  return defs.map((t) => `${t.source.id}|${t.eventType}|${(t.source.transitions.get(t.eventType) ?? []).indexOf(t)}`);
}
