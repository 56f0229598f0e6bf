/**
 * The `CrashData` handed to the developer's filter (spec 728–757 of the SDK guide): every
 * field a get/set property, and "setters mustn't accept invalid values like null,
 * undefined" — a refused value is warned about and the field keeps what it had. Getters
 * give the live value, so a filter that edits the segmentation (or the metrics, or the
 * breadcrumbs) in place changes the crash too.
 */
import type { Segmentation } from '../../domain/types.js';
import { param } from '../../log.js';
import type { CrashData } from '../../types.js';
import type { CrashFields } from './rules.js';

const isRecord = (v: unknown): v is Record<string, unknown> => {
  try {
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
};

const isStringArray = (v: unknown): v is string[] => {
  try {
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
};

/** A copy of the user's object (a spread keeps a `__proto__` key as data); null when it cannot be read. */
const copyOf = <T extends object>(v: T): T | null => {
  try {
    return { ...v };
  } catch {
    return null;
  }
};

/** The fields as the filter left them, not yet checked: read by `relimit`. */
export interface CrashDataHandle {
  readonly data: CrashData;
  /** The current values (the live objects the getters give). */
  read(): { stackTrace: string; segmentation: unknown; breadcrumbs: unknown; metrics: unknown; fatal: boolean };
}

/** A CrashData over copies of `initial`; `warn` receives each refused assignment. */
export function createCrashData(initial: CrashFields, warn: (message: string) => void): CrashDataHandle {
  let stackTrace = initial.stackTrace;
  let segmentation: Segmentation = { ...initial.segmentation };
  let breadcrumbs: string[] = [...initial.breadcrumbs];
  let metrics: Record<string, unknown> = { ...initial.metrics };
  let fatal = initial.fatal;
  const refuse = (field: string, expected: string, value: unknown): void =>
    warn(`filter, CrashData.${field} must be ${expected}, got ${param(value)}; ignored`);

  const data: CrashData = Object.create(Object.prototype, {
    stackTrace: {
      enumerable: true,
      get: () => stackTrace,
      set: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? (stackTrace = v) : refuse('stackTrace', 'a non-empty string', v)),
    },
    segmentation: {
      enumerable: true,
      get: () => segmentation,
      set: (v: unknown) => {
        const copy = isRecord(v) ? copyOf(v) : null;
        if (copy) segmentation = copy as Segmentation;
        else refuse('segmentation', 'an object', v);
      },
    },
    breadcrumbs: {
      enumerable: true,
      get: () => breadcrumbs,
      set: (v: unknown) => (isStringArray(v) ? (breadcrumbs = [...v]) : refuse('breadcrumbs', 'an array of strings', v)),
    },
    metrics: {
      enumerable: true,
      get: () => metrics,
      set: (v: unknown) => {
        const copy = isRecord(v) ? copyOf(v) : null;
        if (copy) metrics = copy;
        else refuse('metrics', 'an object', v);
      },
    },
    fatal: {
      enumerable: true,
      get: () => fatal,
      set: (v: unknown) => (typeof v === 'boolean' ? (fatal = v) : refuse('fatal', 'a boolean', v)),
    },
  }) as CrashData;
  return { data, read: () => ({ stackTrace, segmentation, breadcrumbs, metrics, fatal }) };
}

