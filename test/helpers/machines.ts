/** Helpers for pure machine tests (`initialTransition()` / `transition()`). */

/** The commands among the actions a pure transition returned, in emission order. */
export function emittedCommands<C>(actions: ReadonlyArray<{ type: string; params?: unknown }>): C[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: C }).event);
}
