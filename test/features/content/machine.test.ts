/**
 * The content zone machine, pure (`initialTransition` / `transition`): each rule of spec 001
 * Content Zone (l. 1346-1604) and the behavior settings ecz/czi/rcz/jte, asserted on the
 * commands it emits.
 */
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { contentMachine } from '../../../src/features/content/machine.js';
import {
  AFTER_FETCH,
  BLOCK,
  NO_CONTENT,
  T0,
  closed,
  consent,
  enter,
  exit,
  fetchFailed,
  fetched,
  flushed,
  input,
  journey,
  lastTag,
  messaged,
  newDeviceId,
  ofType,
  overlay,
  preview,
  refresh,
  run,
  settings,
  tempId,
  commands,
} from './helpers.js';

const fire = (snap: ReturnType<typeof run>['snap']) => {
  const [next, actions] = transition(contentMachine, snap, { type: AFTER_FETCH } as never);
  return { snap: next, last: commands(actions) };
};

describe('entering and leaving the zone', () => {
  it('starts outside; ecz enters at boot with the 4 s initial delay', () => {
    expect(run(input()).snap.value).toBe('outside');
    const { snap } = run(input({ settings: { ecz: true } }));
    expect(snap.value).toBe('waiting');
    expect(snap.context).toMatchObject({ inZone: true, waitMs: 4000 });
  });

  it('ecz does not enter without consent or in temporary-ID mode', () => {
    expect(run(input({ settings: { ecz: true }, consent: false })).snap.value).toBe('outside');
    expect(run(input({ settings: { ecz: true }, temporaryId: true })).snap.value).toBe('outside');
  });

  it('enterZone in the first 4 s waits 4 s; later it fetches at once', () => {
    expect(run(input(), enter(T0 + 1000)).snap.context.waitMs).toBe(4000);
    const later = run(input(), enter(T0 + 4000));
    expect(later.snap.value).toBe('fetching');
    expect(later.last).toEqual([expect.objectContaining({ type: 'log' }), { type: 'content.fetch', tag: 'content:fetch:1', contentId: null }]);
  });

  it('enterZone is refused without consent and in temporary-ID mode, with a warning', () => {
    for (const inp of [input({ consent: false }), input({ temporaryId: true })]) {
      const { snap, last } = run(inp, enter());
      expect(snap.value).toBe('outside');
      expect(last).toEqual([expect.objectContaining({ type: 'log', level: 'warning', message: expect.stringContaining('enterZone') })]);
    }
  });

  it('enterZone while in the zone changes nothing', () => {
    const a = run(input(), enter());
    const b = run(input(), enter(), enter(T0 + 20_000));
    expect(b.snap.context.waitMs).toBe(a.snap.context.waitMs);
    expect(b.last.every((c) => c.type === 'log' && c.level === 'debug')).toBe(true);
  });

  it('exitZone leaves the zone and drops the fetch in flight (its answer is ignored)', () => {
    const s = fire(run(input(), enter()).snap);
    const tag = lastTag(s.last);
    const [afterExit] = transition(contentMachine, s.snap, exit());
    expect(afterExit.value).toBe('outside');
    expect(afterExit.context.inZone).toBe(false);
    const [afterAnswer, actions] = transition(contentMachine, afterExit, fetched(tag));
    expect(afterAnswer.value).toBe('outside');
    expect(commands(actions)).toEqual([]);
  });

  it('exitZone without consent is refused (spec l. 1425)', () => {
    const { last } = run(input({ consent: false }), exit());
    expect(last).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringContaining('exitZone, no "content" consent') })]);
  });
});

