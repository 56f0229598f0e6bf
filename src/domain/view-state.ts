/**
 * The state of view tracking (spec 001: View Tracking): what the views machine holds in its
 * context, what it starts from, and what its pure steps (`./views.ts`) ask for. Plain,
 * JSON-serializable data.
 */
import type { Limits } from '../config.js';
import type { BehaviorSettings } from './behavior-settings.js';
import type { ConsentState, Instant, Segmentation } from './types.js';
import { cleanViewSegmentation } from './view-segmentation.js';

export type Orientation = 'portrait' | 'landscape';

export const VIEW_EVENT_KEY = '[CLY]_view';
export const ORIENTATION_EVENT_KEY = '[CLY]_orientation';

export interface ViewInput {
  /** The `segment` of view events (the platform name). */
  platformName: string;
  consent: ConsentState;
  limits: Limits;
  globalSegmentation: Segmentation;
  restartManualViews: boolean;
  trackOrientation: boolean;
  /** experimental.previousNameRecording: `cly_pvn` on view events. */
  previousNameRecording: boolean;
  /** Whether the app is in the foreground at init. */
  foreground: boolean;
  /** The orientation at init, when the platform has one. */
  orientation: Orientation | null;
  /** A random string the IDs of restarted views and orientation events are made from. */
  idSeed: string;
  /** Behavior settings known at boot, decoded (`vt`, `tracking`, `lkl`, `lvs`, `lsv` are read); none when absent. */
  settings?: BehaviorSettings;
  /** `views.automatic`: a page view per in-page navigation (docs/views.md). Default false. */
  automatic?: boolean;
  /** `views.shortNames`: automatic views named by the path, not the full URL. */
  shortNames?: boolean;
  /** `views.exclusions`: names (exact, or as regular expressions) never recorded automatically. */
  exclusions?: readonly string[];
}

/** The page where an automatic view was (or would be) recorded: what the platform reported. */
export interface PageLocation {
  href: string;
  pathname: string;
  referrer?: string;
}

export interface RunningView {
  /** The current view ID (the event ID of its start and end events). */
  id: string;
  /** The ID `start` returned; a restarted view gets a new `id` but still answers to this one. */
  originalId: string;
  /** The name as recorded (cut to maxKeyLength). */
  name: string;
  autoStopped: boolean;
  paused: boolean;
  /** When the current running stretch began (ms); null while paused. */
  resumedAtMs: number | null;
  /** Running time before the current stretch (ms). */
  elapsedMs: number;
  /** The segmentation given at start: re-applied when the view restarts. */
  startSegmentation: Segmentation;
  /** Start segmentation plus what `addSegmentation*` added: recorded with the end event. */
  segmentation: Segmentation;
  /** Set by the SDK on the start event of an automatic page view (`view`, `domain`): reserved keys. */
  page?: Segmentation;
}

/**
 * A view stopped by going to the background (or a device-ID change), to start again: a running
 * view without its timing. `id` is the ID of the view that ended on suspension (still accepted
 * by `stopById` and the like).
 */
export interface SuspendedView extends Omit<RunningView, 'resumedAtMs' | 'elapsedMs'> {
  /** Paused when suspended, or by `pause` since: the view restarts paused. */
  paused: boolean;
  /** Start segmentation plus what `addSegmentation*` added while remembered: the restarted view's end segmentation. */
  segmentation: Segmentation;
}

/** The input's facts (options, consent, foreground, orientation, ID seed) and the machine's own state. */
export interface ViewContext
  extends Pick<
    ViewInput,
    'platformName' | 'consent' | 'limits' | 'globalSegmentation' | 'restartManualViews' | 'trackOrientation' | 'previousNameRecording' | 'foreground' | 'orientation' | 'idSeed'
  > {
  /** Server settings `vt` and `tracking`. */
  viewTracking: boolean;
  tracking: boolean;
  /** Running views in start order. */
  running: RunningView[];
  suspended: SuspendedView[];
  currentViewId: string;
  previousViewId: string;
  currentViewName: string;
  previousViewName: string;
  sessionRunning: boolean;
  /** The next view started while a session runs is its first (`start` "1"). */
  firstView: boolean;
  /** The app is in the foreground (the lifecycle's last word: `app.visible` / `app.hidden`). */
  foreground: boolean;
  nextSeq: number;
  /** The latest moment the machine was told about: the stand-in for broadcasts without `at`. */
  lastAt: Instant | null;
  automatic: boolean;
  shortNames: boolean;
  exclusions: string[];
  /** The page as last reported by the platform (automatic views only), or null. */
  page: PageLocation | null;
  /** The name of the page the last automatic view was recorded for; '' when none counts (a navigation to any page records). */
  autoName: string;
}

/** What a step asks for; each is a `Command` of the same shape (the machine's `emit` checks it). */
export type ViewOutput =
  | { type: 'event.record'; key: string; count: number; dur?: number; segmentation: Segmentation; at: Instant; id: string; extra?: { pvid: string } }
  | { type: 'broadcast'; event: { type: 'view.changed'; currentViewId: string; previousViewId: string; currentViewName: string; previousViewName: string } }
  | { type: 'log'; level: 'warning' | 'debug'; module: string; message: string };

export interface Step {
  context: ViewContext;
  commands: ViewOutput[];
}

/** What a view call names: a kind of start, or the call's name for warnings. */
export type StartKind = 'start' | 'startAutoStopped';
export type ViewCall = 'stopByName' | 'stopById' | 'pause' | 'resume' | 'stopAll' | 'addSegmentationById' | 'addSegmentationByName';

export const settingsLimits = (s: BehaviorSettings): Partial<Limits> => ({
  ...(s.lkl === undefined ? {} : { maxKeyLength: s.lkl }),
  ...(s.lvs === undefined ? {} : { maxValueSize: s.lvs }),
  ...(s.lsv === undefined ? {} : { maxSegmentationValues: s.lsv }),
});

export function initialViewContext(input: ViewInput): ViewContext {
  const settings = input.settings ?? {};
  const limits = { ...input.limits, ...settingsLimits(settings) };
  return {
    platformName: input.platformName,
    consent: input.consent,
    limits,
    // From config, validated there: cleaned silently.
    globalSegmentation: cleanViewSegmentation(input.globalSegmentation, limits).segmentation,
    restartManualViews: input.restartManualViews,
    trackOrientation: input.trackOrientation,
    previousNameRecording: input.previousNameRecording,
    viewTracking: settings.vt ?? true,
    tracking: settings.tracking ?? true,
    running: [],
    suspended: [],
    currentViewId: '',
    previousViewId: '',
    currentViewName: '',
    previousViewName: '',
    sessionRunning: false,
    firstView: true,
    foreground: input.foreground,
    orientation: input.orientation,
    idSeed: input.idSeed,
    nextSeq: 1,
    lastAt: null,
    automatic: input.automatic ?? false,
    shortNames: input.shortNames ?? false,
    exclusions: [...(input.exclusions ?? [])],
    page: null,
    autoName: '',
  };
}
