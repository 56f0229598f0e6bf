/**
 * Heatmaps (SDK guide "Heatmaps", l.2711–2864; docs/heatmaps.md): clicks and the deepest scroll
 * of each view become `[CLY]_action` events; link clicks (`linkClick`) and form submissions
 * (`formSubmit`) as the web SDK records them ride along with click tracking.
 *
 * The machine decides; the platform only reports (src/features/heatmaps/effect.ts):
 * - tracking starts with `trackClicks()` / `trackScrolls()` or the config (l.2730–2756, 2772);
 * - a click needs `clicks` consent, a scroll `scrolls`, a form `forms` (l.2862, l.4355–4357);
 *   nothing is recorded while the server's `tracking` setting is false;
 * - clicks have a 1 s cool-down after a recorded one (l.2742, l.2803), timed by the events'
 *   own moments (no timer);
 * - the scroll depth is kept per view, only its maximum, and recorded once when the view
 *   changes or the page goes away (l.2822, l.2860): `leave` from the platform, `app.hidden`,
 *   or a device-ID change (so it is recorded under the identity it belongs to).
 *
 * States: `idle` (nothing tracked: interactions are ignored) → `tracking`.
 */
import { and, assertEvent, enqueueActions, setup } from 'xstate';
import type { InteractionEvent, InteractionKinds } from '../../adapters/types.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { Instant, Segmentation } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import type { Deliverable } from '../define.js';
import type { HeatmapsCommand } from './commands.js';

/** The internal event key of clicks and scrolls (l.2737, l.2825). */
export const ACTION_KEY = '[CLY]_action';
/** The web SDK's link and form event keys (countly-sdk-web `track_links` / `track_forms`). */
export const LINK_KEY = 'linkClick';
export const FORM_KEY = 'formSubmit';
/** l.2742: "A 1-second cooldown is applied between tracked clicks". */
export const CLICK_COOLDOWN_MS = 1000;

export interface HeatmapsConsent {
  clicks: boolean;
  scrolls: boolean;
  forms: boolean;
}

export interface HeatmapsInput {
  consent: HeatmapsConsent;
  /** `heatmaps.clicks` / `heatmaps.scrolls` of the config: tracking from init. */
  clicks: boolean;
  scrolls: boolean;
  settings: BehaviorSettings;
  /** A per-instance seed for event IDs. */
  idSeed: string;
}

/** The deepest scroll seen on the current view, not yet recorded. */
export interface PendingScroll {
  view: string;
  y: number;
  width: number;
  height: number;
}

export interface HeatmapsContext {
  consent: HeatmapsConsent;
  clicks: boolean;
  scrolls: boolean;
  /** The server's `tracking` setting; false records nothing. */
  tracking: boolean;
  lastClickAt: number | null;
  scroll: PendingScroll | null;
  idSeed: string;
  seq: number;
}

export type HeatmapsEvent =
  | { type: 'heatmaps.track'; what: 'clicks' | 'scrolls' }
  | { type: 'heatmaps.interaction'; interaction: InteractionEvent; at: Instant }
  | (Extract<Broadcast, { type: 'consent.changed' }> & { at?: Instant })
  | (Extract<Broadcast, { type: 'settings.updated' }> & { at?: Instant })
  | Extract<Broadcast, { type: 'app.hidden' }>
  | (Extract<Broadcast, { type: 'identity.changing' }> & { at?: Instant });

export type HeatmapsEmitted = Extract<Command, { type: 'event.record' | 'log' }> | HeatmapsCommand;

/** The broadcasts, and the effect's `heatmaps.interaction`, the router delivers here. */
export const heatmapsListensTo: readonly Deliverable[] = /* @__PURE__ */ Object.freeze(['consent.changed', 'settings.updated', 'app.hidden', 'identity.changing', 'heatmaps.interaction'] as const);

/** What the platform is asked to report: only what would be recorded now. */
export function watchedKinds(c: HeatmapsContext): Required<InteractionKinds> {
  const clicks = c.tracking && c.clicks && c.consent.clicks;
  return {
    clicks,
    links: clicks,
    scrolls: c.tracking && c.scrolls && c.consent.scrolls,
    forms: c.tracking && c.clicks && c.consent.forms,
  };
}

