/**
 * The crashes machine (SDK guide l. 504–777): pure transitions asserting the commands, every
 * shortest and simple path of the statechart replayed with its rules checked after each step.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { DEFAULT_LIMITS } from '../../../src/config.js';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { crashesMachine, type CrashesCommand, type CrashesEvent, type CrashesInput } from '../../../src/features/crashes/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof crashesMachine>;
const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): CrashesCommand[] =>
  emittedCommands<CrashesCommand>(actions);
const BOOT = Date.UTC(2026, 0, 1);
const at = (sec = 0) => instantAt(BOOT + sec * 1000);
const input = (over: Partial<CrashesInput> = {}): CrashesInput => ({
  consent: true,
  configLimits: { ...DEFAULT_LIMITS },
  settings: {},
  globalSegmentation: {},
  autoReport: false,
  foreground: true,
  bootAt: BOOT,
  ...over,
});
const record = (error = 'Error: x', over: Partial<Extract<CrashesEvent, { type: 'crashes.record' }>> = {}): CrashesEvent => ({
  type: 'crashes.record',
  fn: 'recordHandled',
  error,
  fatal: false,
  segmentation: {},
  at: at(5),
  ...over,
});
const consent = (given: boolean): CrashesEvent => ({ type: 'consent.changed', before: allConsent(!given), after: withConsent(allConsent(!given), ['crashes'], given) });
const settings = (s: BehaviorSettings): CrashesEvent => ({ type: 'settings.updated', settings: s });
const prepared = (crash: Record<string, unknown> | null = { _error: 'e' }): CrashesEvent => ({ type: 'crash.prepared', id: 1, at: at(5), crash });

function run(init: CrashesInput, ...events: CrashesEvent[]): { snap: Snap; cmds: CrashesCommand[]; start: CrashesCommand[] } {
  const [first, startActions] = initialTransition(crashesMachine, init);
  let snap = first;
  const cmds: CrashesCommand[] = [];
  for (const e of events) {
    const [next, actions] = transition(crashesMachine, snap, e);
    snap = next;
    cmds.push(...emitted(actions));
  }
  return { snap, cmds, start: emitted(startActions) };
}
const prepares = (cmds: CrashesCommand[]) => cmds.filter((c): c is Extract<CrashesCommand, { type: 'crash.prepare' }> => c.type === 'crash.prepare');

describe('crashes machine', () => {
  it('prepares a recorded crash: limited text, merged segmentation (call wins), breadcrumbs, _run, _background, JS flags', () => {
    const { cmds } = run(
      input({ globalSegmentation: { g: 1, both: 'global' }, configLimits: { ...DEFAULT_LIMITS, maxStackTraceLinesPerThread: 2, maxStackTraceLineLength: 4 } }),
      { type: 'crashes.breadcrumb', text: 'b1' },
      record('Error: long message\n  at a\n  at b', { segmentation: { both: 'call' } }),
    );
    expect(prepares(cmds)).toEqual([
      {
        type: 'crash.prepare',
        id: 1,
        at: at(5),
        limits: { ...DEFAULT_LIMITS, maxStackTraceLinesPerThread: 2, maxStackTraceLineLength: 4 },
        crash: {
          stackTrace: 'Erro\n  at',
          segmentation: { both: 'call', g: 1 },
          breadcrumbs: ['b1'],
          metrics: { _run: 5, _background: false, _javascript: true, _not_os_specific: true },
          fatal: false,
        },
      },
    ]);
    expect(cmds.filter((c) => c.type === 'log').map((c) => (c as { message: string }).message)).toEqual([
      'recordHandled, stack trace has more lines, kept the first 2',
      'recordHandled, 2 stack trace line(s) truncated to 4 chars',
    ]);
  });

  it('queues crash={...} when the effect answers, and only logs a crash the filter dropped', () => {
    expect(run(input(), prepared({ _error: 'e', _nonfatal: true })).cmds).toEqual([
      { type: 'request.enqueue', params: { crash: '{"_error":"e","_nonfatal":true}' }, at: at(5) },
    ]);
    expect(run(input(), prepared(null)).cmds.map((c) => c.type)).toEqual(['log']);
  });

  it('an uncaught error (crash.caught) is fatal and carries no call segmentation', () => {
    const { cmds } = run(input({ globalSegmentation: { g: 'x' } }), { type: 'crash.caught', error: 'TypeError: t', origin: 'error', at: at(1) });
    expect(prepares(cmds)[0]!.crash).toMatchObject({ fatal: true, segmentation: { g: 'x' }, stackTrace: 'TypeError: t' });
  });

  it('keeps the newest maxBreadcrumbCount breadcrumbs, each cut to maxValueSize', () => {
    const { snap } = run(
      input({ configLimits: { ...DEFAULT_LIMITS, maxBreadcrumbCount: 2, maxValueSize: 3 } }),
      ...['one', 'two', 'three'].map((text): CrashesEvent => ({ type: 'crashes.breadcrumb', text })),
    );
    expect(snap.context.breadcrumbs).toEqual(['two', 'thr']);
  });

  it('follows the server: crt=false disables (and unwatches), limits apply live and to kept breadcrumbs', () => {
    const { snap, cmds, start } = run(
      input({ autoReport: true }),
      { type: 'crashes.breadcrumb', text: 'a' },
      { type: 'crashes.breadcrumb', text: 'b' },
      settings({ lbc: 1, ltl: 9 }),
      settings({ crt: false, lbc: 1 }),
      record(),
    );
    expect(start).toEqual([{ type: 'crashes.watch', enabled: true }]);
    expect(snap.value).toBe('disabled');
    expect(snap.context.breadcrumbs).toEqual(['b']);
    expect(snap.context.limits.maxStackTraceLineLength).toBe(DEFAULT_LIMITS.maxStackTraceLineLength);
    expect(cmds.map((c) => c.type)).toEqual(['crashes.watch', 'log']);
    const back = run(input({ settings: { crt: false }, autoReport: true }), settings({ crt: true }));
    expect(back.start).toEqual([]);
    expect(back.snap.value).toBe('enabled');
    expect(back.cmds).toEqual([{ type: 'crashes.watch', enabled: true }]);
  });

  it('without consent refuses with a warning; removing consent forgets the breadcrumbs', () => {
    const { snap, cmds } = run(input(), { type: 'crashes.breadcrumb', text: 'a' }, consent(false), record(), consent(true));
    expect(snap.context.breadcrumbs).toEqual([]);
    expect(cmds).toEqual([{ type: 'log', level: 'warning', module: 'Crashes', message: 'recordHandled, no "crashes" consent; ignored' }]);
  });

  it('_background follows app.hidden / app.visible; _view the last view announced', () => {
    const { cmds } = run(
      input({ foreground: false }),
      record(),
      { type: 'app.visible', at: at(1) },
      { type: 'view.changed', currentViewId: 'v', previousViewId: '', currentViewName: 'Home', previousViewName: '' },
      record(),
      { type: 'app.hidden', at: at(2) },
      record(),
    );
    expect(prepares(cmds).map((c) => [c.id, c.crash.metrics._background, c.crash.metrics._view])).toEqual([
      [1, true, undefined],
      [2, false, 'Home'],
      [3, true, 'Home'],
    ]);
  });
});

describe('crashes machine paths', () => {
  const events: CrashesEvent[] = [
    record(),
    { type: 'crash.caught', error: 'E', origin: 'error', at: at(1) },
    prepared(),
    { type: 'crashes.breadcrumb', text: 'b' },
    consent(false),
    consent(true),
    settings({ crt: false }),
    settings({ crt: true }),
  ];

  it('every shortest and simple path keeps the rules: work only when enabled and consented, watch balanced', () => {
    let paths = 0;
    for (const init of [input(), input({ consent: false, autoReport: true }), input({ settings: { crt: false }, autoReport: true })]) {
      // A state is its value and the two flags that gate the work; counters and breadcrumbs would make the graph endless.
      const options = { events, input: init, serializeState: (s: Snap) => JSON.stringify([s.value, s.context.consent, s.context.tracking]) };
      const found = [...getShortestPaths(crashesMachine, options), ...getSimplePaths(crashesMachine, options)];
      for (const path of found) {
        paths++;
        const [first, startActions] = initialTransition(crashesMachine, init);
        let snap = first;
        let watching = emitted(startActions).filter((c) => c.type === 'crashes.watch').length;
        for (const step of path.steps) {
          const before = snap;
          const [next, actions] = transition(crashesMachine, snap, step.event as CrashesEvent);
          const cmds = emitted(actions);
          const open = before.matches('enabled') && before.context.consent;
          if (cmds.some((c) => c.type === 'crash.prepare' || c.type === 'request.enqueue')) expect(open).toBe(true);
          if (step.event.type === 'crashes.breadcrumb' && !open) expect(next.context.breadcrumbs).toEqual(before.context.breadcrumbs);
          for (const c of cmds) if (c.type === 'crashes.watch') watching += c.enabled ? 1 : -1;
          expect(watching).toBe(init.autoReport && next.matches('enabled') ? 1 : 0);
          snap = next;
        }
      }
    }
    expect(paths).toBeGreaterThan(20);
  });
});
