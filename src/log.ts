import type { LogLevel } from './domain/types.js';

/**
 * The SDK's logger (spec: Logging / Debug Mode). The console flag and the listener work
 * independently: nothing, console only, listener only, or both.
 * Every line reads `[Countly] [Module] fn, message` — `fn` is the public function name
 * where a public call logs.
 */
export interface Logger {
  /** False when neither the console flag nor a listener is set: callers may skip formatting. */
  readonly enabled: boolean;
  log(level: LogLevel, module: string, message: string): void;
  error(module: string, message: string): void;
  warning(module: string, message: string): void;
  info(module: string, message: string): void;
  debug(module: string, message: string): void;
  verbose(module: string, message: string): void;
}

export interface LoggerOptions {
  console: boolean;
  listener?: ((message: string, level: LogLevel) => void) | undefined;
}

const CONSOLE_METHOD: Record<LogLevel, 'error' | 'warn' | 'info' | 'debug' | 'log'> = {
  error: 'error',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  verbose: 'log',
};

/** Formats one line; exported so tests can build expected messages. */
export function formatLog(module: string, message: string): string {
  return `[Countly] [${module}] ${message}`;
}

/** Renders a parameter for a log line: `[value]`, JSON for objects, a bool for callbacks. */
export function param(value: unknown): string {
  if (typeof value === 'function') return '[true]';
  if (typeof value === 'string') return `[${value}]`;
  try {
    return `[${JSON.stringify(value) ?? String(value)}]`;
  } catch {
    return `[${String(value)}]`;
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const write = (level: LogLevel, module: string, message: string): void => {
    if (!options.console && !options.listener) return;
    const line = formatLog(module, message);
    if (options.console) {
      const c = (globalThis as { console?: Console }).console;
      c?.[CONSOLE_METHOD[level]](`[${level}] ${line}`);
    }
    if (options.listener) {
      try {
        options.listener(line, level);
      } catch {
        // A throwing listener must not break the SDK or the host app.
      }
    }
  };
  return {
    enabled: options.console || options.listener !== undefined,
    log: write,
    error: (m, s) => write('error', m, s),
    warning: (m, s) => write('warning', m, s),
    info: (m, s) => write('info', m, s),
    debug: (m, s) => write('debug', m, s),
    verbose: (m, s) => write('verbose', m, s),
  };
}
