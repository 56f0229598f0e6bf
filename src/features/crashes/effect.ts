/**
 * The crashes feature's I/O:
 * - `crash.prepare`: reads the platform's metrics (l. 652–692 of the SDK guide: "collected
 *   and sent alongside the crash report where available"), runs the developer's filter
 *   (l. 728–757), computes `_ob` (l. 759–777) and applies the limits again (l. 773), then
 *   answers `crash.prepared`. All of it synchronously, so an uncaught error is queued before
 *   the platform may end the process (docs/crashes.md, "Why `_ob` is compared synchronously").
 * - `crashes.watch`: subscribes to the platform's uncaught-error hooks while enabled; the
 *   subscription ends with `enabled: false` or at shutdown (the pipeline is unsubscribed).
 */
import { distinctUntilChanged, EMPTY, filter, map, merge, Observable, switchMap } from 'rxjs';
import type { ResolvedConfig } from '../../config.js';
import type { Command } from '../../effects/commands.js';
import type { CrashCommand } from './commands.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';
import { setOwn } from '../../protocol/encode.js';
import { createCrashData } from './crash-data.js';
import { crashObject, describeThrown, fingerprints, isMetricValue, obBits, relimit, type CrashFields, type CrashMetrics } from './rules.js';

type Prepare = Extract<CrashCommand, { type: 'crash.prepare' }>;
type Watch = Extract<CrashCommand, { type: 'crashes.watch' }>;

const MODULE = 'Crashes';

/**
 * The instances whose crash filter is running now: a crash recorded from inside the filter
 * is refused by the namespace (it would run the filter again, and again).
 */
export const filtering = /* @__PURE__ */ new WeakSet<ResolvedConfig>();

/** The platform's metrics (`metrics=` as sessions send it, with `_app_version` and overrides) and its crash metrics. */
function platformMetrics(deps: EffectDeps): CrashMetrics {
  const out: CrashMetrics = {};
  try {
    const parsed: unknown = JSON.parse(deps.metrics());
    if (typeof parsed === 'object' && parsed !== null) for (const [k, v] of Object.entries(parsed)) if (isMetricValue(v)) setOwn(out, k, v);
  } catch {
    // deps.metrics never throws; a broken JSON gives no platform metrics.
  }
  const platform = deps.platform;
  if (platform && typeof platform.crashMetrics === 'function') {
    try {
      const extra: unknown = platform.crashMetrics();
      if (typeof extra === 'object' && extra !== null) for (const [k, v] of Object.entries(extra)) if (isMetricValue(v)) setOwn(out, k, v);
    } catch (error) {
      deps.log.error(MODULE, `crash, the platform's crashMetrics hook failed; sent without them: ${String(error)}`);
    }
  }
  return out;
}

/** One prepared crash: metrics, filter, `_ob`, limits again. Never throws. */
export function prepareCrash(c: Prepare, deps: Pick<EffectDeps, 'config' | 'log' | 'metrics' | 'platform'>): SdkEvent {
  try {
    return prepare(c, deps);
  } catch (error) {
    // Nothing above should throw; if it does, the crash goes out as the machine prepared it.
    deps.log.error(MODULE, `crash, preparing the crash failed; sent as recorded: ${String(error)}`);
    return { type: 'crash.prepared', id: c.id, at: c.at, crash: crashObject(c.crash, null) };
  }
}

function prepare(c: Prepare, deps: Pick<EffectDeps, 'config' | 'log' | 'metrics' | 'platform'>): SdkEvent {
  const metrics = platformMetrics(deps as EffectDeps);
  // What the machine knows of the moment (`_run`, `_background`, ...) wins over the platform.
  for (const [k, v] of Object.entries(c.crash.metrics)) setOwn(metrics, k, v);
  const fields: CrashFields = { ...c.crash, metrics };
  const userFilter = deps.config.crashes.filter;
  if (userFilter === undefined) return { type: 'crash.prepared', id: c.id, at: c.at, crash: crashObject(fields, null) };

  const handle = createCrashData(fields, (message) => deps.log.warning(MODULE, message));
  const before = fingerprints(fields);
  let drop = false;
  filtering.add(deps.config);
  try {
    drop = userFilter(handle.data) === true;
  } catch (error) {
    // The filter is user code: a throw costs the filter, not the crash (kept as it left it).
    deps.log.error(MODULE, `filter, the crash filter threw; the crash is kept: ${describeThrown(error).slice(0, 500)}`);
  } finally {
    filtering.delete(deps.config);
  }
  if (drop) return { type: 'crash.prepared', id: c.id, at: c.at, crash: null };
  const after = handle.read();
  // Compared before the limits apply again: a limit never sets a bit (l. 775).
  const ob = obBits(before, fingerprints(after));
  const { crash, warnings } = relimit(after, c.limits);
  for (const w of warnings) deps.log.warning(MODULE, `filter, ${w}`);
  if (crash.stackTrace === '') {
    deps.log.warning(MODULE, 'filter, the stack trace left by the filter is empty; the original one is sent');
    crash.stackTrace = c.crash.stackTrace;
  }
  return { type: 'crash.prepared', id: c.id, at: c.at, crash: crashObject(crash, ob) };
}

/** The platform's uncaught errors while subscribed; the hook is removed on unsubscribe. */
function uncaught(deps: EffectDeps): Observable<SdkEvent> {
  return new Observable<SdkEvent>((subscriber) => {
    const platform = deps.platform;
    if (!platform || typeof platform.onUncaughtError !== 'function') {
      deps.log.warning(MODULE, `autoReport, the platform ${platform ? `"${platform.name}" ` : ''}has no uncaught-error hook; crashes are not reported automatically`);
      return undefined;
    }
    let stop: unknown;
    try {
      stop = platform.onUncaughtError((error, origin) => {
        try {
          subscriber.next({ type: 'crash.caught', error: describeThrown(error), origin: origin === 'rejection' ? 'rejection' : 'error', at: deps.instant() });
        } catch (failure) {
          deps.log.error(MODULE, `autoReport, recording an uncaught error failed: ${String(failure)}`);
        }
        // The crash is queued by now (the whole path is synchronous): this settles once it is written.
        return deps.writer.drain();
      });
    } catch (error) {
      deps.log.error(MODULE, `autoReport, the platform's onUncaughtError hook failed; crashes are not reported automatically: ${String(error)}`);
      return undefined;
    }
    deps.log.debug(MODULE, 'autoReport, listening for uncaught errors');
    return () => {
      try {
        if (typeof stop === 'function') (stop as () => void)();
      } catch (error) {
        deps.log.error(MODULE, `shutdown, the platform's uncaught-error cleanup failed: ${String(error)}`);
      }
    };
  });
}

const isPrepare = (c: Command): c is Prepare => c.type === 'crash.prepare';
const isWatch = (c: Command): c is Watch => c.type === 'crashes.watch';

export const crashesEffect: Effect = (cmd$, deps) =>
  merge(
    cmd$.pipe(
      filter(isPrepare),
      map((c) => prepareCrash(c, deps)),
    ),
    cmd$.pipe(
      filter(isWatch),
      map((c) => c.enabled),
      distinctUntilChanged(),
      switchMap((enabled) => (enabled ? uncaught(deps) : EMPTY)),
    ),
  );