const finite = (n: number): number => (Number.isFinite(n) ? Math.round(n) : 0);
const view = (i: InteractionEvent): string | null => (i.kind === 'leave' ? null : i.view);

/** The `[CLY]_action` segmentation of a scroll (l.2809–2818): no `x`. */
export function scrollSegmentation(s: PendingScroll): Segmentation {
  return { type: 'scroll', y: finite(s.y), width: finite(s.width), height: finite(s.height), view: s.view };
}

/** The segmentation of one click, link or form (undefined and empty optional fields left out). */
export function interactionSegmentation(i: InteractionEvent): { key: string; segmentation: Segmentation } | null {
  const put = (seg: Segmentation, k: string, v: string | undefined): void => {
    if (typeof v === 'string' && v !== '') seg[k] = v;
  };
  switch (i.kind) {
    case 'click':
      return { key: ACTION_KEY, segmentation: { type: 'click', x: finite(i.x), y: finite(i.y), width: finite(i.width), height: finite(i.height), view: i.view } };
    case 'link': {
      const seg: Segmentation = { href: i.href };
      put(seg, 'text', i.text);
      put(seg, 'id', i.id);
      seg.view = i.view;
      return { key: LINK_KEY, segmentation: seg };
    }
    case 'form': {
      const seg: Segmentation = {};
      put(seg, 'id', i.id);
      put(seg, 'name', i.name);
      put(seg, 'action', i.action);
      put(seg, 'method', i.method);
      seg.view = i.view;
      return { key: FORM_KEY, segmentation: seg };
    }
    default:
      return null;
  }
}

const interaction = (e: HeatmapsEvent): InteractionEvent | null => (e.type === 'heatmaps.interaction' ? e.interaction : null);

