/**
 * Crash reporting (SDK guide, /work/shared/spec/001_*.txt, "Crash Reporting" l. 504–777;
 * write API, 000_*.txt l. 216–254). The machine decides; it reads no clock and no platform:
 *
 * - `crashes.record` (from `recordHandled` / `recordUnhandled`) and `crash.caught` (an error
 *   nothing caught, from the platform's hook) become a `crash.prepare` command: the `_error`
 *   text limited (l. 613, 615, 4554–4562), the global segmentation merged with the call's and
 *   limited (l. 616–617, 4509–4546), the breadcrumbs, `_nonfatal`, and what the machine knows of
 *   the moment — `_run` (l. 659), `_background` (l. 660), `_view` (l. 692), `_javascript` /
 *   `_not_os_specific` (l. 690–691). The crashes effect reads the platform's metrics, runs the
 *   developer's filter, computes `_ob` and answers `crash.prepared`.
 * - `crash.prepared` queues `crash={...}` (l. 709–713: "/i", "through the request queue"),
 *   with consent and the server's `crt` checked again (the filter may have changed either).
 * - Breadcrumbs live here, in memory only (l. 596–600, 696): each cut to `maxValueSize`,
 *   the oldest dropped past `maxBreadcrumbCount`.
 * - `settings.updated` (l. 4842–4850): `crt: false` disables recording (l. 534–535, 623–624),
 *   `lkl`/`lvs`/`lsv`/`lbc`/`ltlpt`/`ltl` replace the developer's limits.
 * - `crashes` consent (l. 726); removing it forgets the breadcrumbs.
 *
 * States: `starting` (transient: picks by the boot settings' `crt`), `enabled`, `disabled`
 * (`crt: false`). Entering `enabled` with `crashes.autoReport` subscribes to the platform's
 * uncaught-error hooks (`crashes.watch`), leaving it unsubscribes.
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { Limits } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { Instant, Segmentation } from '../../domain/types.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import type {} from './commands.js'; // its commands and results join the shared unions
import { crashLimits, limitErrorText, mergeCrashSegmentation, withBreadcrumb } from './rules.js';

export interface CrashesInput {
  /** `crashes` consent at boot. */
  consent: boolean;
  /** The developer's limits (`limits`). */
  configLimits: Limits;
  /** Behavior settings known at boot. */
  settings: BehaviorSettings;
  /** `crashes.segmentation`, already checked by the config. */
  globalSegmentation: Segmentation;
  /** `crashes.autoReport`. */
  autoReport: boolean;
  /** Whether the app is in the foreground at boot. */
  foreground: boolean;
  /** The moment of boot (ms): `_run` counts from it. */
  bootAt: number;
}

export interface CrashesContext {
  consent: boolean;
  configLimits: Limits;
  /** The limits in force: the developer's with the server's on top. */
  limits: Limits;
  /** `crt` is not false. */
  tracking: boolean;
  globalSegmentation: Segmentation;
  autoReport: boolean;
  breadcrumbs: string[];
  background: boolean;
  /** The current view's name ('' when none). */
  view: string;
  bootAt: number;
  /** The id of the next `crash.prepare`. */
  nextId: number;
}

/** The public function a record came from, for the log lines. */
export type CrashCall = 'recordHandled' | 'recordUnhandled';

export type CrashesEvent =
  | { type: 'crashes.breadcrumb'; text: string }
  | { type: 'crashes.record'; fn: CrashCall; error: string; fatal: boolean; segmentation: Segmentation; at: Instant }
  | Extract<EffectResult, { type: 'crash.caught' | 'crash.prepared' }>
  | (Extract<Broadcast, { type: 'consent.changed' | 'settings.updated' | 'view.changed' }> & { at?: Instant })
  | Extract<Broadcast, { type: 'app.visible' | 'app.hidden' }>;

export type CrashesCommand = Extract<Command, { type: 'crash.prepare' | 'crashes.watch' | 'request.enqueue' | 'log' }>;

export const crashesListensTo = /* @__PURE__ */ Object.freeze([
  'consent.changed',
  'settings.updated',
  'app.visible',
  'app.hidden',
  'view.changed',
  'crash.caught',
  'crash.prepared',
] as const);

const MODULE = 'Crashes';
const warning = (message: string): CrashesCommand => ({ type: 'log', level: 'warning', module: MODULE, message });