describe('fetching and showing', () => {
  const fetching = () => fire(run(input(), enter()).snap);

  it('a valid answer is shown with its placement, the overlay is announced', () => {
    const f = fetching();
    const [snap, actions] = transition(contentMachine, f.snap, fetched(lastTag(f.last)));
    expect(snap.value).toEqual({ showing: 'steady' });
    expect(commands(actions)).toEqual([
      {
        type: 'content.show',
        showId: 2,
        url: BLOCK.html,
        placement: { portrait: { x: 0, y: 0, width: 360, height: 640 }, landscape: { x: 0, y: 0, width: 640, height: 360 } },
      },
      { type: 'broadcast', event: { type: 'overlay.shown', by: 'content' } },
    ]);
  });

  it.each([
    ['no content', NO_CONTENT, 200],
    ['html without geo', JSON.stringify({ html: 'https://x/1' }), 200],
    ['geo without html', JSON.stringify({ geo: BLOCK.geo }), 200],
    ['an error status', JSON.stringify(BLOCK), 500],
    ['malformed', '{', 200],
  ])('%s: nothing shown, the next fetch one interval later', (_name, body, status) => {
    const f = fetching();
    const [snap, actions] = transition(contentMachine, f.snap, fetched(lastTag(f.last), body, status));
    expect(snap.value).toBe('waiting');
    expect(snap.context.waitMs).toBe(30_000);
    expect(ofType(commands(actions), 'content.show')).toEqual([]);
  });

  it('a failed fetch waits one interval', () => {
    const f = fetching();
    const [snap] = transition(contentMachine, f.snap, fetchFailed(lastTag(f.last)));
    expect(snap.value).toBe('waiting');
    expect(snap.context.waitMs).toBe(30_000);
  });

  it('after the platform closes the content: 2 × interval, CLOSED to onContent, overlay closed', () => {
    const f = fetching();
    const [shown] = transition(contentMachine, f.snap, fetched(lastTag(f.last)));
    const [snap, actions] = transition(contentMachine, shown, closed(2));
    expect(snap.value).toBe('waiting');
    expect(snap.context.waitMs).toBe(60_000);
    expect(commands(actions)).toEqual([
      { type: 'content.close', showId: 2 },
      { type: 'broadcast', event: { type: 'overlay.closed', by: 'content' } },
      { type: 'callback.invoke', token: 'content.onContent', args: ['CLOSED', { url: BLOCK.html, closedBy: 'platform' }] },
    ]);
  });

  it('a close for another show is ignored', () => {
    const f = fetching();
    const [shown] = transition(contentMachine, f.snap, fetched(lastTag(f.last)));
    const [snap, actions] = transition(contentMachine, shown, closed(99));
    expect(snap.value).toEqual({ showing: 'steady' });
    expect(commands(actions)).toEqual([]);
  });

  it('enter / refresh / preview while content is shown are refused', () => {
    const f = fetching();
    const [shown] = transition(contentMachine, f.snap, fetched(lastTag(f.last)));
    for (const e of [enter(), refresh(), preview()]) {
      const [snap, actions] = transition(contentMachine, shown, e);
      expect(snap.value).toEqual({ showing: 'steady' });
      expect(commands(actions)).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringContaining('content is being shown') })]);
    }
  });
});

describe('feedback widgets block fetching', () => {
  it('the timer fires while a widget is shown: no fetch, the next try an interval later', () => {
    const { snap } = run(input(), enter(), overlay(true));
    const f = fire(snap);
    expect(f.snap.value).toBe('waiting');
    expect(f.snap.context.waitMs).toBe(30_000);
    expect(ofType(f.last, 'content.fetch')).toEqual([]);
    const g = fire(run(input(), enter(), overlay(true), overlay(false)).snap);
    expect(g.snap.value).toBe('fetching');
  });

  it('our own overlay broadcasts do not block', () => {
    expect(fire(run(input(), enter(), overlay(true, 'content')).snap).snap.value).toBe('fetching');
  });

  it('an answer that arrives while a widget is shown is not shown', () => {
    const f = fire(run(input(), enter()).snap);
    const [blocked] = transition(contentMachine, f.snap, overlay(true));
    const [snap] = transition(contentMachine, blocked, fetched(lastTag(f.last)));
    expect(snap.value).toBe('waiting');
  });

  it('preview is refused while a widget is shown', () => {
    const { snap, last } = run(input(), overlay(true), preview());
    expect(snap.value).toBe('outside');
    expect(last[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('feedback widget') });
  });
});

