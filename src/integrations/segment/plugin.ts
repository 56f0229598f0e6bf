/**
 * The device-mode destination: a Segment plugin of type `destination` that hands each event
 * to a chartly instance through its public API only (`events.record`,
 * `views.startAutoStopped`, `user.setProperties`/`save`, `deviceId.changeWithMerge`,
 * `consent.give`/`remove`). Seed: spec 002 (Segment's Countly destination).
 *
 * Both analytics-next (`analytics.register(plugin)`) and @segment/analytics-node
 * (`analytics.register(plugin)`) accept it: its methods are generic over the context, so the
 * one object satisfies both libraries' `Plugin` types without importing a value (or even a
 * type) from either; test/integrations/segment checks the assignability at compile time.
 *
 * It never throws into Segment's pipeline: every handler catches, logs
 * `[Countly] [Segment] fn, message` (to Segment's context log and the `log` option) and
 * returns the context.
 */
import type { ConsentFeature, Countly } from '../../types.js';
import { DEFAULT_LIMITS, type FlattenLimits } from './flatten.js';
import {
  categoryPreferences,
  consentFor,
  DEFAULT_CONSENT_CATEGORIES,
  mapGroup,
  mapTrack,
  mapTraits,
  mapView,
  segmentId,
  type SegmentEventFields,
} from './mapping.js';

export const MODULE = 'Segment';
/** The name Segment knows the destination by (spec 002: "use one of the 1 valid names … Countly"). */
export const DESTINATION_NAME = 'Countly';

/** What the plugin needs of a Segment context: analytics-next's and analytics-node's both have it. */
export interface SegmentContextLike {
  readonly event: object;
  log?(level: 'warn', message: string, extras?: object): void;
}

export interface CountlyDestinationOptions {
  /**
   * Limits applied while flattening properties and traits; default the SDK's defaults
   * (128 / 256 / 100). chartly applies its own configured limits again on record.
   */
  limits?: Partial<FlattenLimits>;
  /**
   * Segment consent category → chartly consent features, matched without regard to case.
   * Default `DEFAULT_CONSENT_CATEGORIES`; `false` ignores Segment's consent. Only used when the
   * instance was created with `requiresConsent`.
   */
  consentCategories?: Readonly<Record<string, readonly ConsentFeature[]>> | false;
  /** Receives the plugin's warnings (dropped properties, ignored events, failures). */
  log?: (level: 'warning' | 'error', message: string) => void;
}

type Handler = <C extends SegmentContextLike>(ctx: C) => Promise<C>;

/** The destination plugin: structurally a Segment `Plugin` for analytics-next and analytics-node. */
export interface CountlyDestinationPlugin {
  readonly name: string;
  readonly type: 'destination';
  readonly version: string;
  isLoaded(): boolean;
  /** Waits for the chartly instance to be ready (storage read, device ID known). */
  load(ctx: unknown, instance: unknown): Promise<void>;
  ready(): Promise<void>;
  track: Handler;
  page: Handler;
  screen: Handler;
  identify: Handler;
  group: Handler;
  alias: Handler;
}

const describe = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
};

/** The log shows a few dropped paths, not all of a huge payload's. */
const MAX_LISTED = 10;

