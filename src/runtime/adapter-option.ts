/**
 * A user-supplied adapter option (`storage`, `transport`, `platform`, `clock`), read without
 * throwing: kept when it is an object with the named methods, else undefined — the default is
 * used — with a warning naming the creating function.
 */
import { readProp } from '../config-read.js';
import type { Logger } from '../log.js';

export function adapterOption<T>(value: unknown, methods: readonly string[], name: string, log: Logger, where: { module: string; fn: string }): T | undefined {
  if (value === undefined || value === null) return undefined;
  if ((typeof value === 'object' || typeof value === 'function') && methods.every((m) => typeof readProp(value, m) === 'function')) return value as T;
  log.warning(where.module, `${where.fn}, "${name}" must be an object with ${methods.join(', ')}(); the default is used`);
  return undefined;
}
