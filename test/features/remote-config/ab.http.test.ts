/**
 * A/B testing over HTTP (spec 001 l. 3132-3442, 5721-5733; server-rules.md `/o/sdk`): each
 * request as the local server receives it (with a salt, so the checksum is verified too),
 * the parsed answers in the in-memory stores, the callbacks, and bad input on every method.
 */
import { describe, expect, it } from 'vitest';
import type { RequestResult } from '../../../src/types.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const SALT = 's3cret';
const variantCall = (f: (cb: (r: RequestResult, e: string | null) => void) => void) => new Promise<[RequestResult, string | null]>((resolve) => f((...a) => resolve(a)));
const downloaded = (s: TestSdk) => new Promise<void>((resolve) => s.countly.remoteConfig.downloadAll(() => resolve()));

describe('A/B testing over HTTP', () => {
  const local = useLocalServer();
  const withMethod = (method: string) => local.server.received.filter((r) => r.params.method === method);

  it('enroll: /o/sdk method=ab with keys (checksum verified); getAllAndEnroll / getValueAndEnroll enroll what is stored', async () => {
    local.server.configure({ salt: SALT, remoteConfig: { a: 1, b: 2 } });
    const s = await local.sdk({ salt: SALT });
    s.countly.remoteConfig.enroll(['a', 'b']);
    await local.server.waitFor(() => withMethod('ab').length === 1);
    expect(withMethod('ab')[0]).toMatchObject({ path: '/o/sdk', accepted: true, response: { result: 'Successfully enrolled in ab tests' } });
    expect(withMethod('ab')[0]!.params.keys).toBe('["a","b"]');
    expect(withMethod('ab')[0]!.params.checksum256).toEqual(expect.any(String));
    await downloaded(s);
    expect(s.countly.remoteConfig.getAllAndEnroll()).toEqual({ a: { value: 1, isCurrentUsersData: true }, b: { value: 2, isCurrentUsersData: true } });
    expect(s.countly.remoteConfig.getValueAndEnroll('b')).toEqual({ value: 2, isCurrentUsersData: true });
    // A key that is not stored enrolls nothing.
    expect(s.countly.remoteConfig.getValueAndEnroll('zzz')).toBeUndefined();
    await local.server.waitFor(() => withMethod('ab').length === 3);
    expect(withMethod('ab').map((r) => r.params.keys)).toEqual(['["a","b"]', '["a","b"]', '["b"]']);
    expect(local.server.received.filter((r) => r.response && (r.response as { result?: string }).result?.includes('checksum'))).toEqual([]);
  });

  it('exit: /i method=ab_opt_out with keys, or without them for every test', async () => {
    const s = await local.sdk();
    s.countly.remoteConfig.exit(['a']);
    s.countly.remoteConfig.exit();
    await local.server.waitFor(() => withMethod('ab_opt_out').length === 2);
    expect(withMethod('ab_opt_out').map((r) => [r.path, r.params.keys, r.status])).toEqual([
      ['/i', '["a"]', 200],
      ['/i', undefined, 200],
    ]);
  });

  it('downloadVariants: /o/sdk ab_fetch_variants, names by key in memory; getVariantsForKey null for an unknown key', async () => {
    local.server.configure({ abVariants: { button: [{ name: 'Control group', value: 'blue' }, { name: 'Variant A', value: 'red' }] } });
    const s = await local.sdk();
    expect(s.countly.remoteConfig.testing.getAllVariants()).toEqual({});
    expect(await variantCall((cb) => s.countly.remoteConfig.testing.downloadVariants(cb))).toEqual(['Success', null]);
    expect(withMethod('ab_fetch_variants')[0]!.path).toBe('/o/sdk');
    expect(s.countly.remoteConfig.testing.getAllVariants()).toEqual({ button: ['Control group', 'Variant A'] });
    expect(s.countly.remoteConfig.testing.getVariantsForKey('button')).toEqual(['Control group', 'Variant A']);
    expect(s.countly.remoteConfig.testing.getVariantsForKey('other')).toBeNull();
  });

  it('downloadExperiments: /o/sdk ab_fetch_experiments, ExperimentInfo by ID', async () => {
    const experiment = { id: 'exp1', name: 'Buttons', description: 'Which colour', currentVariant: 'Variant A', variants: { 'Variant A': { button: 'red' } } };
    local.server.configure({ abExperiments: [experiment] });
    const s = await local.sdk();
    expect(await variantCall((cb) => s.countly.remoteConfig.testing.downloadExperiments(cb))).toEqual(['Success', null]);
    expect(withMethod('ab_fetch_experiments')[0]!.path).toBe('/o/sdk');
    expect(s.countly.remoteConfig.testing.getAllExperiments()).toEqual({ exp1: experiment });
  });

  it('enrollIntoVariant: /i ab_enroll_variant with key and variant; Success clears the values and downloads them again (automatic triggers)', async () => {
    local.server.configure({ remoteConfig: { button: 'blue' } });
    const s = await local.sdk({ remoteConfig: { automaticTriggers: true } });
    await local.server.waitFor(() => withMethod('rc').length === 1);
    await downloaded(s);
    local.server.configure({ remoteConfig: { button: 'red' } });
    const result = await variantCall((cb) => s.countly.remoteConfig.testing.enrollIntoVariant('button', 'Variant A', cb));
    expect(result).toEqual(['Success', null]);
    expect(withMethod('ab_enroll_variant')[0]).toMatchObject({ path: '/i', params: expect.objectContaining({ key: 'button', variant: 'Variant A' }) });
    await local.server.waitFor(() => withMethod('rc').length === 3);
    await downloaded(s);
    expect(s.countly.remoteConfig.getValue('button')).toEqual({ value: 'red', isCurrentUsersData: true });
  });

  it('a failing test call reports Error / NetworkIssue to its callback', async () => {
    const s = await local.sdk();
    local.server.injectFaults({ kind: 'status', status: 400, body: '{"result":"Invalid method"}' });
    expect(await variantCall((cb) => s.countly.remoteConfig.testing.downloadExperiments(cb))).toEqual(['Error', 'HTTP 400: Invalid method']);
    local.server.injectFaults({ kind: 'drop' });
    expect((await variantCall((cb) => s.countly.remoteConfig.testing.downloadVariants(cb)))[0]).toBe('NetworkIssue');
  });

  it('bad input never throws: warned about and ignored', async () => {
    const s = await local.sdk();
    const rc = s.countly.remoteConfig as unknown as Record<string, (...a: unknown[]) => unknown> & { testing: Record<string, (...a: unknown[]) => unknown> };
    expect(() => {
      rc.downloadSpecific!('a');
      rc.downloadOmitting!(null, 'not a function');
      rc.getValue!('');
      rc.getValueAndEnroll!(5);
      rc.enroll!([]);
      rc.enroll!(['', 3]);
      rc.exit!('a');
      rc.registerCallback!(null);
      rc.removeCallback!('x');
      rc.testing.enrollIntoVariant!('k', '');
      rc.testing.enrollIntoVariant!('', 'v');
      rc.testing.getVariantsForKey!(null);
    }).not.toThrow();
    await s.countly.queue.flush();
    expect(local.server.received.filter((r) => ['ab', 'ab_opt_out', 'ab_enroll_variant'].includes(r.params.method ?? ''))).toEqual([]);
    // downloadOmitting(null) is a full download; its bad callback is ignored.
    await local.server.waitFor(() => withMethod('rc').length === 1);
    expect(s.warnings().filter((w) => w.includes('[RemoteConfig]')).length).toBeGreaterThanOrEqual(11);
  });
});