export const heatmapsMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as HeatmapsInput,
      context: {} as HeatmapsContext,
      events: {} as HeatmapsEvent,
      emitted: {} as HeatmapsEmitted,
    },
    guards: {
      anyTracked: ({ context }) => context.clicks || context.scrolls,
      isClick: ({ event }) => interaction(event)?.kind === 'click',
      isScroll: ({ event }) => interaction(event)?.kind === 'scroll',
      isLink: ({ event }) => interaction(event)?.kind === 'link',
      isForm: ({ event }) => interaction(event)?.kind === 'form',
      isLeave: ({ event }) => interaction(event)?.kind === 'leave',
      clickAllowed: ({ context, event }) => {
        if (event.type !== 'heatmaps.interaction') return false;
        const { clicks } = watchedKinds(context);
        return clicks && (context.lastClickAt === null || event.at.timestamp - context.lastClickAt >= CLICK_COOLDOWN_MS);
      },
      scrollAllowed: ({ context }) => watchedKinds(context).scrolls,
      linkAllowed: ({ context }) => watchedKinds(context).links,
      formAllowed: ({ context }) => watchedKinds(context).forms,
    },
    actions: {
      /** Records the pending scroll depth (if still allowed) and forgets it. */
      flushScroll: enqueueActions(({ context, event, enqueue }) => {
        const pending = context.scroll;
        if (pending === null) return;
        enqueue.assign({ scroll: null });
        if (!watchedKinds(context).scrolls) return;
        const at = 'at' in event && event.at !== undefined ? event.at : null;
        if (at === null) return;
        enqueue.emit({ type: 'event.record', key: ACTION_KEY, count: 1, segmentation: scrollSegmentation(pending), at, id: `${context.idSeed}-h${context.seq}` });
        enqueue.assign({ seq: context.seq + 1 });
      }),
      /** A new view (an interaction elsewhere) ends the previous view's scroll depth (l.2750). */
      flushScrollOfOtherView: enqueueActions(({ context, event, enqueue }) => {
        const i = interaction(event);
        const pending = context.scroll;
        if (i === null || pending === null || view(i) === null || view(i) === pending.view) return;
        enqueue.assign({ scroll: null });
        if (!watchedKinds(context).scrolls) return;
        assertEvent(event, 'heatmaps.interaction');
        enqueue.emit({ type: 'event.record', key: ACTION_KEY, count: 1, segmentation: scrollSegmentation(pending), at: event.at, id: `${context.idSeed}-h${context.seq}` });
        enqueue.assign({ seq: context.seq + 1 });
      }),
      keepDeepest: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'heatmaps.interaction');
        const i = event.interaction;
        if (i.kind !== 'scroll') return;
        const pending = context.scroll;
        const y = finite(i.y);
        if (pending !== null && pending.view === i.view && pending.y >= y) return;
        enqueue.assign({ scroll: { view: i.view, y, width: finite(i.width), height: finite(i.height) } });
      }),
      recordInteraction: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'heatmaps.interaction');
        const made = interactionSegmentation(event.interaction);
        if (made === null) return;
        enqueue.emit({ type: 'event.record', key: made.key, count: 1, segmentation: made.segmentation, at: event.at, id: `${context.idSeed}-h${context.seq}` });
        enqueue.assign({ seq: context.seq + 1 });
        if (event.interaction.kind === 'click') enqueue.assign({ lastClickAt: event.at.timestamp });
      }),
      startTracking: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'heatmaps.track');
        enqueue.emit({ type: 'heatmaps.probe', fn: event.what === 'clicks' ? 'trackClicks' : 'trackScrolls' });
        if (context[event.what]) return;
        enqueue.assign(event.what === 'clicks' ? { clicks: true } : { scrolls: true });
      }),
      storeConsent: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        const consent = { clicks: event.after.clicks, scrolls: event.after.scrolls, forms: event.after.forms };
        enqueue.assign({ consent });
        // Without `scrolls` consent the depth seen so far is dropped, never recorded later (l.2862).
        if (!consent.scrolls && context.scroll !== null) enqueue.assign({ scroll: null });
      }),
      storeSettings: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'settings.updated');
        const tracking = event.settings.tracking !== false;
        enqueue.assign({ tracking });
        if (!tracking) enqueue.assign({ scroll: null });
      }),
      /** Asks the platform for what would be recorded now (the effect ignores repeats). */
      watch: enqueueActions(({ context, enqueue }) => {
        enqueue.emit({ type: 'heatmaps.watch', kinds: watchedKinds(context) });
      }),
    },
  }).createMachine({
    id: 'heatmaps',
    context: ({ input }) => ({
      consent: { ...input.consent },
      clicks: input.clicks,
      scrolls: input.scrolls,
      tracking: input.settings.tracking !== false,
      lastClickAt: null,
      scroll: null,
      idSeed: input.idSeed,
      seq: 0,
    }),
    initial: 'idle',
    on: {
      'consent.changed': { actions: ['storeConsent', 'watch'] },
      'settings.updated': { actions: ['storeSettings', 'watch'] },
    },
    states: {
      idle: {
        always: { guard: 'anyTracked', target: 'tracking' },
        on: {
          'heatmaps.track': { target: 'tracking', actions: 'startTracking' },
        },
      },
      tracking: {
        entry: 'watch',
        on: {
          'heatmaps.track': { actions: ['startTracking', 'watch'] },
          'heatmaps.interaction': [
            { guard: 'isLeave', actions: 'flushScroll' },
            { guard: and(['isScroll', 'scrollAllowed']), actions: ['flushScrollOfOtherView', 'keepDeepest'] },
            { guard: and(['isClick', 'clickAllowed']), actions: ['flushScrollOfOtherView', 'recordInteraction'] },
            { guard: and(['isLink', 'linkAllowed']), actions: ['flushScrollOfOtherView', 'recordInteraction'] },
            { guard: and(['isForm', 'formAllowed']), actions: ['flushScrollOfOtherView', 'recordInteraction'] },
            // Refused (no consent, cool-down, not tracked): still a sign of the view the user is on.
            { actions: 'flushScrollOfOtherView' },
          ],
          'app.hidden': { actions: 'flushScroll' },
          'identity.changing': { actions: 'flushScroll' },
        },
      },
    },
}))();