export function countlyDestination(countly: Countly, options: CountlyDestinationOptions = {}): CountlyDestinationPlugin {
  const limits: FlattenLimits = { ...DEFAULT_LIMITS, ...pickLimits(options.limits) };
  const categories = options.consentCategories === undefined ? DEFAULT_CONSENT_CATEGORIES : options.consentCategories;
  let loaded = false;

  const log = (ctx: SegmentContextLike | undefined, level: 'warning' | 'error', fn: string, message: string): void => {
    const line = `[Countly] [${MODULE}] ${fn}, ${message}`;
    try {
      ctx?.log?.('warn', line);
    } catch {
      // Segment's own logger failing must not stop the event.
    }
    try {
      options.log?.(level, line);
    } catch {
      // Nor may the developer's.
    }
  };

  const reportDropped = (ctx: SegmentContextLike, fn: string, dropped: readonly string[]): void => {
    if (dropped.length === 0) return;
    const listed = dropped.slice(0, MAX_LISTED).join(', ');
    const more = dropped.length > MAX_LISTED ? ` and ${dropped.length - MAX_LISTED} more` : '';
    log(ctx, 'warning', fn, `dropped ${listed}${more}`);
  };

  /** Segment's consent preferences, applied to chartly where they differ (and consent is required at all). */
  const applyConsent = (event: SegmentEventFields): void => {
    if (categories === false) return;
    const prefs = categoryPreferences(event);
    if (prefs === undefined || !countly.getState().consent.required) return;
    const give: string[] = [];
    const remove: string[] = [];
    for (const [feature, given] of consentFor(prefs, categories)) {
      const current = countly.consent.get(feature);
      if (given && !current) give.push(feature);
      else if (!given && current) remove.push(feature);
    }
    if (give.length > 0) countly.consent.give(give);
    if (remove.length > 0) countly.consent.remove(remove);
  };

  const handler =
    (fn: string, apply: (event: SegmentEventFields, ctx: SegmentContextLike) => void): Handler =>
    async (ctx) => {
      try {
        const event = ctx.event as SegmentEventFields;
        const integrations = event.integrations as Record<string, unknown> | undefined;
        if (integrations && typeof integrations === 'object' && integrations[DESTINATION_NAME] === false) return ctx;
        applyConsent(event);
        apply(event, ctx);
      } catch (error) {
        log(ctx, 'error', fn, `failed: ${describe(error)}; event ignored`);
      }
      return ctx;
    };

  const view = (fn: string) =>
    handler(fn, (event, ctx) => {
      const mapped = mapView(event, limits);
      if ('error' in mapped) return log(ctx, 'warning', fn, `${mapped.error}; ignored`);
      reportDropped(ctx, fn, mapped.dropped);
      countly.views.startAutoStopped(mapped.name, mapped.segmentation);
    });

  /** Device ID → `userId` with merge (spec 001, Device ID: changing with merge keeps one user). */
  const becomeUser = (userId: string | undefined): void => {
    if (userId !== undefined && userId !== countly.deviceId.get()) countly.deviceId.changeWithMerge(userId);
  };

  const saveUser = (properties: Record<string, unknown>): void => {
    if (Object.keys(properties).length === 0) return;
    countly.user.setProperties(properties);
    countly.user.save();
  };

  return {
    name: DESTINATION_NAME,
    type: 'destination',
    version: '1.0.0',
    isLoaded: () => loaded,
    async load() {
      try {
        await countly.ready;
      } catch (error) {
        log(undefined, 'error', 'load', `the Countly instance did not become ready: ${describe(error)}`);
      }
      loaded = true;
    },
    ready: () => countly.ready.then(
      () => undefined,
      () => undefined,
    ),
    track: handler('track', (event, ctx) => {
      const mapped = mapTrack(event, limits);
      if ('error' in mapped) return log(ctx, 'warning', 'track', `${mapped.error}; ignored`);
      reportDropped(ctx, 'track', mapped.dropped);
      const options = mapped.sum !== undefined ? { count: mapped.count, sum: mapped.sum, segmentation: mapped.segmentation } : { count: mapped.count, segmentation: mapped.segmentation };
      countly.events.record(mapped.key, options);
    }),
    page: view('page'),
    screen: view('screen'),
    identify: handler('identify', (event, ctx) => {
      // The ID first, so the details are saved under the new ID (the old one merges into it).
      becomeUser(segmentId(event.userId));
      const mapped = mapTraits(event.traits, limits);
      reportDropped(ctx, 'identify', mapped.dropped);
      saveUser(mapped.properties);
    }),
    group: handler('group', (event, ctx) => {
      const mapped = mapGroup(event, limits);
      if ('error' in mapped) return log(ctx, 'warning', 'group', `${mapped.error}; ignored`);
      reportDropped(ctx, 'group', mapped.dropped);
      saveUser(mapped.properties);
    }),
    alias: handler('alias', (event, ctx) => {
      const userId = segmentId(event.userId);
      if (userId === undefined) return log(ctx, 'warning', 'alias', 'alias without a userId; ignored');
      becomeUser(userId);
    }),
  };
}

/** Only positive integers override a default limit. */
function pickLimits(given: Partial<FlattenLimits> | undefined): Partial<FlattenLimits> {
  const out: Partial<FlattenLimits> = {};
  if (given === undefined || given === null || typeof given !== 'object') return out;
  for (const key of ['maxKeyLength', 'maxValueSize', 'maxSegmentationValues'] as const) {
    const value = given[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) out[key] = value;
  }
  return out;
}
