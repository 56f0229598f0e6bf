/**
 * What `chartly/node` adds by default: persistence without reading about storage, and an
 * opt-in graceful shutdown for servers and scripts.
 *
 * Storage: `fileStorage(defaultStorageDir())`, the directory `.chartly` under the working
 * directory — or, when the process runs from inside a `node_modules` tree, beside the
 * outermost `node_modules` (never inside it: a reinstall would wipe the data). A user who
 * restarts the process loses nothing queued.
 */
import path from 'node:path';

/** The directory name `chartly/node` stores in by default. */
export const DEFAULT_STORAGE_DIRNAME = '.chartly';

/** `<cwd>/.chartly`, or `<project>/.chartly` when `cwd` is inside `<project>/node_modules/...`. */
export function defaultStorageDir(cwd: string = process.cwd()): string {
  const resolved = path.resolve(cwd);
  const parts = resolved.split(path.sep);
  const inside = parts.indexOf('node_modules');
  const base = inside > 0 ? parts.slice(0, inside).join(path.sep) || path.sep : resolved;
  return path.join(base, DEFAULT_STORAGE_DIRNAME);
}

/** Anything that can send what is queued and then persist and stop: an instance or a backend. */
export interface Drainable {
  flush?(): Promise<void>;
  queue?: { flush(): Promise<void> };
  shutdown(): Promise<void>;
}

/** The part of `process` the helper uses (tests pass a fake). */
export interface ProcessLike {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  exit(code?: number): never | void;
}

export interface GracefulShutdownOptions {
  /** The longest time spent sending before what is left is persisted for the next start. Default 2000 ms. */
  budgetMs?: number;
  /** The signals that end the process after draining. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /** Drain when the event loop empties (`beforeExit`). Default true. */
  beforeExit?: boolean;
  /** Called with each error the drain met (the drain never throws). */
  onError?: (error: unknown) => void;
  /** For tests: the process to listen on. */
  process?: ProcessLike;
}

const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15, SIGUSR2: 12, SIGBREAK: 21 };

/**
 * Opt-in: on `SIGTERM`/`SIGINT` (and `beforeExit`), sends what can be sent within `budgetMs`,
 * then shuts the instance down (persisting everything still queued) and, for a signal, exits
 * with the conventional code (128 + signal number) as Node would have. Uncaught errors are
 * `crashes.autoReport` (docs/crashes.md), which the Node platform already waits for.
 * Returns a function that removes the listeners.
 */
export function gracefulShutdown(target: Drainable, options: GracefulShutdownOptions = {}): () => void {
  const proc: ProcessLike = options.process ?? (process as unknown as ProcessLike);
  const budgetMs = typeof options.budgetMs === 'number' && Number.isFinite(options.budgetMs) && options.budgetMs >= 0 ? options.budgetMs : 2000;
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // the host's handler must not stop the drain
    }
  };
  let draining: Promise<void> | null = null;
  const drain = (): Promise<void> => {
    draining ??= (async () => {
      const flush = typeof target.flush === 'function' ? () => target.flush!() : () => target.queue?.flush() ?? Promise.resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const budget = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, budgetMs);
        (timer as { unref?: () => void }).unref?.();
      });
      try {
        await Promise.race([Promise.resolve().then(flush), budget]);
      } catch (error) {
        report(error);
      } finally {
        clearTimeout(timer);
      }
      try {
        await target.shutdown();
      } catch (error) {
        report(error);
      }
    })();
    return draining;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    void drain().then(() => proc.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0)));
  };
  const onBeforeExit = (): void => {
    void drain();
  };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const s of signals) proc.on(s, onSignal as never);
  if (options.beforeExit !== false) proc.on('beforeExit', onBeforeExit as never);
  return () => {
    for (const s of signals) proc.off(s, onSignal as never);
    proc.off('beforeExit', onBeforeExit as never);
  };
}
