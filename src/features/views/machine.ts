/**
 * View tracking (spec 001: View Tracking, l.1604–1990): auto-stopped and manual views,
 * pause/resume, segmentation, the background/foreground restart, and `[CLY]_orientation`
 * events. This file is the statechart: which pure step of `src/domain/views.ts` runs on which
 * event in which state. What a step records, logs and remembers lives there.
 *
 * States: `booting` → `active` (`choosing` → `foreground` ⇄ `background`) and `inactive`
 * (no `views` consent, or view tracking turned off by the server's `vt`/`tracking`).
 * - `app.hidden` / `app.visible` come from the lifecycle machine, only on 1→0 and 0→1 visible
 *   components: `app.hidden` is the background, `app.visible` the foreground. In the foreground
 *   `app.hidden` ends the running views and remembers them; in the background `app.visible`
 *   starts them again (l.1883–1889). The `foreground` flag follows them in every state, so
 *   `inactive` → `active` lands in the right child.
 * - A device-ID change without merge ends the views (`identity.changing`) and starts them again
 *   under the new ID (`identity.changed`) in the foreground; in the background they wait.
 * - Two-phase consent: views end on `consent.changing` while consent still holds (l.1881).
 * - Orientation, global segmentation and session begin/end are handled in every state.
 * - Automatic page views (`views.automatic`, docs/views.md): at start the machine asks its
 *   effect to follow the page (`views.watch`); each `views.navigated` in `active` records the
 *   page's view (`src/domain/page-views.ts`), in `inactive` it is only remembered, and entering
 *   `active` again records the page then shown.
 *
 * A remembered (suspended) view is still the host's view: `stopById`/`stopByName`/`stopAll`
 * forget it, `pause`/`resume` flip its paused flag, `addSegmentation*` adds to the end event of
 * the restarted view.
 */
import { assertEvent, assign, enqueueActions, setup, type ExtractEvent } from 'xstate';
import type { ResolvedConfig } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { ConsentState, Instant, PlatformFacts, Segmentation } from '../../domain/types.js';
import {
  addSegmentationById,
  addSegmentationByName,
  applyConsent,
  applySettings,
  foregroundRestart,
  initialViewContext,
  isAllowed,
  orientationChanged,
  refuse,
  restartSuspended,
  sessionBegan,
  sessionEnded,
  setForeground,
  setGlobalSegmentation,
  setPaused,
  startView,
  stopAllViews,
  stopForGood,
  stopViewById,
  stopViewByName,
  suspendForBackground,
  suspendForIdentity,
  trackingAfter,
  type Orientation,
  type StartKind,
  type Step,
  type ViewCall,
  type ViewContext,
  type ViewInput,
} from '../../domain/views.js';
import { navigated, rememberPage, resumePage } from '../../domain/page-views.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import type { Deliverable } from '../define.js';
import type {} from './commands.js';

export {
  ORIENTATION_EVENT_KEY,
  RESERVED_VIEW_KEYS,
  VIEW_EVENT_KEY,
  initialViewContext,
  type RunningView,
  type SuspendedView,
  type ViewContext,
  type ViewInput,
} from '../../domain/views.js';

/** What `viewInputFrom` needs besides config, platform and consent. */
export interface ViewBoot {
  /** A fresh random string (`crypto.randomUUID()`): machine-made event IDs start with it. */
  idSeed?: string;
  /** Behavior settings known at boot, decoded. */
  settings?: BehaviorSettings;
}

type WithOptionalAt<T> = T & { at?: Instant };

export type ViewBroadcast =
  | Extract<Broadcast, { type: 'app.visible' | 'app.hidden' | 'session.began' | 'session.ended' }>
  | WithOptionalAt<Extract<Broadcast, { type: 'consent.changing' | 'consent.changed' | 'identity.changing' | 'identity.changed' | 'settings.updated' }>>;

