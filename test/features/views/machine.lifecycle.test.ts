/**
 * The view machine (spec: View Tracking), unit tests through pure `transition()`: background
 * and foreground (`app.hidden` / `app.visible` from the lifecycle machine), remembered views,
 * device-ID changes, consent, server settings and orientation.
 */
import { describe, expect, it } from 'vitest';
import type { ViewEvent } from '../../../src/features/views/machine.js';
import { NO_VIEWS, at, consent, ev, input, logs, records, run, story, warnings, type Cmd } from './harness.js';

describe('viewMachine: background and foreground', () => {
  it('stops every view on background and restarts them on foreground with their start segmentation', () => {
    const { snap, cmds } = run(
      input(),
      ev.began(0),
      ev.auto('a', 'A', 0, { s: 1 }),
      ev.start('m', 'M', 0),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { added: 1 } },
      ev.bg(10_000),
      ev.ended(10_000),
      ev.began(20_000),
      ev.fg(20_000),
    );
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 10', 'end M 10', 'start A', 'start M']);
    const restarted = records(cmds).slice(4);
    expect(restarted.map((r) => r.id)).toEqual(['seed-1', 'seed-2']);
    expect(restarted[0]?.segmentation).toEqual({ s: 1, name: 'A', visit: '1', segment: 'Android', start: '1' });
    expect(snap.value).toEqual({ active: 'foreground' });
    expect(snap.context.running.map((v) => [v.id, v.originalId, v.autoStopped])).toEqual([
      ['seed-1', 'a', true],
      ['seed-2', 'm', false],
    ]);
  });

  it('does not restart manual views with restartManualViews: false', () => {
    const { cmds } = run(input({ restartManualViews: false }), ev.auto('a', 'A', 0), ev.start('m', 'M', 0), ev.bg(1000), ev.fg(2000));
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 1', 'end M 1', 'start A']);
  });

  it('app.hidden is the background and app.visible the foreground (the lifecycle counts components); a repeat changes nothing', () => {
    const { cmds, snap } = run(input(), ev.start('a', 'A', 0), ev.fg(1000), ev.bg(2000), ev.bg(3000), ev.fg(4000), ev.fg(5000));
    expect(story(cmds)).toEqual(['start A', 'end A 2', 'start A']);
    expect(snap.context.foreground).toBe(true);
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('keeps the foreground flag while inactive, and becomes active in the right state', () => {
    const { snap } = run(input({ consent: NO_VIEWS }), ev.bg(1000), ev.giveViews(2000));
    expect(snap.value).toEqual({ active: 'background' });
    const back = run(input({ consent: NO_VIEWS, foreground: false }), ev.fg(1000), ev.giveViews(2000));
    expect(back.snap.value).toEqual({ active: 'foreground' });
  });

  it('views started in the background run and stop normally', () => {
    const { cmds } = run(input({ foreground: false }), ev.start('a', 'A', 0), ev.fg(1000), ev.stopById('a', 2000));
    expect(story(cmds)).toEqual(['start A', 'end A 2']);
  });

  it('a device-ID change without merge ends the views under the old ID and starts them again', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.idChanging(3000), ev.idChanged(false, 3000));
    expect(story(cmds)).toEqual(['start A', 'end A 3', 'start A']);
  });

  it('a merge changes nothing; in the background the views wait for the foreground', () => {
    expect(story(run(input(), ev.start('a', 'A', 0), ev.idChanged(true, 1)).cmds)).toEqual(['start A']);
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.idChanging(2000), ev.idChanged(false, 2000), ev.fg(3000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A']);
  });
});