describe('preview', () => {
  it('fetches the content ID with preview=true without entering the zone', () => {
    const { snap, last } = run(input(), preview('abc'));
    expect(snap.value).toBe('fetching');
    expect(last).toEqual([{ type: 'content.fetch', tag: 'content:fetch:1', contentId: 'abc' }]);
    expect(snap.context.inZone).toBe(false);
    const [shown] = transition(contentMachine, snap, fetched('content:fetch:1'));
    const [after, actions] = transition(contentMachine, shown, closed(2));
    expect(after.value).toBe('outside');
    expect(ofType(commands(actions), 'callback.invoke')[0]?.args).toEqual(['CLOSED', { url: BLOCK.html, closedBy: 'platform', contentId: 'abc' }]);
  });

  it('an empty preview answer is warned about', () => {
    const { snap, last } = run(input(), preview('abc'), fetched('content:fetch:1', NO_CONTENT));
    expect(snap.value).toBe('outside');
    expect(last[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('no content [abc]') });
  });

  it('is refused without consent or in temporary-ID mode', () => {
    expect(run(input({ consent: false }), preview()).snap.value).toBe('outside');
    expect(run(input({ temporaryId: true }), preview()).snap.value).toBe('outside');
  });
});

describe('refresh (rcz) and journey triggers (jte)', () => {
  it('refreshZone flushes first, then enters the zone and fetches at once', () => {
    const a = run(input(), refresh());
    expect(a.snap.value).toBe('flushing');
    expect(a.last).toEqual([{ type: 'content.flush', tag: 'content:flush:1' }]);
    const b = run(input(), refresh(), flushed('content:flush:1', false));
    expect(b.snap.value).toBe('fetching');
    expect(b.snap.context.inZone).toBe(true);
    expect(b.last).toEqual([{ type: 'content.fetch', tag: 'content:fetch:2', contentId: null }]);
  });

  it('refreshZone in the first 4 s waits for the initial delay', () => {
    const { snap } = run(input(), refresh(T0 + 100), flushed('content:flush:1', true, T0 + 200));
    expect(snap.value).toBe('waiting');
    expect(snap.context.waitMs).toBe(4000);
  });

  it('rcz: false refuses refreshes and journey triggers', () => {
    const a = run(input({ settings: { rcz: false } }), refresh());
    expect(a.snap.value).toBe('outside');
    expect(a.last[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('rcz') });
    const b = run(input(), settings({ rcz: false }), journey());
    expect(b.snap.value).toBe('outside');
    expect(ofType(b.cmds, 'content.flush')).toEqual([]);
    expect(run(input(), settings({ rcz: false }), settings({}), refresh()).snap.value).toBe('flushing');
  });

  it('a journey trigger fetches once its event is delivered', () => {
    const { snap, last } = run(input(), journey(), flushed('content:flush:1', true));
    expect(snap.value).toBe('fetching');
    expect(last).toEqual([{ type: 'content.fetch', tag: 'content:fetch:2', contentId: null }]);
  });

  it('an undelivered journey event is retried 3 times, then given up', () => {
    let r = run(input(), journey(), flushed('content:flush:1', false));
    expect(r.snap.value).toBe('retrying');
    expect(r.snap.context.journey).toEqual({ retriesLeft: 2 });
    const flushes: string[] = [];
    let snap = r.snap;
    for (let i = 0; i < 3; i++) {
      const [s1, a1] = transition(contentMachine, snap, { type: 'xstate.after.journeyRetry.content.retrying' } as never);
      const tag = lastTag(commands(a1), 'content.flush');
      flushes.push(tag);
      [snap] = transition(contentMachine, s1, flushed(tag, false));
    }
    expect(flushes).toEqual(['content:flush:2', 'content:flush:3', 'content:flush:4']);
    expect(snap.value).toBe('outside');
    expect(snap.context.journey).toBeNull();
    r = run(input(), journey(), flushed('content:flush:1', true), fetched('content:fetch:2', NO_CONTENT));
    expect(r.snap.value).toBe('retrying');
  });

  it('a second refresh while one runs is ignored', () => {
    const { snap, last } = run(input(), journey(), refresh());
    expect(snap.value).toBe('flushing');
    expect(ofType(last, 'content.flush')).toEqual([]);
  });
});