export const crashesMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as CrashesInput,
      context: {} as CrashesContext,
      events: {} as CrashesEvent,
      emitted: {} as CrashesCommand,
    },
    guards: {
      consented: ({ context }) => context.consent,
      tracking: ({ context }) => context.tracking,
      trackingOff: ({ event }) => event.type === 'settings.updated' && event.settings.crt === false,
      trackingOn: ({ event }) => event.type === 'settings.updated' && event.settings.crt !== false,
    },
    actions: {
      prepare: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'crashes.record' && event.type !== 'crash.caught') return;
        const fn = event.type === 'crashes.record' ? event.fn : 'autoReport';
        const { limits } = context;
        const error = limitErrorText(event.error, limits);
        const call = event.type === 'crashes.record' ? event.segmentation : {};
        const seg = mergeCrashSegmentation(context.globalSegmentation, call, limits);
        for (const w of [...error.warnings, ...seg.warnings]) enqueue.emit(warning(`${fn}, ${w}`));
        // spec 659–660, 690–692 (countly-sdk-nodejs lib/countly.js l. 1618–1619 sends the two JS flags on Node too).
        const metrics: Record<string, string | number | boolean> = {
          _run: Math.max(0, Math.floor((event.at.timestamp - context.bootAt) / 1000)),
          _background: context.background,
          _javascript: true,
          _not_os_specific: true,
        };
        if (context.view !== '') metrics._view = context.view;
        enqueue.emit({
          type: 'crash.prepare',
          id: context.nextId,
          at: event.at,
          limits,
          crash: {
            stackTrace: error.value,
            segmentation: seg.segmentation,
            breadcrumbs: [...context.breadcrumbs],
            metrics,
            fatal: event.type === 'crash.caught' ? true : event.fatal,
          },
        });
        enqueue.assign({ nextId: context.nextId + 1 });
      }),
      queue: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'crash.prepared');
        if (event.crash === null) {
          enqueue.emit({ type: 'log', level: 'info', module: MODULE, message: 'filter, the crash filter returned true; crash dropped' });
          return;
        }
        // spec 709–713: one `crash` param, a flattened JSON object, through the queue.
        enqueue.emit({ type: 'request.enqueue', params: { crash: JSON.stringify(event.crash) }, at: event.at });
      }),
      addBreadcrumb: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'crashes.breadcrumb');
        const next = withBreadcrumb(context.breadcrumbs, event.text, context.limits);
        for (const w of next.warnings) enqueue.emit(warning(`addBreadcrumb, ${w}`));
        enqueue.assign({ breadcrumbs: next.value });
      }),
      refuseNoConsent: enqueueActions(({ event, enqueue }) => {
        const fn = event.type === 'crashes.record' ? event.fn : event.type === 'crashes.breadcrumb' ? 'addBreadcrumb' : 'autoReport';
        enqueue.emit(warning(`${fn}, no "crashes" consent; ignored`));
      }),
      refuseDisabled: enqueueActions(({ event, enqueue }) => {
        const fn = event.type === 'crashes.record' ? event.fn : event.type === 'crashes.breadcrumb' ? 'addBreadcrumb' : 'autoReport';
        enqueue.emit(warning(`${fn}, crash reporting is disabled by the server's settings (crt); ignored`));
      }),
      storeConsent: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        const consent = event.after.crashes;
        // Breadcrumbs gathered under consent are not kept for a later crash once it is removed.
        enqueue.assign({ consent, breadcrumbs: consent ? context.breadcrumbs : [] });
      }),
      applySettings: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'settings.updated');
        const limits = crashLimits(context.configLimits, event.settings);
        // A lower `lbc` / `lvs` applies to the breadcrumbs already kept.
        const breadcrumbs = withBreadcrumb(context.breadcrumbs, null, limits).value;
        enqueue.assign({ limits, breadcrumbs, tracking: event.settings.crt !== false });
      }),
      markBackground: enqueueActions(({ event, enqueue }) => {
        if (event.type === 'app.hidden') enqueue.assign({ background: true });
        if (event.type === 'app.visible') enqueue.assign({ background: false });
      }),
      storeView: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'view.changed');
        enqueue.assign({ view: event.currentViewName });
      }),
      watch: enqueueActions(({ context, enqueue }) => {
        if (context.autoReport) enqueue.emit({ type: 'crashes.watch', enabled: true });
      }),
      unwatch: enqueueActions(({ context, enqueue }) => {
        if (context.autoReport) enqueue.emit({ type: 'crashes.watch', enabled: false });
      }),
    },
  }).createMachine({
    id: 'crashes',
    context: ({ input }) => ({
      consent: input.consent,
      configLimits: input.configLimits,
      limits: crashLimits(input.configLimits, input.settings),
      tracking: input.settings.crt !== false,
      globalSegmentation: input.globalSegmentation,
      autoReport: input.autoReport,
      breadcrumbs: [],
      background: !input.foreground,
      view: '',
      bootAt: input.bootAt,
      nextId: 1,
    }),
    initial: 'starting',
    on: {
      'consent.changed': { actions: 'storeConsent' },
      'app.visible': { actions: 'markBackground' },
      'app.hidden': { actions: 'markBackground' },
      'view.changed': { actions: 'storeView' },
    },
    states: {
      starting: {
        always: [{ guard: 'tracking', target: 'enabled' }, { target: 'disabled' }],
      },
      enabled: {
        entry: { type: 'watch' },
        exit: { type: 'unwatch' },
        on: {
          'crashes.record': [{ guard: 'consented', actions: 'prepare' }, { actions: 'refuseNoConsent' }],
          'crash.caught': [{ guard: 'consented', actions: 'prepare' }, { actions: 'refuseNoConsent' }],
          'crash.prepared': [{ guard: 'consented', actions: 'queue' }, { actions: 'refuseNoConsent' }],
          'crashes.breadcrumb': [{ guard: 'consented', actions: 'addBreadcrumb' }, { actions: 'refuseNoConsent' }],
          'settings.updated': [{ guard: 'trackingOff', target: 'disabled', actions: 'applySettings' }, { actions: 'applySettings' }],
        },
      },
      disabled: {
        on: {
          'crashes.record': { actions: 'refuseDisabled' },
          'crash.caught': { actions: 'refuseDisabled' },
          'crash.prepared': { actions: 'refuseDisabled' },
          'crashes.breadcrumb': { actions: 'refuseDisabled' },
          'settings.updated': [{ guard: 'trackingOn', target: 'enabled', actions: 'applySettings' }, { actions: 'applySettings' }],
        },
      },
    },
}))();
