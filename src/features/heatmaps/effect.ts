/**
 * The heatmaps feature's I/O (docs/heatmaps.md):
 * - `heatmaps.watch`: subscribes to the platform's `onInteraction` hook for the kinds asked
 *   (a new set of kinds replaces the subscription; all false leaves it) and reports each one
 *   as `heatmaps.interaction`, copied field by field — nothing of the platform's objects
 *   reaches the machine;
 * - `heatmaps.probe`: a `trackClicks()` / `trackScrolls()` on a platform without the hook
 *   (Node) is told that nothing will be tracked.
 * The hook is user code: one that throws costs heatmaps and logs why, never the SDK.
 */
import { distinctUntilChanged, EMPTY, filter, map, merge, Observable, switchMap } from 'rxjs';
import type { InteractionEvent, InteractionKinds } from '../../adapters/types.js';
import type { Command } from '../../effects/commands.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';
import { errorText } from '../../log.js';
import type { HeatmapsCommand } from './commands.js';

const MODULE = 'Heatmaps';

type Watch = Extract<HeatmapsCommand, { type: 'heatmaps.watch' }>;
type Probe = Extract<HeatmapsCommand, { type: 'heatmaps.probe' }>;

const isWatch = (c: Command): c is Watch => c.type === 'heatmaps.watch';
const isProbe = (c: Command): c is Probe => c.type === 'heatmaps.probe';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown, max = 1000): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** A clean copy of what the platform reported, or undefined when it is not an interaction. */
export function cleanInteraction(raw: unknown): InteractionEvent | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const view = str(r.view);
  switch (r.kind) {
    case 'leave':
      return { kind: 'leave' };
    case 'click': {
      const [x, y, width, height] = [num(r.x), num(r.y), num(r.width), num(r.height)];
      if (view === undefined || x === undefined || y === undefined || width === undefined || height === undefined) return undefined;
      return { kind: 'click', x, y, width, height, view };
    }
    case 'scroll': {
      const [y, width, height] = [num(r.y), num(r.width), num(r.height)];
      if (view === undefined || y === undefined || width === undefined || height === undefined) return undefined;
      return { kind: 'scroll', y, width, height, view };
    }
    case 'link': {
      const href = str(r.href);
      if (view === undefined || href === undefined) return undefined;
      const text = str(r.text, 200);
      const id = str(r.id, 200);
      return { kind: 'link', href, view, ...(text !== undefined ? { text } : {}), ...(id !== undefined ? { id } : {}) };
    }
    case 'form': {
      if (view === undefined) return undefined;
      const out: Extract<InteractionEvent, { kind: 'form' }> = { kind: 'form', view };
      for (const k of ['id', 'name', 'action', 'method'] as const) {
        const v = str(r[k], 500);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    default:
      return undefined;
  }
}

function interactions(kinds: Required<InteractionKinds>, deps: EffectDeps): Observable<SdkEvent> {
  return new Observable<SdkEvent>((subscriber) => {
    const platform = deps.platform;
    if (!platform || typeof platform.onInteraction !== 'function') {
      deps.log.debug(MODULE, 'watch, the platform reports no interactions');
      return undefined;
    }
    let stop: unknown;
    try {
      stop = platform.onInteraction({ ...kinds }, (raw) => {
        try {
          const interaction = cleanInteraction(raw);
          if (interaction) subscriber.next({ type: 'heatmaps.interaction', interaction, at: deps.instant() });
        } catch (error) {
          deps.log.error(MODULE, `watch, recording an interaction failed: ${errorText(error)}`);
        }
      });
    } catch (error) {
      deps.log.error(MODULE, `watch, the platform's onInteraction hook failed; nothing is tracked: ${errorText(error)}`);
      return undefined;
    }
    deps.log.debug(MODULE, `watch, listening for ${Object.keys(kinds).filter((k) => kinds[k as keyof InteractionKinds]).join(', ')}`);
    return () => {
      try {
        if (typeof stop === 'function') (stop as () => void)();
      } catch (error) {
        deps.log.error(MODULE, `shutdown, the platform's interaction cleanup failed: ${errorText(error)}`);
      }
    };
  });
}

const anyKind = (k: Required<InteractionKinds>): boolean => k.clicks || k.scrolls || k.links || k.forms;
const kindsKey = (k: Required<InteractionKinds>): string => `${k.clicks}${k.scrolls}${k.links}${k.forms}`;

export const heatmapsEffect: Effect = (cmd$, deps) =>
  merge(
    cmd$.pipe(
      filter(isWatch),
      map((c) => c.kinds),
      distinctUntilChanged((a, b) => kindsKey(a) === kindsKey(b)),
      switchMap((kinds) => (anyKind(kinds) ? interactions(kinds, deps) : EMPTY)),
    ),
    cmd$.pipe(
      filter(isProbe),
      switchMap((c) => {
        const platform = deps.platform;
        if (!platform || typeof platform.onInteraction !== 'function')
          deps.log.warning(MODULE, `${c.fn}, this platform reports no ${c.fn === 'trackClicks' ? 'clicks' : 'scrolls'}; nothing is tracked`);
        return EMPTY;
      }),
    ),
  );