describe('viewMachine: remembered views (background, device-ID change)', () => {
  it('stopById forgets a remembered view: no second end event, no restart, no warning', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.start('b', 'B', 0), ev.bg(2000), ev.stopById('a', 3000, { late: 1 }), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'start B', 'end A 2', 'end B 2', 'start B']);
    expect(warnings(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['stopById, view [a] already ended when it was suspended; forgotten, it will not start again']);
    expect(snap.context.running.map((v) => v.originalId)).toEqual(['b']);
    expect(snap.context.suspended).toEqual([]);
  });

  it('stopById also accepts the ID the remembered view ended with (a restarted view)', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.fg(2000), ev.bg(3000), ev.stopById('seed-1', 4000), ev.fg(5000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 1']);
    expect(warnings(cmds)).toEqual([]);
  });

  it('stopByName forgets the last remembered view with that name; a running one goes first', () => {
    const { cmds, snap } = run(
      input({ foreground: true }),
      ev.start('a1', 'Same', 0),
      ev.start('a2', 'Same', 0),
      ev.bg(1000),
      ev.start('r', 'Same', 1000),
      ev.stopByName('Same', 2000),
      ev.stopByName('Same', 2000),
      ev.fg(3000),
    );
    expect(story(cmds)).toEqual(['start Same', 'start Same', 'end Same 1', 'end Same 1', 'start Same', 'end Same 1', 'start Same']);
    expect(records(cmds)[5]?.id).toBe('r');
    expect(snap.context.running.map((v) => v.originalId)).toEqual(['a1']);
    expect(warnings(cmds)).toEqual([]);
  });

  it('stopAll forgets every remembered view and ends the running ones', () => {
    const { cmds, snap } = run(input(), ev.auto('a', 'A', 0), ev.start('m', 'M', 0), ev.bg(1000), ev.start('r', 'R', 1000), ev.stopAll(3000), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 1', 'end M 1', 'start R', 'end R 2']);
    expect(snap.context.running).toEqual([]);
    expect(snap.context.suspended).toEqual([]);
    expect(warnings(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['stopAll, 2 remembered view(s) forgotten; they will not start again']);
  });

  it('a view paused while remembered restarts paused: start event sent, clock stopped until resume', () => {
    const { cmds, snap } = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000));
    expect(story(cmds)).toEqual(['start A', 'end A 4', 'start A']);
    expect(snap.context.running).toMatchObject([{ id: 'seed-1', originalId: 'a', paused: true, resumedAtMs: null, elapsedMs: 0 }]);
    const later = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000), ev.resume('a', 70_000), ev.stopById('a', 73_000));
    expect(story(later.cmds)).toEqual(['start A', 'end A 4', 'start A', 'end A 3']);
    const never = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000), ev.stopById('a', 99_000));
    expect(story(never.cmds)).toEqual(['start A', 'end A 4', 'start A', 'end A 0']);
  });

  it('a view paused before the background stays paused; resume while remembered restarts it running', () => {
    const paused = run(input(), ev.start('a', 'A', 0), ev.pause('a', 1000), ev.bg(5000), ev.fg(6000), ev.stopById('a', 9000));
    expect(story(paused.cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 0']);
    const resumed = run(input(), ev.start('a', 'A', 0), ev.pause('a', 1000), ev.bg(5000), ev.resume('a', 5500), ev.fg(6000), ev.stopById('a', 9000));
    expect(story(resumed.cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 3']);
    expect(warnings(resumed.cmds)).toEqual([]);
  });

  it('warns on pausing a paused remembered view and resuming a running one', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.resume('a', 2000), ev.pause('a', 3000), ev.pause('a', 4000));
    expect(warnings(cmds)).toEqual(['resume, view [a] is not paused; call ignored', 'pause, view [a] is already paused; call ignored']);
  });

  it('addSegmentation on a remembered view reaches the end event of the restarted view; reserved keys stay protected', () => {
    const { cmds } = run(
      input({ globalSegmentation: { g: 1 } }),
      ev.start('a', 'A', 0, { s: 1 }),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { before: 1 } },
      ev.bg(1000),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { byId: 1, name: 'hijack', s: 2 } },
      { type: 'views.addSegmentationByName', name: 'A', segmentation: { byName: 1, dur: 99 } },
      ev.fg(2000),
      ev.stopById('a', 5000, { stop: 1 }),
    );
    const rec = records(cmds);
    expect(rec.map((r) => r.segmentation)).toEqual([
      { g: 1, s: 1, name: 'A', visit: '1', segment: 'Android' },
      { g: 1, s: 1, before: 1, name: 'A', segment: 'Android' },
      // spec: the original start segmentation is re-applied on restart.
      { g: 1, s: 1, name: 'A', visit: '1', segment: 'Android' },
      { g: 1, s: 2, byId: 1, byName: 1, stop: 1, name: 'A', segment: 'Android' },
    ]);
    expect(rec[3]?.dur).toBe(3);
    expect(warnings(cmds)).toEqual([
      'addSegmentationById, segmentation key [name] is reserved for views and was dropped',
      'addSegmentationByName, segmentation key [dur] is reserved for views and was dropped',
    ]);
  });

  it('an ID of a remembered view is still in use', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.start('a', 'B', 2000), ev.fg(3000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A']);
    expect(warnings(cmds)).toEqual(['start, view ID [a] is already in use; call ignored']);
  });

  it('views suspended by a device-ID change follow the same rules', () => {
    // In the foreground: the pause survives the change; a view stopped in between does not come back.
    const fg = run(
      input(),
      ev.start('a', 'A', 0),
      ev.start('b', 'B', 0),
      ev.pause('a', 1000),
      ev.idChanging(2000),
      ev.stopById('b', 2000),
      { type: 'views.addSegmentationByName', name: 'A', segmentation: { k: 1 } },
      ev.idChanged(false, 2000),
      ev.stopById('a', 9000),
    );
    expect(story(fg.cmds)).toEqual(['start A', 'start B', 'end A 1', 'end B 2', 'start A', 'end A 0']);
    expect(records(fg.cmds)[5]?.segmentation).toMatchObject({ k: 1 });
    expect(warnings(fg.cmds)).toEqual([]);
    // In the background: stopped before the foreground, never restarted.
    const bg = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.idChanging(2000), ev.idChanged(false, 2000), ev.stopAll(2500), ev.fg(3000));
    expect(story(bg.cmds)).toEqual(['start A', 'end A 1']);
  });
});

