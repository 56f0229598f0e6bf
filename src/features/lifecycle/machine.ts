/**
 * The app's lifecycle: one counter of visible components for the whole SDK (spec: Sessions >
 * Automatic Session Tracking — "begin on the first visible component, end when none is
 * left"). The platform's hooks and `countly.lifecycle` feed it `lifecycle.foreground` /
 * `lifecycle.background`; it broadcasts `app.visible` only on 0→1 and `app.hidden`
 * only on 1→0, so every feature hears the same, balanced story.
 *
 * One rule for an unbalanced background (more backgrounds than foregrounds): ignored with an
 * error log (spec: Automatic Session Tracking > Precautions — "Unbalanced lifecycle calls
 * (counter going negative) should be ignored with an error log").
 *
 * States: `visible` (count ≥ 1) ⇄ `hidden` (count 0). The foreground at boot counts as one
 * visible component (read once by the runtime).
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export interface LifecycleInput {
  /** The app is in the foreground at boot. */
  foreground: boolean;
}

export interface LifecycleContext {
  /** Visible components now. */
  visible: number;
}

export type LifecycleEvent = { type: 'lifecycle.foreground'; at: Instant } | { type: 'lifecycle.background'; at: Instant };

export type LifecycleCommand = Extract<Command, { type: 'broadcast' | 'log' }>;

/** The lifecycle machine hears no broadcast: it is where they start. */
export const lifecycleListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([]);

export const lifecycleMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as LifecycleInput,
      context: {} as LifecycleContext,
      events: {} as LifecycleEvent,
      emitted: {} as LifecycleCommand,
    },
    actions: {
      countUp: assign({ visible: ({ context }) => context.visible + 1 }),
      countDown: assign({ visible: ({ context }) => context.visible - 1 }),
      announceVisible: enqueueActions(({ event, enqueue }) => {
        enqueue.emit({ type: 'broadcast', event: { type: 'app.visible', at: event.at } });
      }),
      announceHidden: enqueueActions(({ event, enqueue }) => {
        enqueue.emit({ type: 'broadcast', event: { type: 'app.hidden', at: event.at } });
      }),
      refuseUnbalanced: emit({
        type: 'log',
        level: 'error',
        module: 'Lifecycle',
        message: 'background, the app went to the background more often than to the foreground; call ignored',
      } as const),
    },
    guards: {
      lastVisible: ({ context }) => context.visible === 1,
    },
  }).createMachine({
    id: 'lifecycle',
    context: ({ input }) => ({ visible: input.foreground ? 1 : 0 }),
    initial: 'booting',
    states: {
      booting: {
        always: [{ guard: ({ context }) => context.visible > 0, target: 'visible' }, { target: 'hidden' }],
      },
      visible: {
        on: {
          'lifecycle.foreground': { actions: 'countUp' },
          'lifecycle.background': [{ guard: 'lastVisible', target: 'hidden', actions: ['countDown', 'announceHidden'] }, { actions: 'countDown' }],
        },
      },
      hidden: {
        on: {
          'lifecycle.foreground': { target: 'visible', actions: ['countUp', 'announceVisible'] },
          'lifecycle.background': { actions: 'refuseUnbalanced' },
        },
      },
    },
}))();
