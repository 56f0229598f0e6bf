import { readFileSync } from 'node:fs';
import os from 'node:os';
import { inspect } from 'node:util';
import type { Platform } from '../types.js';

export interface NodePlatformOptions {
  /** Device type for metrics (`_device_type`), default `desktop`. */
  deviceType?: string;
  /** Whether the process counts as "in the foreground" at start (default true). */
  foreground?: boolean;
  /**
   * How long, in ms, an uncaught error that ends the process (Node's default) waits for its
   * crash report to be persisted before the process exits. Default 2000.
   */
  fatalExitTimeoutMs?: number;
}

/** The slice of `process` the uncaught-error hook uses (tests pass a fake). */
export interface NodeProcessLike {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (value: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (value: unknown) => void): unknown;
  listenerCount(event: 'uncaughtException' | 'unhandledRejection'): number;
  exit(code: number): void;
  execArgv: readonly string[];
  env: Record<string, string | undefined>;
  stderr: { write(text: string): unknown };
  nextTick(fn: () => void): void;
  exitCode?: number | string | undefined;
}

/** `--unhandled-rejections=<mode>` from the command line or NODE_OPTIONS (default `throw`). */
function unhandledRejectionsMode(p: NodeProcessLike): string {
  const args = [...p.execArgv, ...(p.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let mode = 'throw';
  for (const arg of args) {
    const m = /^--unhandled-rejections=(\S+)$/.exec(arg);
    if (m) mode = m[1]!;
  }
  return mode;
}

const MB = 1024 * 1024;

/**
 * Node's uncaught-error hooks for `crashes.autoReport` (docs/crashes.md). Listening to
 * `uncaughtException` / `unhandledRejection` takes Node's default away, so when the SDK's
 * listener is the only one it gives the default back:
 * - `uncaughtException`: Node prints the error and exits with code 1. The same happens once
 *   the crash is persisted (at most `timeoutMs` later), so the report survives the exit.
 * - `unhandledRejection`: under the default mode (`throw`, and `strict`) Node raises the
 *   reason as an uncaught exception; so does this hook, on the next tick (the exception is not
 *   reported twice), and the host's `uncaughtException` handlers see it as they would have.
 *   Under `warn-with-error-code` the exit code becomes 1; under `warn` and `none` nothing more.
 * When the host has listeners of its own it has already replaced the default: they run as
 * before (an EventEmitter chains every listener) and decide; the SDK only records.
 */
export function nodeUncaughtErrors(
  p: NodeProcessLike,
  listener: (error: unknown, origin: 'error' | 'rejection') => void | Promise<void>,
  timeoutMs = 2000,
): () => void {
  let raised: { value: unknown; persisted: Promise<void> } | null = null;
  let exiting = false;
  const report = (error: unknown, origin: 'error' | 'rejection'): Promise<void> => {
    try {
      return Promise.resolve(listener(error, origin)).catch(() => undefined);
    } catch {
      return Promise.resolve();
    }
  };
  const exitLikeNode = (error: unknown, persisted: Promise<void>): void => {
    if (exiting) return;
    exiting = true;
    try {
      p.stderr.write(`${inspect(error)}\n`);
    } catch {
      // stderr closed: the exit code still tells.
    }
    const timer = setTimeout(() => p.exit(1), timeoutMs);
    void persisted.then(() => {
      clearTimeout(timer);
      p.exit(1);
    });
  };
  const onException = (error: unknown): void => {
    let persisted: Promise<void>;
    if (raised !== null && Object.is(raised.value, error)) {
      persisted = raised.persisted;
      raised = null;
    } else persisted = report(error, 'error');
    if (p.listenerCount('uncaughtException') > 1) return;
    exitLikeNode(error, persisted);
  };
  const onRejection = (reason: unknown): void => {
    const persisted = report(reason, 'rejection');
    if (p.listenerCount('unhandledRejection') > 1) return;
    const mode = unhandledRejectionsMode(p);
    if (mode === 'warn' || mode === 'none') return;
    if (mode === 'warn-with-error-code') {
      p.exitCode = 1;
      return;
    }
    raised = { value: reason, persisted };
    p.nextTick(() => {
      throw reason;
    });
  };
  p.on('uncaughtException', onException);
  p.on('unhandledRejection', onRejection);
  return () => {
    p.off('uncaughtException', onException);
    p.off('unhandledRejection', onRejection);
  };
}

/**
 * `_device` is the hardware model where the system tells it without running a program (Linux
 * DMI `product_name`), otherwise absent. Never the host name: a host name is often a person's
 * name ("janes-macbook"), which analytics must not collect. Read once.
 */
let model: { _device?: string } | null = null;
function deviceModel(): { _device?: string } {
  if (model) return model;
  model = {};
  if (os.platform() === 'linux') {
    try {
      const name = readFileSync('/sys/devices/virtual/dmi/id/product_name', 'utf8').trim();
      // Firmware placeholders are no model.
      if (name !== '' && !/^(to be filled|default string|system product name|not specified|none)/i.test(name)) model = { _device: name.slice(0, 100) };
    } catch {
      // No DMI (containers, ARM boards): no model.
    }
  }
  return model;
}

/**
 * The Node.js platform: metrics from `node:os` and `Intl`. Node has no UI lifecycle; hosts
 * forward foreground/background with `countly.lifecycle` when they have one.
 */
export function nodePlatform(options: NodePlatformOptions = {}): Platform {
  return {
    name: 'Node',
    metrics() {
      const metrics: Record<string, string> = {
        _os: os.type() === 'Darwin' ? 'macOS' : os.type() === 'Windows_NT' ? 'Windows' : os.type(),
        _os_version: os.release(),
        ...deviceModel(),
        _device_type: options.deviceType ?? 'desktop',
        _locale: Intl.DateTimeFormat().resolvedOptions().locale,
      };
      return metrics;
    },
    isForeground: () => options.foreground ?? true,
    onUncaughtError: (listener) => nodeUncaughtErrors(process as unknown as NodeProcessLike, listener, options.fatalExitTimeoutMs),
    crashMetrics() {
      // spec 000_*.txt 232: RAM in megabytes; 001_*.txt 671–672: total, and available at crash time.
      return { _ram_total: Math.round(os.totalmem() / MB), _ram_current: Math.round(os.freemem() / MB) };
    },
  };
}
