/**
 * Automatic page views (`views.automatic`, docs/views.md), pure transitions of the view
 * machine: the watch command at start, a view per page (full URL by default, the path with
 * `shortNames`), the previous automatic view ended, `view`/`domain` on the start event,
 * exclusions skipped without ending anything, manual views alongside, and the page shown
 * again when tracking comes back.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition } from 'xstate';
import { isExcluded, pageSegmentation, pageViewName } from '../../../src/domain/page-views.js';
import { viewMachine, type ViewEvent } from '../../../src/features/views/machine.js';
import { at, commands, ev, input, records, run, story } from './harness.js';

const ORIGIN = 'https://shop.example.com';
const nav = (path: string, ms: number, initial = false): ViewEvent => ({
  type: 'views.navigated',
  location: { href: `${ORIGIN}${path}`, pathname: path.replace(/[?#].*$/, ''), referrer: 'https://search.example.org/' },
  initial,
  at: at(ms),
});
const AUTO = input({ platformName: 'Web', automatic: true });
const SHORT = input({ platformName: 'Web', automatic: true, shortNames: true });

describe('automatic page views: the machine', () => {
  it('asks its effect to follow the page only with views.automatic', () => {
    const watch = (inp: typeof AUTO) => commands(initialTransition(viewMachine, inp)[1]).filter((c) => c.type === 'views.watch');
    expect(watch(AUTO)).toEqual([{ type: 'views.watch', enabled: true }]);
    expect(watch(input())).toEqual([]);
  });

  it('without views.automatic a navigation records nothing', () => {
    expect(run(input(), nav('/', 0, true), nav('/cart', 1000)).cmds.filter((c) => c.type === 'event.record')).toEqual([]);
  });

  it('records the first page with the full URL as its name, `view` and `domain`, and start "1" in a session', () => {
    const { cmds, snap } = run(AUTO, ev.began(0), nav('/?q=1', 0, true));
    const [first] = records(cmds);
    expect(first).toMatchObject({
      key: '[CLY]_view',
      count: 1,
      id: 'seed-1',
      segmentation: { name: `${ORIGIN}/?q=1`, visit: '1', segment: 'Web', view: `${ORIGIN}/?q=1`, domain: 'shop.example.com', start: '1' },
      extra: { pvid: '' },
    });
    // No referrer key: neither the guide nor the write API has one on view events.
    expect(Object.keys(first!.segmentation ?? {}).sort()).toEqual(['domain', 'name', 'segment', 'start', 'view', 'visit']);
    expect(snap.context.running.map((v) => [v.name, v.autoStopped])).toEqual([[`${ORIGIN}/?q=1`, true]]);
  });

  it('ends the previous automatic view (with its dur) when the name changes, and records nothing for the same page', () => {
    const { cmds, snap } = run(AUTO, nav('/', 0, true), nav('/', 500), nav('/cart', 3000), nav('/cart', 4000), nav('/cart#top', 6000));
    expect(story(cmds)).toEqual([`start ${ORIGIN}/`, `end ${ORIGIN}/ 3`, `start ${ORIGIN}/cart`, `end ${ORIGIN}/cart 3`, `start ${ORIGIN}/cart#top`]);
    const ends = records(cmds).filter((r) => r.dur !== undefined);
    expect(ends[0]).toMatchObject({ id: 'seed-1', segmentation: { name: `${ORIGIN}/`, segment: 'Web' } });
    // The end event carries what the spec's end event has: no `view`/`domain`/`visit`.
    expect(ends[0]?.segmentation).toEqual({ name: `${ORIGIN}/`, segment: 'Web' });
    expect(snap.context.running).toHaveLength(1);
  });

  it('with shortNames names views by the path: a hash or query change is the same page', () => {
    const { cmds } = run(SHORT, nav('/', 0, true), nav('/#a', 1000), nav('/?x=1', 2000), nav('/docs', 5000));
    expect(story(cmds)).toEqual(['start /', 'end / 5', 'start /docs']);
    expect(records(cmds)[2]?.segmentation).toMatchObject({ name: '/docs', view: `${ORIGIN}/docs`, domain: 'shop.example.com' });
  });

  it('an excluded page records neither a start nor a stop; the view before it keeps running', () => {
    const inp = input({ platformName: 'Web', automatic: true, shortNames: true, exclusions: ['/login', '^/admin'] });
    const { cmds, snap } = run(inp, nav('/', 0, true), nav('/login', 1000), nav('/admin/users', 2000), nav('/', 3000), nav('/about', 4000));
    expect(story(cmds)).toEqual(['start /', 'end / 4', 'start /about']);
    expect(cmds.some((c) => c.type === 'log' && c.message.includes('page [/admin/users] is excluded'))).toBe(true);
    expect(snap.context.running.map((v) => v.name)).toEqual(['/about']);
  });

  it('keeps manual views alongside: a manual view outlives page changes', () => {
    const { cmds, snap } = run(SHORT, nav('/', 0, true), ev.start('m1', 'Checkout', 500), nav('/pay', 2000), ev.stopById('m1', 4000));
    expect(story(cmds)).toEqual(['start /', 'start Checkout', 'end / 2', 'start /pay', 'end Checkout 4']);
    expect(snap.context.running.map((v) => v.name)).toEqual(['/pay']);
  });

  it('restarts the automatic view after the background, with its page segmentation', () => {
    const { cmds } = run(SHORT, nav('/', 0, true), ev.bg(2000), ev.fg(5000));
    const [, end, restart] = records(cmds);
    expect(end).toMatchObject({ dur: 2, segmentation: { name: '/' } });
    expect(restart).toMatchObject({ id: 'seed-2', segmentation: { name: '/', visit: '1', view: `${ORIGIN}/`, domain: 'shop.example.com' } });
  });

  it('without consent only remembers the page; when consent comes the page then shown gets its view', () => {
    const [removing, removed] = ev.removeViews(1000);
    const { cmds, snap } = run(SHORT, nav('/', 0, true), removing!, removed!, nav('/a', 2000), nav('/b', 3000), ev.giveViews(4000));
    expect(story(cmds)).toEqual(['start /', 'end / 1', 'start /b']);
    expect(records(cmds)[2]?.at).toEqual(at(4000));
    expect(snap.context.autoName).toBe('/b');
  });

  it('server settings turning tracking off and on again behave like consent', () => {
    const { cmds } = run(SHORT, nav('/', 0, true), ev.settings({ vt: false }, 1000), nav('/x', 1500), ev.settings({ vt: true }, 2000));
    expect(story(cmds)).toEqual(['start /', 'end / 1', 'start /x']);
  });
});

describe('automatic page views: the pure rules', () => {
  it('names, segmentation and exclusions', () => {
    const page = { href: 'https://a.test:8080/p?q#h', pathname: '/p' };
    expect(pageViewName({ shortNames: false }, page)).toBe('https://a.test:8080/p?q#h');
    expect(pageViewName({ shortNames: true }, page)).toBe('/p');
    expect(pageSegmentation(page)).toEqual({ view: 'https://a.test:8080/p?q#h', domain: 'a.test' });
    expect(pageSegmentation({ href: 'not a url', pathname: '' })).toEqual({ view: 'not a url' });
    expect(isExcluded('/login', ['/login'])).toBe(true);
    expect(isExcluded('/admin/x', ['^/admin'])).toBe(true);
    expect(isExcluded('/x', ['^/admin'])).toBe(false);
    // An invalid expression matches exactly only, and never throws.
    expect(isExcluded('/a(', ['/a('])).toBe(true);
    expect(isExcluded('/a', ['/a('])).toBe(false);
  });
});
