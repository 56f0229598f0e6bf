import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger, formatLog, param } from '../src/log.js';

describe('logger (spec: Logging / Debug Mode 4-row table)', () => {
  afterEach(() => vi.restoreAllMocks());

  const spyConsole = () => ({
    error: vi.spyOn(console, 'error').mockImplementation(() => undefined),
    warn: vi.spyOn(console, 'warn').mockImplementation(() => undefined),
    info: vi.spyOn(console, 'info').mockImplementation(() => undefined),
    debug: vi.spyOn(console, 'debug').mockImplementation(() => undefined),
    log: vi.spyOn(console, 'log').mockImplementation(() => undefined),
  });
  const totalCalls = (s: ReturnType<typeof spyConsole>) => Object.values(s).reduce((n, f) => n + f.mock.calls.length, 0);

  it('nothing set: no console, no listener', () => {
    const s = spyConsole();
    createLogger({ console: false }).warning('Events', 'record, x');
    expect(totalCalls(s)).toBe(0);
  });

  it('only the flag: console only', () => {
    const s = spyConsole();
    const log = createLogger({ console: true });
    log.error('A', 'e');
    log.warning('A', 'w');
    log.info('A', 'i');
    log.debug('A', 'd');
    log.verbose('A', 'v');
    expect(s.error).toHaveBeenCalledWith('[error] [Countly] [A] e');
    expect(s.warn).toHaveBeenCalledWith('[warning] [Countly] [A] w');
    expect(s.info).toHaveBeenCalledWith('[info] [Countly] [A] i');
    expect(s.debug).toHaveBeenCalledWith('[debug] [Countly] [A] d');
    expect(s.log).toHaveBeenCalledWith('[verbose] [Countly] [A] v');
  });

  it('only the listener: listener only, with the level', () => {
    const s = spyConsole();
    const seen: Array<[string, string]> = [];
    createLogger({ console: false, listener: (m, l) => seen.push([m, l]) }).info('Views', 'start, name: [Home]');
    expect(seen).toEqual([['[Countly] [Views] start, name: [Home]', 'info']]);
    expect(totalCalls(s)).toBe(0);
  });

  it('flag and listener: both; a throwing listener is contained', () => {
    const s = spyConsole();
    const log = createLogger({
      console: true,
      listener: () => {
        throw new Error('boom');
      },
    });
    expect(() => log.log('debug', 'M', 'x')).not.toThrow();
    expect(s.debug).toHaveBeenCalledTimes(1);
  });

  it('formats lines and parameters', () => {
    expect(formatLog('Session', 'begin, ok')).toBe('[Countly] [Session] begin, ok');
    expect(param('a')).toBe('[a]');
    expect(param({ a: 1 })).toBe('[{"a":1}]');
    expect(param(() => 1)).toBe('[true]');
    expect(param(undefined)).toBe('[undefined]');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(param(cyclic)).toBe('[[object Object]]');
  });
});

describe('setConsole (the server log key)', () => {
  it('turns console output on and off over the developer setting, and null gives it back', () => {
    const printed: string[] = [];
    const original = console.info;
    console.info = (line: string) => printed.push(line);
    try {
      const log = createLogger({ console: false });
      log.info('M', 'a');
      log.setConsole(true);
      expect(log.enabled).toBe(true);
      log.info('M', 'b');
      log.setConsole(null);
      log.info('M', 'c');
      expect(printed).toEqual(['[info] [Countly] [M] b']);
      expect(log.enabled).toBe(false);
    } finally {
      console.info = original;
    }
  });
});
