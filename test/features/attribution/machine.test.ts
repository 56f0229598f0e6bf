/**
 * Attribution (spec 001: Attribution, l. 4421-4503): unit tests of the pure transitions,
 * every path of the statechart, fast-check properties of the machine and of the pure rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { attributionMachine, type AttributionCommand, type AttributionEvent } from '../../../src/features/attribution/machine.js';
import { directAttribution, indirectAttribution, MAX_ATTRIBUTION_LENGTH, parseCampaignData } from '../../../src/features/attribution/rules.js';
import { instantAt } from '../../../src/protocol/time.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof attributionMachine>;
const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): AttributionCommand[] =>
  emittedCommands<AttributionCommand>(actions);
const at = instantAt(Date.UTC(2026, 0, 1));
const direct = (params: Record<string, string> = { campaign_id: 'c' }): AttributionEvent => ({ type: 'attribution.direct', params, at });
const indirect = (aid = '{"adid":"x"}'): AttributionEvent => ({ type: 'attribution.indirect', aid, at });
const consent = (given: boolean): AttributionEvent => ({
  type: 'consent.changed',
  before: allConsent(!given),
  after: withConsent(allConsent(!given), ['attribution'], given),
});

function run(initial: boolean, ...events: AttributionEvent[]): { snap: Snap; cmds: AttributionCommand[] } {
  let [snap] = initialTransition(attributionMachine, { consent: initial });
  const cmds: AttributionCommand[] = [];
  for (const e of events) {
    const [next, actions] = transition(attributionMachine, snap, e);
    snap = next;
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

describe('attribution machine', () => {
  it('queues a direct attribution request with its params, stamped with the call', () => {
    expect(run(true, direct({ campaign_id: 'c', campaign_user: 'u' })).cmds).toEqual([
      { type: 'request.enqueue', params: { campaign_id: 'c', campaign_user: 'u' }, at },
    ]);
  });

  it('queues an indirect attribution request as aid=', () => {
    expect(run(true, indirect('{"idfa":"i"}')).cmds).toEqual([{ type: 'request.enqueue', params: { aid: '{"idfa":"i"}' }, at }]);
  });

  it('refuses without attribution consent, with a warning naming the function, and follows consent changes', () => {
    expect(run(false, direct(), indirect()).cmds).toEqual([
      { type: 'log', level: 'warning', module: 'Attribution', message: 'recordDirect, no "attribution" consent; call ignored' },
      { type: 'log', level: 'warning', module: 'Attribution', message: 'recordIndirect, no "attribution" consent; call ignored' },
    ]);
    expect(run(false, consent(true), direct()).cmds.map((c) => c.type)).toEqual(['request.enqueue']);
    expect(run(true, consent(false), indirect()).cmds.map((c) => c.type)).toEqual(['log']);
  });

  it('every path of the statechart keeps the rule: a request only with consent', () => {
    const events = [direct(), indirect(), consent(true), consent(false)];
    let paths = 0;
    for (const initial of [false, true]) {
      const input = { consent: initial };
      for (const path of [...getShortestPaths(attributionMachine, { events, input }), ...getSimplePaths(attributionMachine, { events, input })]) {
        paths++;
        let [snap] = initialTransition(attributionMachine, input);
        for (const step of path.steps) {
          const before = snap.context.consent;
          const [next, actions] = transition(attributionMachine, snap, step.event as AttributionEvent);
          if (step.event.type.startsWith('attribution.')) expect(emitted(actions).some((c) => c.type === 'request.enqueue')).toBe(before);
          snap = next;
        }
      }
    }
    expect(paths).toBeGreaterThan(0);
  });

  it('property: requests queued = calls made while consent was given', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.constantFrom('direct', 'indirect', 'give', 'remove'), { maxLength: 40 }), (initial, ops) => {
        let given = initial;
        let expected = 0;
        const events = ops.map((op): AttributionEvent => {
          if (op === 'direct' || op === 'indirect') {
            if (given) expected++;
            return op === 'direct' ? direct() : indirect();
          }
          given = op === 'give';
          return consent(given);
        });
        expect(run(initial, ...events).cmds.filter((c) => c.type === 'request.enqueue')).toHaveLength(expected);
      }),
    );
  });
});

describe('attribution rules: direct (spec l. 4433-4463)', () => {
  it('countly: campaign_id and campaign_user from {"cid","cuid"}', () => {
    expect(directAttribution('countly', '{"cid":"c1","cuid":"u1"}')).toEqual({ params: { campaign_id: 'c1', campaign_user: 'u1' }, messages: [] });
  });

  it("countly: the spec's own notation with bare keys is read too (l. 4437)", () => {
    expect(directAttribution('countly', '{cid:"c1", cuid:"u1"}').params).toEqual({ campaign_id: 'c1', campaign_user: 'u1' });
  });

  it('countly: the campaign ID is mandatory (an error, no request); a bad user ID sends the campaign ID only', () => {
    for (const data of ['{"cuid":"u"}', '{"cid":""}', '{"cid":5}', '{"cid":null}', '[]', 'nope', '{"cid":{"a":1}}']) {
      const r = directAttribution('countly', data);
      expect(r.params).toBeNull();
      expect(r.messages[0]!.level).toBe('error');
    }
    const r = directAttribution('countly', '{"cid":"c","cuid":7}');
    expect(r.params).toEqual({ campaign_id: 'c' });
    expect(r.messages).toHaveLength(1);
    expect(directAttribution('countly', '{"cid":"c"}')).toEqual({ params: { campaign_id: 'c' }, messages: [] });
  });

  it('_special_test: attribution_data with the data as given (the request encoding HTTP-encodes it)', () => {
    expect(directAttribution('_special_test', 'a=b&c d')).toEqual({ params: { attribution_data: 'a=b&c d' }, messages: [] });
  });

  it('invalid or empty data, an unknown type or a bad type value: an error, no request', () => {
    for (const [type, data] of [
      ['countly', ''],
      ['countly', null],
      ['countly', 'x'.repeat(MAX_ATTRIBUTION_LENGTH + 1)],
      ['_special_test', '   '],
      ['other', '{"cid":"c"}'],
      [null, '{"cid":"c"}'],
      [NaN, '{"cid":"c"}'],
    ] as Array<[unknown, unknown]>) {
      const r = directAttribution(type, data);
      expect(r.params).toBeNull();
      expect(r.messages.every((m) => m.level === 'error')).toBe(true);
    }
  });

  it('a __proto__ key in the campaign data cannot reach a prototype', () => {
    expect(parseCampaignData('{"__proto__":{"cid":"x"}}')).not.toHaveProperty('cid');
    expect(directAttribution('countly', '{"__proto__":{"cid":"x"}}').params).toBeNull();
  });
});

describe('attribution rules: indirect (spec l. 4465-4503)', () => {
  it('keeps valid pairs, removes invalid ones with an error each, and refuses when none is left', () => {
    const r = indirectAttribution([
      ['adid', 'a'],
      ['idfa', ''],
      ['', 'x'],
      ['rndid', 5 as unknown as string],
      ['__proto__', 'p'],
    ]);
    expect(r.aid).toBe('{"adid":"a"}');
    expect(r.messages).toHaveLength(4);
    expect(r.messages.every((m) => m.level === 'error')).toBe(true);
    const none = indirectAttribution([['idfa', null]]);
    expect(none.aid).toBeNull();
    expect(none.messages.at(-1)!.text).toContain('no valid attribution value left');
  });

  it('property: aid holds exactly the valid pairs, as a JSON object', () => {
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null), fc.integer(), fc.constant(undefined), fc.constant(NaN));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.constant('__proto__')), value), { selector: ([k]) => k, maxLength: 12 }), (pairs) => {
        const r = indirectAttribution(pairs);
        const valid = pairs.filter(([k, v]) => k.trim() !== '' && k !== '__proto__' && typeof v === 'string' && v.trim() !== '');
        if (valid.length === 0) expect(r.aid).toBeNull();
        else expect(JSON.parse(r.aid!)).toEqual(Object.fromEntries(valid));
        expect(r.messages.length).toBe(pairs.length - valid.length + (valid.length === 0 ? 1 : 0));
      }),
    );
  });
});