describe('consent, device ID, settings', () => {
  const showing = () => {
    const f = fire(run(input(), enter()).snap);
    return transition(contentMachine, f.snap, fetched(lastTag(f.last)))[0];
  };

  it('consent removal exits the zone and removes the content', () => {
    const [snap, actions] = transition(contentMachine, showing(), consent(false));
    expect(snap.value).toBe('outside');
    expect(snap.context).toMatchObject({ inZone: false, consent: false, show: null });
    expect(commands(actions).map((c) => c.type)).toEqual(['content.close', 'broadcast', 'callback.invoke', 'log']);
  });

  it('a device-ID change without merge exits; with merge it does not', () => {
    expect(transition(contentMachine, showing(), newDeviceId(false))[0].value).toBe('outside');
    expect(transition(contentMachine, showing(), newDeviceId(true))[0].value).toEqual({ showing: 'steady' });
    const temp = run(input(), enter(), tempId());
    expect(temp.snap.value).toBe('outside');
    expect(run(input(), enter(), tempId(), enter()).snap.value).toBe('outside');
  });

  it('czi sets the interval (values under 15 ignored)', () => {
    expect(run(input(), settings({ czi: 20 })).snap.context.intervalMs).toBe(20_000);
    expect(run(input(), settings({ czi: 10 })).snap.context.intervalMs).toBe(30_000);
    expect(run(input({ intervalSeconds: 45 }), settings({ czi: 5 })).snap.context.intervalMs).toBe(45_000);
  });

  it('ecz turning on enters the zone once', () => {
    const a = run(input(), settings({ ecz: true }));
    expect(a.snap.value).toBe('waiting');
    const b = run(input(), settings({ ecz: true }), exit(), settings({ ecz: true }));
    expect(b.snap.value).toBe('outside');
  });
});

describe('messages from content', () => {
  const showing = () => {
    const f = fire(run(input(), enter()).snap);
    return transition(contentMachine, f.snap, fetched(lastTag(f.last)))[0];
  };

  it('records events, opens links, closes last and completes', () => {
    const msg = { close: 1, link: 'https://example.com/x', event: [{ key: 'a', segmentation: { s: 1 } }, { key: 'b', count: 2 }] };
    const [snap, actions] = transition(contentMachine, showing(), messaged(2, msg));
    expect(snap.value).toBe('waiting');
    expect(snap.context.waitMs).toBe(60_000);
    const cmds = commands(actions);
    expect(cmds.map((c) => c.type)).toEqual(['event.record', 'event.record', 'content.openUrl', 'content.close', 'broadcast', 'callback.invoke']);
    expect(cmds[0]).toMatchObject({ key: 'a', segmentation: { s: 1 }, id: 'seed-c1' });
    expect(cmds[1]).toMatchObject({ key: 'b', count: 2, id: 'seed-c2' });
    expect(ofType(cmds, 'callback.invoke')[0]?.args[0]).toBe('COMPLETED');
  });

  it('a bare close is CLOSED', () => {
    const [, actions] = transition(contentMachine, showing(), messaged(2, { close: 1 }));
    expect(ofType(commands(actions), 'callback.invoke')[0]?.args[0]).toBe('CLOSED');
  });

  it('a message from a foreign origin does nothing', () => {
    const [snap, actions] = transition(contentMachine, showing(), messaged(2, { close: 1 }, 'https://evil.example'));
    expect(snap.value).toEqual({ showing: 'steady' });
    expect(commands(actions)).toEqual([expect.objectContaining({ type: 'log', level: 'debug' })]);
  });

  it('resize_me places the overlay and debounces the resize message', () => {
    const [snap, actions] = transition(contentMachine, showing(), messaged(2, { resize_me: { p: { x: 0, y: 0, w: 300, h: 400 }, l: { x: 0, y: 0, w: 500, h: 300 } } }));
    expect(snap.value).toEqual({ showing: 'resizing' });
    expect(commands(actions)).toEqual([
      { type: 'content.place', showId: 2, placement: { portrait: { x: 0, y: 0, width: 300, height: 400 }, landscape: { x: 0, y: 0, width: 500, height: 300 } } },
    ]);
    const [steady, a2] = transition(contentMachine, snap, { type: 'xstate.after.resizeDebounce.content.showing.resizing' } as never);
    expect(steady.value).toEqual({ showing: 'steady' });
    expect(commands(a2)).toEqual([{ type: 'content.notifyResize', showId: 2 }]);
  });
});
