/**
 * Automatic page views, a fast-check property on a live view actor with a simulated clock:
 * any sequence of navigations (pushState, hash changes, back to an earlier page, excluded
 * pages), manual views, background/foreground, sessions and consent changes keeps
 * - every view's start and end paired: each ends at most once, after its start, and once
 *   everything is stopped, every started view has ended;
 * - at most one automatic view running;
 * - no excluded page ever recorded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { viewMachine, type ViewEvent } from '../../../src/features/views/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { ALL, NO_VIEWS, T0, check, input, records, type Cmd, type ViewLedger } from './harness.js';

const ORIGIN = 'https://app.test';
const PAGES = ['/', '/a', '/a#one', '/b?x=1', '/login', '/admin/x'];
const EXCLUDED = new Set(['/login', '/admin/x']);

type Op =
  | { op: 'nav'; page: string }
  | { op: 'manual'; name: string }
  | { op: 'stopManual' | 'bg' | 'fg' | 'began' | 'ended' | 'removeConsent' | 'giveConsent' | 'stopAll' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PAGES).map((page) => ({ op: 'nav', page }) as Op) },
  { weight: 1, arbitrary: fc.constantFrom('Checkout', 'Help').map((name) => ({ op: 'manual', name }) as Op) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('stopManual', 'bg', 'fg', 'began', 'ended', 'removeConsent', 'giveConsent', 'stopAll').map((op) => ({ op }) as Op),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 90_000 }).map((ms) => ({ op: 'advance', ms }) as Op) },
);

describe('automatic page views: properties', () => {
  it('any navigation sequence keeps start/end pairs balanced, one automatic view at most, exclusions unrecorded', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(opArb, { maxLength: 40 }), (shortNames, ops) => {
        const clock = simulatedClock(T0);
        const exclusions = shortNames ? ['/login', '^/admin'] : [`${ORIGIN}/login`, '/admin/'];
        const actor = createActor(viewMachine, { clock, input: input({ platformName: 'Web', automatic: true, shortNames, exclusions }) });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
        const now = () => instantAt(clock.now());
        let manual = 0;
        const send = (e: ViewEvent) => {
          const before = cmds.length;
          actor.send(e);
          check(ledger, cmds.slice(before), true);
          const c = actor.getSnapshot().context;
          expect(c.running.filter((v) => v.autoStopped).length, 'at most one automatic view running').toBeLessThanOrEqual(1);
        };
        send({ type: 'views.navigated', location: { href: `${ORIGIN}/`, pathname: '/' }, initial: true, at: now() });
        for (const o of ops) {
          if (o.op === 'advance') clock.advance(o.ms);
          else if (o.op === 'nav') {
            send({ type: 'views.navigated', location: { href: `${ORIGIN}${o.page}`, pathname: o.page.replace(/[?#].*$/, '') }, initial: false, at: now() });
          } else if (o.op === 'manual') send({ type: 'views.start', id: `m${(manual += 1)}`, name: o.name, at: now() });
          else if (o.op === 'stopManual') send({ type: 'views.stopByName', name: 'Checkout', at: now() });
          else if (o.op === 'bg') send({ type: 'app.hidden', at: now() });
          else if (o.op === 'fg') send({ type: 'app.visible', at: now() });
          else if (o.op === 'began') {
            // A new session: its first view may carry start "1" again (the ledger hears of
            // sessions from broadcasts, and here the session is driven from outside).
            ledger.startFlags = 0;
            send({ type: 'session.began', at: now() });
          }
          else if (o.op === 'ended') send({ type: 'session.ended', at: now() });
          else if (o.op === 'stopAll') send({ type: 'views.stopAll', at: now() });
          else if (o.op === 'removeConsent') {
            send({ type: 'consent.changing', before: ALL, after: NO_VIEWS, at: now() });
            send({ type: 'consent.changed', before: ALL, after: NO_VIEWS, at: now() });
          } else send({ type: 'consent.changed', before: NO_VIEWS, after: ALL, at: now() });
        }
        // Everything stops (consent removed): every started view has ended exactly once.
        send({ type: 'consent.changing', before: ALL, after: NO_VIEWS, at: now() });
        expect([...ledger.started].filter((id) => !ledger.ended.has(id)), 'every start has its end').toEqual([]);
        expect(ledger.ended.size).toBe(ledger.started.size);
        for (const r of records(cmds)) {
          const name = String(r.segmentation?.name);
          const path = name.startsWith(ORIGIN) ? name.slice(ORIGIN.length).replace(/[?#].*$/, '') : name;
          expect(EXCLUDED.has(path), `excluded page ${name} recorded`).toBe(false);
        }
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });
});
