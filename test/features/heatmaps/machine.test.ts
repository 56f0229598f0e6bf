/**
 * Heatmaps (SDK guide "Heatmaps", l.2711–2864): pure transitions, every path of the
 * statechart, and properties over random interaction sequences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import type { InteractionEvent } from '../../../src/adapters/types.js';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import type { ConsentFeature } from '../../../src/domain/types.js';
import { heatmapsMachine, type HeatmapsEmitted, type HeatmapsEvent, type HeatmapsInput } from '../../../src/features/heatmaps/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof heatmapsMachine>;
type Rec = Extract<HeatmapsEmitted, { type: 'event.record' }>;
const T0 = Date.UTC(2026, 0, 1);
const at = (ms = 0) => instantAt(T0 + ms);

const input = (over: Partial<HeatmapsInput> = {}): HeatmapsInput => ({
  consent: { clicks: true, scrolls: true, forms: true },
  clicks: false,
  scrolls: false,
  settings: {},
  idSeed: 'seed',
  ...over,
});
const act = (interaction: InteractionEvent, ms = 0): HeatmapsEvent => ({ type: 'heatmaps.interaction', interaction, at: at(ms) });
const click = (x = 10, y = 20, view = 'https://a.test/p', ms = 0) => act({ kind: 'click', x, y, width: 1920, height: 1200, view }, ms);
const scroll = (y: number, view = 'https://a.test/p', ms = 0) => act({ kind: 'scroll', y, width: 1920, height: 1200, view }, ms);
const link = (ms = 0) => act({ kind: 'link', href: 'https://b.test/', text: 'Go', id: 'l1', view: 'https://a.test/p' }, ms);
const form = (ms = 0) => act({ kind: 'form', id: 'f', name: 'signup', action: '/join', method: 'post', view: 'https://a.test/p' }, ms);
const leave = (ms = 0) => act({ kind: 'leave' }, ms);
const track = (what: 'clicks' | 'scrolls'): HeatmapsEvent => ({ type: 'heatmaps.track', what });
const consent = (features: ConsentFeature[], given: boolean): HeatmapsEvent => ({
  type: 'consent.changed',
  before: allConsent(!given),
  after: withConsent(allConsent(!given), features, given),
});
const hidden = (ms = 0): HeatmapsEvent => ({ type: 'app.hidden', at: at(ms) });
const serverTracking = (tracking: boolean): HeatmapsEvent => ({ type: 'settings.updated', settings: { tracking } });

function run(inp: HeatmapsInput, ...events: HeatmapsEvent[]): { snap: Snap; cmds: HeatmapsEmitted[]; records: Rec[] } {
  const [first, initActions] = initialTransition(heatmapsMachine, inp);
  let snap = first;
  const cmds: HeatmapsEmitted[] = emittedCommands<HeatmapsEmitted>(initActions);
  for (const e of events) {
    const [next, actions] = transition(heatmapsMachine, snap, e);
    snap = next;
    cmds.push(...emittedCommands<HeatmapsEmitted>(actions));
  }
  return { snap, cmds, records: cmds.filter((c): c is Rec => c.type === 'event.record') };
}

describe('heatmaps machine: transitions', () => {
  it('starts idle and ignores interactions until tracking starts', () => {
    const r = run(input(), click(), scroll(900), leave());
    expect(r.snap.value).toBe('idle');
    expect(r.cmds).toEqual([]);
  });

  it('trackClicks: asks the platform for clicks, links and forms, and records the spec click (l.2782–2800)', () => {
    const r = run(input(), track('clicks'), click(120, 200, 'https://sth.com'));
    expect(r.cmds[0]).toEqual({ type: 'heatmaps.probe', fn: 'trackClicks' });
    expect(r.cmds[1]).toEqual({ type: 'heatmaps.watch', kinds: { clicks: true, links: true, scrolls: false, forms: true } });
    expect(r.records).toEqual([
      { type: 'event.record', key: '[CLY]_action', count: 1, segmentation: { type: 'click', x: 120, y: 200, width: 1920, height: 1200, view: 'https://sth.com' }, at: at(), id: 'seed-h0' },
    ]);
  });

  it('config clicks/scrolls start tracking at init (entry watch)', () => {
    const r = run(input({ scrolls: true }));
    expect(r.snap.value).toBe('tracking');
    expect(r.cmds).toEqual([{ type: 'heatmaps.watch', kinds: { clicks: false, links: false, scrolls: true, forms: false } }]);
  });

  it('a 1 s cool-down after a recorded click (l.2742)', () => {
    const r = run(input({ clicks: true }), click(1, 1, 'v', 0), click(2, 2, 'v', 999), click(3, 3, 'v', 1000), click(4, 4, 'v', 1500));
    expect(r.records.map((c) => c.segmentation?.x)).toEqual([1, 3]);
  });

  it('links and forms as the web SDK records them; forms need `forms` consent', () => {
    const r = run(input({ clicks: true }), link(), form());
    expect(r.records.map((c) => [c.key, c.segmentation])).toEqual([
      ['linkClick', { href: 'https://b.test/', text: 'Go', id: 'l1', view: 'https://a.test/p' }],
      ['formSubmit', { id: 'f', name: 'signup', action: '/join', method: 'post', view: 'https://a.test/p' }],
    ]);
    const noForms = run(input({ clicks: true, consent: { clicks: true, scrolls: true, forms: false } }), link(), form());
    expect(noForms.records.map((c) => c.key)).toEqual(['linkClick']);
  });

  it('scroll: only the deepest y of a view, recorded once on view change, without x (l.2809–2822)', () => {
    const r = run(input({ scrolls: true }), scroll(300), scroll(900), scroll(500), scroll(100, 'https://a.test/q', 5));
    expect(r.records).toEqual([
      { type: 'event.record', key: '[CLY]_action', count: 1, segmentation: { type: 'scroll', y: 900, width: 1920, height: 1200, view: 'https://a.test/p' }, at: at(5), id: 'seed-h0' },
    ]);
    expect(r.snap.context.scroll).toEqual({ view: 'https://a.test/q', y: 100, width: 1920, height: 1200 });
  });

  it('the depth is flushed on leave, app.hidden and a device-ID change, once', () => {
    for (const end of [leave(7), hidden(7), { type: 'identity.changing', from: 'a', to: 'b', at: at(7) } as HeatmapsEvent]) {
      const r = run(input({ scrolls: true }), scroll(400), end, end, leave(8));
      expect(r.records.map((c) => [c.segmentation?.y, c.at])).toEqual([[400, at(7)]]);
    }
  });

  it('no consent: nothing watched, nothing recorded; losing `scrolls` drops the pending depth', () => {
    const none = input({ clicks: true, scrolls: true, consent: { clicks: false, scrolls: false, forms: false } });
    const r = run(none, click(), scroll(500), link(), form(), leave());
    expect(r.records).toEqual([]);
    expect(r.cmds).toEqual([{ type: 'heatmaps.watch', kinds: { clicks: false, links: false, scrolls: false, forms: false } }]);
    const dropped = run(input({ scrolls: true }), scroll(500), consent(['scrolls'], false), consent(['scrolls'], true), leave());
    expect(dropped.records).toEqual([]);
  });

  it('the server `tracking: false` setting stops everything; true resumes', () => {
    const r = run(input({ clicks: true }), serverTracking(false), click(1, 1, 'v', 0), serverTracking(true), click(2, 2, 'v', 10));
    expect(r.records.map((c) => c.segmentation?.x)).toEqual([2]);
    expect(r.cmds.filter((c) => c.type === 'heatmaps.watch').map((c) => c.type === 'heatmaps.watch' && c.kinds.clicks)).toEqual([true, false, true]);
  });

  it('repeated trackClicks calls only probe again', () => {
    const r = run(input(), track('clicks'), track('clicks'));
    expect(r.cmds.map((c) => c.type)).toEqual(['heatmaps.probe', 'heatmaps.watch', 'heatmaps.probe', 'heatmaps.watch']);
    expect(r.snap.context.clicks).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Model-based paths: every transition, and the rule "no event without its consent".

const MODEL_EVENTS: HeatmapsEvent[] = [
  track('clicks'), track('scrolls'), click(), scroll(500), scroll(700, 'https://a.test/q'), link(), form(), leave(), hidden(),
  consent(['clicks', 'scrolls', 'forms'], false), consent(['clicks', 'scrolls', 'forms'], true), serverTracking(false), serverTracking(true),
];

function allowed(snap: Snap, r: Rec): boolean {
  const c = snap.context;
  if (!c.tracking) return false;
  if (r.key === '[CLY]_action') return r.segmentation?.type === 'scroll' ? c.consent.scrolls && c.scrolls : c.consent.clicks && c.clicks;
  if (r.key === 'linkClick') return c.consent.clicks && c.clicks;
  return r.key === 'formSubmit' && c.consent.forms && c.clicks;
}

function replay(inp: HeatmapsInput, steps: ReadonlyArray<{ event: HeatmapsEvent }>, taken: Set<string>): void {
  let [snap] = initialTransition(heatmapsMachine, inp);
  for (const { event } of steps) {
    const before = snap;
    const [next, actions] = transition(heatmapsMachine, snap, event);
    for (const r of emittedCommands<HeatmapsEmitted>(actions).filter((c): c is Rec => c.type === 'event.record')) {
      expect(allowed(before, r), `${r.key} ${JSON.stringify(r.segmentation)} only with consent and tracking`).toBe(true);
    }
    taken.add(`${JSON.stringify(before.value)} --${event.type}${event.type === 'heatmaps.interaction' ? `:${event.interaction.kind}` : ''}--> ${JSON.stringify(next.value)}`);
    snap = next;
  }
}

describe('heatmaps machine: model-based paths', () => {
  const serialize = (s: Snap): string => {
    const c = s.context;
    return JSON.stringify({ v: s.value, k: c.clicks, s: c.scrolls, t: c.tracking, c: c.consent, p: c.scroll?.view ?? null, l: c.lastClickAt !== null });
  };
  it('every shortest and simple path keeps the rule, and takes every transition', () => {
    const taken = new Set<string>();
    for (const inp of [input(), input({ consent: { clicks: false, scrolls: false, forms: false } })]) {
      const opts = { input: inp, events: MODEL_EVENTS, serializeState: serialize };
      const shortest = getShortestPaths(heatmapsMachine, opts);
      expect(shortest.length).toBeGreaterThan(10);
      // Each reachable state, then every event from it: every transition is taken once.
      for (const p of shortest) for (const event of MODEL_EVENTS) replay(inp, [...p.steps, { event }], taken);
      const simple = getSimplePaths(heatmapsMachine, { ...opts, events: MODEL_EVENTS.slice(0, 8) });
      for (const p of simple.slice(0, 3000)) replay(inp, p.steps, taken);
    }
    for (const kind of ['track', 'interaction:click', 'interaction:scroll', 'interaction:link', 'interaction:form', 'interaction:leave', 'app.hidden', 'consent.changed', 'settings.updated'])
      expect([...taken].some((t) => t.includes(`"tracking" --heatmaps.${kind}`) || t.includes(`"tracking" --${kind}`)), kind).toBe(true);
    expect([...taken].some((t) => t.startsWith('"idle" --heatmaps.track--> "tracking"'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Properties.

const views = ['https://a.test/1', 'https://a.test/2', 'https://a.test/3'];
const interactionArb: fc.Arbitrary<HeatmapsEvent> = fc.oneof(
  fc.record({ v: fc.constantFrom(...views), x: fc.nat(3000), y: fc.nat(3000) }).map(({ v, x, y }) => click(x, y, v)),
  fc.record({ v: fc.constantFrom(...views), y: fc.nat(10_000) }).map(({ v, y }) => scroll(y, v)),
  fc.constant(link()),
  fc.constant(form()),
  fc.constant(leave()),
  fc.constant(hidden()),
  fc.constantFrom(track('clicks'), track('scrolls')),
  fc.subarray<ConsentFeature>(['clicks', 'scrolls', 'forms'], { minLength: 1 }).chain((f) => fc.boolean().map((g) => consent(f, g))),
  fc.boolean().map(serverTracking),
);

describe('heatmaps machine: properties', () => {
  it('any sequence: events only with consent; each view-visit depth is its max, reported once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(interactionArb, fc.nat(3000)), { maxLength: 60 }), (steps) => {
        let [snap] = initialTransition(heatmapsMachine, input({ consent: { clicks: false, scrolls: false, forms: false } }));
        let ms = 0;
        // The model: the deepest y of the current visit of a view, while scrolls are recorded.
        let visit: { view: string; y: number } | null = null;
        for (const [raw, dt] of steps) {
          ms += dt;
          const e: HeatmapsEvent = 'at' in raw && raw.at !== undefined ? ({ ...raw, at: at(ms) } as HeatmapsEvent) : raw;
          const before = snap;
          const [next, actions] = transition(heatmapsMachine, snap, e);
          const recs = emittedCommands<HeatmapsEmitted>(actions).filter((c): c is Rec => c.type === 'event.record');
          for (const r of recs) expect(allowed(before, r)).toBe(true);
          const scrolls = recs.filter((r) => r.segmentation?.type === 'scroll');
          expect(scrolls.length).toBeLessThanOrEqual(1);
          const recording = (s: Snap) => s.context.tracking && s.context.scrolls && s.context.consent.scrolls && s.value === 'tracking';
          if (scrolls[0]) {
            expect(visit).not.toBeNull();
            expect(scrolls[0].segmentation).toMatchObject({ y: visit!.y, view: visit!.view });
            visit = null;
          }
          if (e.type === 'heatmaps.interaction' && e.interaction.kind !== 'leave' && visit && e.interaction.view !== visit.view) visit = null;
          if (!recording(next)) visit = null;
          if (e.type === 'heatmaps.interaction' && e.interaction.kind === 'scroll' && recording(before) && recording(next))
            visit = visit ? { view: visit.view, y: Math.max(visit.y, e.interaction.y) } : { view: e.interaction.view, y: e.interaction.y };
          expect(next.context.scroll === null ? null : { view: next.context.scroll.view, y: next.context.scroll.y }).toEqual(visit);
          snap = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