/** The host's view calls, from `countly.views` (see `api.ts`). */
export type ViewCallEvent =
  | { type: 'views.startAutoStopped'; id: string; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.start'; id: string; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.stopByName'; name: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.stopById'; id: string; segmentation?: Segmentation; at: Instant }
  | { type: 'views.pause'; id: string; at: Instant }
  | { type: 'views.resume'; id: string; at: Instant }
  | { type: 'views.stopAll'; segmentation?: Segmentation; at: Instant }
  | { type: 'views.addSegmentationById'; id: string; segmentation: Segmentation }
  | { type: 'views.addSegmentationByName'; name: string; segmentation: Segmentation };

export type ViewEvent =
  | ViewCallEvent
  | { type: 'views.setGlobalSegmentation'; segmentation: Segmentation }
  | { type: 'views.updateGlobalSegmentation'; segmentation: Segmentation }
  /** The platform's orientation changed (`id`: the event ID, made from the seed when absent). */
  | { type: 'orientation.changed'; mode: Orientation; at: Instant; id?: string }
  /** Where the page is (automatic page views, from the views effect). */
  | Extract<EffectResult, { type: 'views.navigated' }>
  | ViewBroadcast;

/** What the machine may emit: view and orientation records, the `view.changed` fact, log lines. */
export type ViewCommand =
  | Extract<Command, { type: 'event.record' }>
  | Extract<Command, { type: 'broadcast' }>
  | Extract<Command, { type: 'log' }>
  | Extract<Command, { type: 'views.watch' }>;

/** The broadcasts the router must deliver to the view machine. */
export const viewListensTo: readonly Deliverable[] = /* @__PURE__ */ Object.freeze([
  'app.visible',
  'app.hidden',
  'session.began',
  'session.ended',
  'consent.changing',
  'consent.changed',
  'identity.changing',
  'identity.changed',
  'settings.updated',
  'views.navigated',
]);

/** The view input from the resolved config and the platform at boot. */
export function viewInputFrom(config: ResolvedConfig, platform: PlatformFacts, consent: ConsentState, boot?: ViewBoot): ViewInput {
  return {
    platformName: platform.name,
    consent,
    limits: config.limits,
    globalSegmentation: config.views.globalSegmentation,
    restartManualViews: config.views.restartManualViews,
    trackOrientation: config.views.trackOrientation,
    previousNameRecording: config.experimental.previousNameRecording,
    foreground: platform.foreground,
    orientation: platform.orientation,
    idSeed: boot?.idSeed ?? 'cly',
    settings: boot?.settings ?? {},
    automatic: config.views.automatic,
    shortNames: config.views.shortNames,
    exclusions: config.views.exclusions,
  };
}

/** The name a refused call is logged with. */
const CALL_NAME: Readonly<Record<ViewCallEvent['type'], StartKind | ViewCall>> = {
  'views.startAutoStopped': 'startAutoStopped',
  'views.start': 'start',
  'views.stopByName': 'stopByName',
  'views.stopById': 'stopById',
  'views.pause': 'pause',
  'views.resume': 'resume',
  'views.stopAll': 'stopAll',
  'views.addSegmentationById': 'addSegmentationById',
  'views.addSegmentationByName': 'addSegmentationByName',
};
const VIEW_CALLS = /* @__PURE__ */ Object.keys(CALL_NAME) as Array<ViewCallEvent['type']>;

const atOf = (event: ViewEvent): Instant | undefined => ('at' in event ? event.at : undefined);

/**
 * The action that runs one pure step on the events it is wired to (`assertEvent` narrows the
 * event, and fails loudly on a wiring mistake), then assigns the step's context and emits its
 * commands. An event's `at` becomes `lastAt` first: the moment used by broadcasts without one.
 */
const run = <T extends ViewEvent['type']>(types: readonly T[], step: (c: ViewContext, e: ExtractEvent<ViewEvent, T>) => Step) =>
  enqueueActions<ViewContext, ViewEvent, undefined, ViewEvent, never, never, never, never, ViewCommand>(({ context, event, enqueue }) => {
    const at = atOf(event);
    assertEvent(event, types);
    const result = step(at ? { ...context, lastAt: at } : context, event);
    enqueue.assign(result.context);
    for (const command of result.commands) enqueue.emit(command);
  });

export const viewMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as ViewContext,
      events: {} as ViewEvent,
      input: {} as ViewInput,
      emitted: {} as ViewCommand,
    },
    guards: {
      isAllowed: ({ context }) => isAllowed(context),
      isForeground: ({ context }) => context.foreground,
      losesViews: ({ event }) => event.type === 'consent.changing' && event.before.views && !event.after.views,
      lacksViews: ({ event }) => event.type === 'consent.changed' && !event.after.views,
      gainsViews: ({ context, event }) => event.type === 'consent.changed' && event.after.views && context.viewTracking && context.tracking,
      settingsStop: ({ context, event }) => event.type === 'settings.updated' && !trackingAfter(context, event.settings),
      settingsStart: ({ context, event }) => event.type === 'settings.updated' && trackingAfter(context, event.settings) && context.consent.views,
      newIdentity: ({ event }) => event.type === 'identity.changed' && !event.merged,
    },
    actions: {
      start: run(['views.start', 'views.startAutoStopped'], (c, e) =>
        startView(c, { kind: CALL_NAME[e.type] === 'start' ? 'start' : 'startAutoStopped', id: e.id, name: e.name, segmentation: e.segmentation, at: e.at }),
      ),
      stopByName: run(['views.stopByName'], stopViewByName),
      stopById: run(['views.stopById'], stopViewById),
      pause: run(['views.pause'], (c, e) => setPaused(c, { fn: 'pause', id: e.id, at: e.at })),
      resume: run(['views.resume'], (c, e) => setPaused(c, { fn: 'resume', id: e.id, at: e.at })),
      stopAll: run(['views.stopAll'], stopAllViews),
      addSegmentationById: run(['views.addSegmentationById'], addSegmentationById),
      addSegmentationByName: run(['views.addSegmentationByName'], addSegmentationByName),
      setGlobalSegmentation: run(['views.setGlobalSegmentation', 'views.updateGlobalSegmentation'], (c, e) =>
        setGlobalSegmentation(c, { replace: e.type === 'views.setGlobalSegmentation', segmentation: e.segmentation }),
      ),
      refuse: run(VIEW_CALLS, (c, e) => refuse(c, CALL_NAME[e.type])),
      markForeground: run(['app.visible'], (c) => setForeground(c, true)),
      markBackground: run(['app.hidden'], (c) => setForeground(c, false)),
      suspendForBackground: run(['app.hidden'], (c) => suspendForBackground(c, c.lastAt)),
      returnToForeground: run(['app.visible'], (c) => foregroundRestart(c, c.lastAt)),
      suspendForIdentity: run(['identity.changing'], (c) => suspendForIdentity(c, c.lastAt)),
      restartForIdentity: run(['identity.changed'], (c) => restartSuspended(c, c.lastAt)),
      stopForGood: run(['consent.changing', 'consent.changed', 'settings.updated'], (c) => stopForGood(c, c.lastAt)),
      // Entered from boot too (no view event): plain assign.
      forgetSuspended: assign({ suspended: () => [] }),
      storeConsent: run(['consent.changed'], (c, e) => applyConsent(c, e.after)),
      applySettings: run(['settings.updated'], (c, e) => applySettings(c, e.settings)),
      sessionBegan: run(['session.began'], (c, e) => sessionBegan(c, e.at)),
      sessionEnded: run(['session.ended'], sessionEnded),
      orientationChanged: run(['orientation.changed'], orientationChanged),
      navigate: run(['views.navigated'], navigated),
      rememberPage: run(['views.navigated'], rememberPage),
      // Entered from boot and from consent/settings events: no event type to assert.
      resumePage: enqueueActions(({ context, enqueue }) => {
        const result = resumePage(context);
        if (result.context === context) return;
        enqueue.assign(result.context);
        for (const command of result.commands) enqueue.emit(command);
      }),
      watchNavigation: enqueueActions(({ context, enqueue }) => {
        if (context.automatic) enqueue.emit({ type: 'views.watch', enabled: true });
      }),
    },
  }).createMachine({
    id: 'views',
    context: ({ input }) => initialViewContext(input),
    initial: 'booting',
    entry: 'watchNavigation',
    on: {
      'views.setGlobalSegmentation': { actions: 'setGlobalSegmentation' },
      'views.updateGlobalSegmentation': { actions: 'setGlobalSegmentation' },
      'session.began': { actions: 'sessionBegan' },
      'session.ended': { actions: 'sessionEnded' },
      'orientation.changed': { actions: 'orientationChanged' },
      // The lifecycle says each only on a change; here they only keep the flag.
      'app.visible': { actions: 'markForeground' },
      'app.hidden': { actions: 'markBackground' },
    },
    states: {
      booting: {
        always: [{ guard: 'isAllowed', target: 'active' }, { target: 'inactive' }],
      },
      active: {
        initial: 'choosing',
        entry: 'resumePage',
        on: {
          'views.navigated': { actions: 'navigate' },
          'views.startAutoStopped': { actions: 'start' },
          'views.start': { actions: 'start' },
          'views.stopByName': { actions: 'stopByName' },
          'views.stopById': { actions: 'stopById' },
          'views.pause': { actions: 'pause' },
          'views.resume': { actions: 'resume' },
          'views.stopAll': { actions: 'stopAll' },
          'views.addSegmentationById': { actions: 'addSegmentationById' },
          'views.addSegmentationByName': { actions: 'addSegmentationByName' },
          // Two-phase consent: views end while consent still holds, then nothing more.
          'consent.changing': { guard: 'losesViews', target: 'inactive', actions: 'stopForGood' },
          // Should a removal arrive without its `changing` phase, the views still end.
          'consent.changed': [{ guard: 'lacksViews', target: 'inactive', actions: ['stopForGood', 'storeConsent'] }, { actions: 'storeConsent' }],
          'settings.updated': [{ guard: 'settingsStop', target: 'inactive', actions: ['applySettings', 'stopForGood'] }, { actions: 'applySettings' }],
        },
        states: {
          choosing: {
            always: [{ guard: 'isForeground', target: 'foreground' }, { target: 'background' }],
          },
          foreground: {
            on: {
              'app.hidden': { target: 'background', actions: 'suspendForBackground' },
              // Views recorded under the old device ID end before it changes, and start again under the new one.
              'identity.changing': { actions: 'suspendForIdentity' },
              'identity.changed': { guard: 'newIdentity', actions: 'restartForIdentity' },
            },
          },
          background: {
            on: {
              'app.visible': { target: 'foreground', actions: 'returnToForeground' },
              'identity.changing': { actions: 'suspendForIdentity' },
            },
          },
        },
      },
      inactive: {
        entry: 'forgetSuspended',
        on: {
          'views.navigated': { actions: 'rememberPage' },
          'views.startAutoStopped': { actions: 'refuse' },
          'views.start': { actions: 'refuse' },
          'views.stopByName': { actions: 'refuse' },
          'views.stopById': { actions: 'refuse' },
          'views.pause': { actions: 'refuse' },
          'views.resume': { actions: 'refuse' },
          'views.stopAll': { actions: 'refuse' },
          'views.addSegmentationById': { actions: 'refuse' },
          'views.addSegmentationByName': { actions: 'refuse' },
          'consent.changed': [{ guard: 'gainsViews', target: 'active', actions: 'storeConsent' }, { actions: 'storeConsent' }],
          'settings.updated': [{ guard: 'settingsStart', target: 'active', actions: 'applySettings' }, { actions: 'applySettings' }],
        },
      },
    },
}))();
