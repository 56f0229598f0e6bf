/**
 * The public API's last safety net (runtime/guard-api.ts): a method whose validation missed a
 * hostile argument logs an error naming it and returns its neutral value, never throwing into
 * the host. (test/api/total.test.ts checks that no real method needs the net.)
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { guardNamespaces, UNFORESEEN } from '../../src/runtime/guard-api.js';

describe('guardNamespaces', () => {
  const boom = (): never => {
    throw new Error('missed');
  };
  const setup = () => {
    const lines: string[] = [];
    const log = createLogger({ console: false, listener: (m) => lines.push(m) });
    const guarded = guardNamespaces(
      {
        feedback: { getAvailableWidgets: boom, widgetUrl: boom, present: boom },
        remoteConfig: { getValues: boom, testing: { getVariantsForKey: boom, getAllVariants: boom } },
        queue: { flush: boom },
        views: { start: (name: string) => `id-${name}` },
      },
      log,
    ) as Record<string, Record<string, unknown>>;
    const call = (ns: string, fn: string, ...args: unknown[]): unknown => (guarded[ns]![fn] as (...a: unknown[]) => unknown)(...args);
    return { guarded, lines, call };
  };

  it('returns the neutral value of each method and logs the method by name', async () => {
    const { guarded, lines, call } = setup();
    await expect(call('feedback', 'getAvailableWidgets')).resolves.toEqual([]);
    expect(call('feedback', 'widgetUrl')).toBe('');
    expect(call('feedback', 'present')).toBeUndefined();
    expect(call('remoteConfig', 'getValues')).toEqual({});
    const testing = guarded.remoteConfig!.testing as Record<string, () => unknown>;
    expect(testing.getVariantsForKey!()).toBeNull();
    expect(testing.getAllVariants!()).toEqual({});
    await expect(call('queue', 'flush')).resolves.toBeUndefined();
    expect(lines).toContain(`[Countly] [Feedback] widgetUrl, ${UNFORESEEN}: Error: missed`);
    expect(lines).toContain(`[Countly] [RemoteConfig] testing.getVariantsForKey, ${UNFORESEEN}: Error: missed`);
    expect(lines).toHaveLength(7);
  });

  it('passes arguments and results through untouched when nothing throws', () => {
    const { lines, call } = setup();
    expect(call('views', 'start', 'Home')).toBe('id-Home');
    expect(lines).toEqual([]);
  });
});