describe('viewMachine: consent and settings', () => {
  it('removing views consent stops every view first, then refuses calls', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.fg(2000), ...ev.removeViews(5000), ev.start('b', 'B', 6000), ev.stopAll(7000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 3']);
    expect(logs(cmds)).toEqual(['start, "views" consent is not given; call ignored', 'stopAll, "views" consent is not given; call ignored']);
    expect(snap.value).toBe('inactive');
    expect(snap.context.running).toEqual([]);
  });

  it('forgets views waiting for the foreground when consent goes', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ...ev.removeViews(2000), ev.giveViews(3000), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'end A 1']);
  });

  it('stops views when consent.changed arrives without its changing phase', () => {
    const [, changed] = ev.removeViews(2000);
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), changed as ViewEvent);
    expect(story(cmds)).toEqual(['start A', 'end A 2']);
    expect(snap.value).toBe('inactive');
  });

  it('giving views consent activates tracking', () => {
    const { snap, cmds } = run(input({ consent: NO_VIEWS }), ev.giveViews(0), ev.start('a', 'A', 0));
    expect(story(cmds)).toEqual(['start A']);
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('vt=false stops view tracking and vt=true resumes it', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.settings({ vt: false }, 2000), ev.start('b', 'B', 3000), ev.settings({ vt: true }), ev.start('c', 'C', 4000));
    expect(story(cmds)).toEqual(['start A', 'end A 2', 'start C']);
    expect(logs(cmds)).toEqual(['start, view tracking is disabled by the server settings; call ignored']);
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('tracking=false stops view tracking too; vt=true without consent stays inactive', () => {
    expect(run(input(), ev.settings({ tracking: false })).snap.value).toBe('inactive');
    expect(run(input({ consent: NO_VIEWS }), ev.settings({ vt: true })).snap.value).toBe('inactive');
    expect(run(input({ settings: { vt: false } }), ev.giveViews(0)).snap.value).toBe('inactive');
  });

  it('applies the server limits as decoded (the decoder warned about invalid values already)', () => {
    const { cmds } = run(input(), ev.settings({ lkl: 3 }), ev.start('a', 'ABCDEF', 0));
    expect(story(cmds)).toEqual(['start ABC']);
    expect(logs(cmds)).toEqual(['start, view name key [ABC...] truncated to 3 chars']);
  });

  it('a broadcast without `at` ends views at the latest known moment', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.start('b', 'B', 4000), ...ev.removeViews());
    expect(records(cmds).slice(2).map((r) => [r.dur, r.at])).toEqual([
      [4, at(4000)],
      [0, at(4000)],
    ]);
  });

  it('without any known moment a broadcast cannot stop or restart views with a duration', () => {
    const { snap, cmds } = run(input(), ...ev.removeViews());
    expect(cmds).toEqual([]);
    expect(snap.value).toBe('inactive');
    const bg = run(input(), ev.settings({ vt: true }), ev.idChanging(), ev.idChanged(false));
    expect(bg.cmds).toEqual([]);
  });
});

describe('viewMachine: orientation', () => {
  const orientation = (cmds: Cmd[]) => records(cmds, '[CLY]_orientation');

  it('records the initial orientation on session begin and every change', () => {
    const { cmds } = run(
      input({ orientation: 'portrait' }),
      ev.began(0),
      { type: 'orientation.changed', mode: 'portrait', at: at(1) },
      { type: 'orientation.changed', mode: 'landscape', at: at(2), id: 'o-id' },
      { type: 'orientation.changed', mode: 'portrait', at: at(3) },
    );
    expect(orientation(cmds)).toEqual([
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'portrait' }, at: at(0), id: 'seed-1' },
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'landscape' }, at: at(2), id: 'o-id' },
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'portrait' }, at: at(3), id: 'seed-2' },
    ]);
  });

  it('needs users consent (not views consent) and trackOrientation', () => {
    expect(orientation(run(input({ orientation: 'portrait', consent: consent(true, { users: false }) }), ev.began(0)).cmds)).toEqual([]);
    expect(orientation(run(input({ orientation: 'portrait', trackOrientation: false }), ev.began(0)).cmds)).toEqual([]);
    expect(orientation(run(input({ orientation: 'portrait', consent: NO_VIEWS }), ev.began(0)).cmds)).toHaveLength(1);
    expect(orientation(run(input(), ev.began(0)).cmds)).toEqual([]);
  });
});
