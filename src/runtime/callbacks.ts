/**
 * The developer's callbacks of one instance. Machines hold tokens (plain strings), never
 * functions: a namespace registers a one-shot callback (`once`) and hands its token to the
 * machine in an event, or listens on a named channel (`on`); the machine later emits
 * `callback.invoke` and the callback effect calls what is registered, guarded, after the
 * current transition (so a callback that reads the SDK sees the state the transition left).
 */
import type { Logger } from '../log.js';
import { errorText } from '../log.js';

export type Callback = (...args: never[]) => unknown;

export interface CallbackRegistry {
  /** Registers a function called at most once; returns its token. */
  once(fn: Callback): string;
  /** Listens on a channel (e.g. `rc.downloaded`) until the returned function is called. */
  on(channel: string, fn: Callback): () => void;
  /** Calls the one-shot callback of `token` (and forgets it), or every listener of the channel `token`. */
  invoke(token: string, args: readonly unknown[]): void;
  /** Forgets one-shot callbacks that will never be called. */
  release(tokens: readonly string[]): void;
  /** Forgets every callback (shutdown). */
  clear(): void;
}

const ONCE_PREFIX = 'cb#';

export function createCallbackRegistry(log: Logger): CallbackRegistry {
  const single = new Map<string, Callback>();
  const channels = new Map<string, Set<Callback>>();
  let next = 1;
  const call = (fn: Callback, token: string, args: readonly unknown[]): void => {
    try {
      const out = (fn as (...a: readonly unknown[]) => unknown)(...args);
      // A callback that returns a rejected promise must not become an unhandled rejection.
      if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).catch === 'function') {
        (out as Promise<unknown>).catch((error: unknown) => log.error('Callbacks', `callback, ${token} failed: ${errorText(error)}`));
      }
    } catch (error) {
      log.error('Callbacks', `callback, ${token} threw: ${errorText(error)}`);
    }
  };
  return {
    once(fn) {
      const token = `${ONCE_PREFIX}${next++}`;
      single.set(token, fn);
      return token;
    },
    on(channel, fn) {
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(fn);
      return () => void set.delete(fn);
    },
    invoke(token, args) {
      const fn = single.get(token);
      if (fn) {
        single.delete(token);
        call(fn, token, args);
        return;
      }
      for (const listener of [...(channels.get(token) ?? [])]) call(listener, token, args);
    },
    release(tokens) {
      for (const token of tokens) single.delete(token);
    },
    clear() {
      single.clear();
      channels.clear();
    },
  };
}
