/**
 * The health-check machine, pure (`initialTransition` / `transition`): the one report at
 * start and when it is skipped (spec 001 l. 4907-4923), what clears the counters, the
 * counting rules (l. 4925-4960), the saves (l. 4963-4979, 5010-5016) and malformed storage.
 */
import { describe, expect, it } from 'vitest';
import { HEALTH_CHECK_KEY } from '../../../src/features/health-check/counters.js';
import { answered, backoff, failed, input, problems, requests, response, run, save, writes } from './helpers.js';

const stored = JSON.stringify({ LErr: 5, LWar: 12, RStatC: 503, REMsg: 'Service Unavailable', BReq: 3, CBReq: 2 });

describe('the report at start', () => {
  it('one direct /i request with metrics (the app version only) and hc (l. 5026-5049)', () => {
    const { snap, first } = run(input({ stored }));
    expect(requests(first)).toEqual([
      {
        type: 'direct.request',
        tag: 'hc:init',
        endpoint: '/i',
        params: {
          metrics: '{"_app_version":"1.0.0"}',
          hc: '{"el":5,"wl":12,"sc":503,"em":"Service Unavailable","bom":3,"cbom":2}',
        },
      },
    ]);
    expect(snap.value).toBe('reporting');
    expect(snap.context.sent).toBe(true);
  });

  it('skipped when disabled or in temporary-ID mode; the counters still count (l. 4893-4899)', () => {
    for (const over of [{ enabled: false }, { temporaryId: true }]) {
      const { snap, cmds } = run(input(over), problems(1, 2), response(500, 'boom'));
      expect(requests(cmds)).toEqual([]);
      expect(snap.value).toBe('idle');
      expect(snap.context.sent).toBe(false);
      expect(snap.context.outcome).toBe(over.enabled === false ? 'disabled' : 'temporary-id');
      expect(snap.context.counters).toMatchObject({ el: 1, wl: 2, sc: 500, em: 'boom' });
    }
  });

  it('a result answer clears the counters in memory and storage (l. 4919-4921)', () => {
    const { snap, last } = run(input({ stored }), answered());
    expect(snap.value).toBe('idle');
    expect(snap.context.outcome).toBe('acknowledged');
    expect(snap.context.counters).toEqual({ el: 0, wl: 0, sc: -1, em: '', bom: 0, cbom: 0 });
    expect(writes(last)).toEqual([{ type: 'storage.set', key: HEALTH_CHECK_KEY, value: '' }]);
  });

  it('what was counted while the report was in flight survives its acknowledgement', () => {
    const { snap, last } = run(input({ stored }), problems(0, 1), answered());
    expect(snap.context.counters).toEqual({ el: 0, wl: 1, sc: -1, em: '', bom: 0, cbom: 0 });
    expect(writes(last)).toEqual([{ type: 'storage.set', key: HEALTH_CHECK_KEY, value: '{"LErr":0,"LWar":1,"RStatC":-1,"REMsg":"","BReq":0,"CBReq":0}' }]);
  });

  it('no result, a non-2xx status, no answer, or withheld: counters kept, nothing written (l. 4922-4923)', () => {
    const cases = [answered(200, '{"ok":true}'), answered(500, '{"result":"x"}'), answered(200, 'not json'), failed('network'), failed('withheld')];
    for (const e of cases) {
      const { snap, last } = run(input({ stored }), e);
      expect(snap.value).toBe('idle');
      expect(snap.context.counters).toMatchObject({ el: 5, wl: 12, sc: 503, bom: 3, cbom: 2 });
      expect(writes(last)).toEqual([]);
    }
    expect(run(input(), failed('withheld')).snap.context).toMatchObject({ sent: false, outcome: 'withheld' });
    expect(run(input(), failed('network')).snap.context).toMatchObject({ sent: true, outcome: 'network' });
    expect(run(input(), answered(200, '{}')).snap.context.outcome).toBe('unacknowledged');
  });

  it('answers to other tags are not the report`s', () => {
    const { snap } = run(input(), answered(200, '{"result":"Success"}', 'rc:1'), failed('network', 'rc:2'));
    expect(snap.value).toBe('reporting');
  });
});

describe('counting', () => {
  it('log.problems adds errors and warnings', () => {
    expect(run(input(), problems(1, 0), problems(2, 3)).snap.context.counters).toMatchObject({ el: 3, wl: 3 });
  });

  it('a queued request the server did not take sets sc/em; a delivered one does not; no status, nothing', () => {
    const { snap } = run(input(), response(503, 'Service Unavailable'), response(), response(200, '{"ok":1}'));
    expect(snap.context.counters).toMatchObject({ sc: 200, em: '{"ok":1}' });
    expect(run(input(), response(503, 'x'.repeat(2000))).snap.context.counters.em).toHaveLength(1000);
    expect(run(input(), response()).snap.context.counters).toMatchObject({ sc: -1, em: '' });
  });

  it('bom counts backoffs; cbom the longest run, ended by a delivered response that did not back off (l. 4947-4958)', () => {
    // response → backoff is one triggering response (the backoff machine broadcasts while handling it).
    const t = [response(), backoff];
    const { snap } = run(input({ enabled: false }), ...t, ...t, ...t, response(), ...t, response(500, 'e'), ...t);
    expect(snap.context.counters).toMatchObject({ bom: 5, cbom: 3 });
    expect(snap.context.run).toBe(2);
  });

  it('an undelivered response does not end a run', () => {
    const t = [response(), backoff];
    const { snap } = run(input({ enabled: false }), ...t, response(503, 'x'), ...t);
    expect(snap.context.counters).toMatchObject({ bom: 2, cbom: 2 });
  });
});

describe('saving', () => {
  it('session update / end, app hidden and shutdown write HEALTH_CHECK in the spec schema when something changed', () => {
    for (const type of ['session.updating', 'session.ending', 'app.hidden', 'sdk.stopping'] as const) {
      const { last } = run(input({ enabled: false }), problems(1, 2), save(type));
      expect(writes(last), type).toEqual([
        { type: 'storage.set', key: HEALTH_CHECK_KEY, value: '{"LErr":1,"LWar":2,"RStatC":-1,"REMsg":"","BReq":0,"CBReq":0}' },
      ]);
    }
  });

  it('nothing changed, nothing written; counting alone never writes', () => {
    expect(writes(run(input({ enabled: false }), save()).cmds)).toEqual([]);
    expect(writes(run(input({ enabled: false }), problems(1, 1), save(), save('session.ending')).cmds)).toHaveLength(1);
    expect(writes(run(input({ enabled: false }), problems(1, 1), response(500, 'x'), ...[response(), backoff]).cmds)).toEqual([]);
  });

  it('a save does not cut a running backoff run', () => {
    const t = [response(), backoff];
    const { snap } = run(input({ enabled: false }), ...t, save(), ...t);
    expect(snap.context.counters.cbom).toBe(2);
  });
});

describe('stored state at boot', () => {
  it('malformed: reset and cleared with "" before the report', () => {
    const { snap, first } = run(input({ stored: '{"LErr":' }));
    expect(first[0]).toEqual({ type: 'storage.set', key: HEALTH_CHECK_KEY, value: '' });
    expect(requests(first)[0]!.params.hc).toBe('{"el":0,"wl":0,"sc":-1,"em":"","bom":0,"cbom":0}');
    expect(snap.context.malformed).toBe(false);
  });

  it('missing or empty: defaults, nothing cleared', () => {
    for (const s of [undefined, '']) expect(writes(run(input({ stored: s })).first)).toEqual([]);
  });
});
