/**
 * The logger's error/warning tap (runtime/problem-counter.ts): counts are handed on once per
 * microtask, never from inside the log call; counts from before `ready` wait for `start()`;
 * nothing is handed on after shutdown.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { ProblemCounter } from '../../src/runtime/problem-counter.js';

describe('ProblemCounter', () => {
  it('hands on the counts once per microtask, after the log call returned', async () => {
    const handed: Array<{ errors: number; warnings: number }> = [];
    let status: 'booting' | 'ready' | 'stopped' = 'booting';
    const counter = new ProblemCounter((c) => handed.push(c), () => status);
    // Logged whether or not anything prints (no console, no listener).
    const log = createLogger({ console: false, onProblem: (level) => counter.note(level) });
    log.warning('Init', 'early');
    log.info('Init', 'not counted');
    await Promise.resolve();
    expect(handed).toEqual([]);
    status = 'ready';
    counter.start();
    log.error('X', 'one');
    log.warning('X', 'two');
    expect(handed).toEqual([]);
    await Promise.resolve();
    expect(handed).toEqual([{ errors: 1, warnings: 2 }]);
    log.verbose('X', 'not counted');
    log.debug('X', 'not counted');
    await Promise.resolve();
    expect(handed).toHaveLength(1);
    status = 'stopped';
    log.error('X', 'late');
    await Promise.resolve();
    expect(handed).toHaveLength(1);
  });
});
