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
  /**
   * The server's `log` behavior setting (spec: SDK Behavior Settings — developer settings <
   * behavior settings): `true`/`false` turns console output on/off; `null` gives the
   * developer's `logging` back. The log listener is the developer's and is not affected.
   */
  setConsole(enabled: boolean | null): void;
}

export interface LoggerOptions {
  console: boolean;
  listener?: ((message: string, level: LogLevel) => void) | undefined;
  /** Hears every error and warning, printed or not (the health check counts them). Must not throw. */
  onProblem?: ((level: 'error' | 'warning') => void) | undefined;
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

/** The longest rendering of one parameter, ellipsis aside: a log line stays readable and cheap. */
export const MAX_PARAM_LENGTH = 1000;
/** Containers nested deeper than this render as `[…]` / `{…}`. */
export const MAX_PARAM_DEPTH = 5;

/** Shown where reading a value threw (a getter, a proxy trap, a toJSON). */
const UNREADABLE = '<unreadable>';

/** Thrown inside `render` on a cycle: the whole parameter then renders as a tag, as before. */
const CYCLE = /* @__PURE__ */ Symbol('cycle');

/** Collects output up to `MAX_PARAM_LENGTH`; once full, renderers stop walking. */
class Output {
  private readonly parts: string[] = [];
  private length = 0;
  full = false;

  push(text: string): void {
    if (this.full) return;
    const room = MAX_PARAM_LENGTH - this.length;
    if (text.length <= room) {
      this.parts.push(text);
      this.length += text.length;
      return;
    }
    this.parts.push(cut(text, room));
    this.length = MAX_PARAM_LENGTH;
    this.full = true;
  }

  /** Room left, plus one so an oversized piece still marks the output full. */
  get room(): number {
    return MAX_PARAM_LENGTH - this.length + 1;
  }

  toString(): string {
    return this.parts.join('') + (this.full ? '…' : '');
  }
}

/** The first `max` UTF-16 units, one less when the cut would split a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/** Runs `fn`; any throw (getter, proxy trap, revoked proxy, stack overflow) gives `fallback`. */
function attempt<T, F>(fn: () => T, fallback: F): T | F {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** The built-in tag (`[object String]`, …); a spoofed Symbol.toStringTag only costs a brand check. */
const tagOf = (value: object): string => attempt(() => Object.prototype.toString.call(value), '');

/**
 * The primitive inside a boxed String/Number/Boolean/BigInt/Symbol, or null. The brand
 * checks (`String.prototype.valueOf.call`) read internal slots, so they run no user code
 * and hit no proxy trap.
 */
function unbox(value: object, tag: string): { value: unknown } | null {
  const valueOf = BOXES[tag];
  return valueOf ? attempt(() => ({ value: valueOf.call(value) }), null) : null;
}

const BOXES: Readonly<Record<string, (this: unknown) => unknown>> = {
  '[object String]': String.prototype.valueOf,
  '[object Number]': Number.prototype.valueOf,
  '[object Boolean]': Boolean.prototype.valueOf,
  '[object BigInt]': BigInt.prototype.valueOf,
  '[object Symbol]': Symbol.prototype.valueOf,
};

/** Stops a `forEach` early: Map and Set have no `break`. */
const STOP = /* @__PURE__ */ Symbol('stop');

/**
 * Renders a value inside a structure: JSON for what JSON can show (so ordinary values keep
 * the JSON.stringify format), a short text for the rest. `useToJSON` is false for a value a
 * toJSON returned: JSON.stringify calls toJSON once per value, and a toJSON returning a
 * fresh object with its own toJSON would otherwise recurse without end.
 */
function renderNested(value: unknown, depth: number, seen: Set<object>, out: Output, inArray: boolean, useToJSON = true): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(cut(value, out.room)));
      return;
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      // String() of a symbol or bigint runs no user code (unlike a template literal or `+`).
      out.push(String(value));
      return;
    case 'undefined':
    case 'function':
      // JSON.stringify drops these from objects (the caller skips them) and writes null in arrays.
      if (inArray) out.push('null');
      return;
    default:
      if (value === null) out.push('null');
      else renderObject(value as object, depth, seen, out, useToJSON);
  }
}

/** True for what JSON.stringify leaves out of an object: undefined, functions, symbols. */
const omittedInObject = (value: unknown): boolean => value === undefined || typeof value === 'function' || typeof value === 'symbol';

function renderObject(value: object, depth: number, seen: Set<object>, out: Output, useToJSON: boolean): void {
  if (seen.has(value)) throw CYCLE;
  const tag = tagOf(value);
  const boxed = unbox(value, tag);
  if (boxed) return renderNested(boxed.value, depth, seen, out, false);
  if (attempt(() => value instanceof Error, false)) {
    // JSON.stringify shows an Error as `{}`; its name and message say what happened.
    const name = attempt(() => (value as Error).name, undefined);
    const message = attempt(() => (value as Error).message, undefined);
    out.push(`${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : UNREADABLE}`);
    return;
  }
  if (useToJSON) {
    // Dates and other objects with toJSON render as JSON.stringify would (an invalid Date gives null).
    const toJSON = attempt(() => (value as { toJSON?: unknown }).toJSON, undefined);
    if (typeof toJSON === 'function') {
      const json = attempt(() => ({ value: (toJSON as (this: object) => unknown).call(value) }), null);
      if (json === null) return out.push(UNREADABLE);
      // `inArray`: a toJSON giving undefined shows as null rather than leaving `"key":` empty.
      return renderNested(json.value, depth, seen, out, true, false);
    }
  }
  const isArray = attempt(() => Array.isArray(value), null);
  if (isArray === null) return out.push(UNREADABLE); // a revoked proxy
  if (depth >= MAX_PARAM_DEPTH) return out.push(isArray ? '[…]' : '{…}');
  seen.add(value);
  if (isArray) renderArray(value as unknown[], depth, seen, out);
  else if (ArrayBuffer.isView(value)) renderTyped(value, out);
  else if (tag === '[object Map]' || tag === '[object Set]') renderCollection(value, tag === '[object Map]', depth, seen, out);
  else renderRecord(value, depth, seen, out);
  seen.delete(value);
}

function renderArray(value: unknown[], depth: number, seen: Set<object>, out: Output): void {
  const length = attempt(() => value.length, null);
  if (length === null) return out.push(UNREADABLE); // an array proxy whose get trap throws
  out.push('[');
  // Indexing (not iterating) reaches holes and ignores a replaced Symbol.iterator; the
  // full output stops the loop, so an array of length 2^32−1 costs what 1,000 chars do.
  for (let i = 0; i < length && !out.full; i++) {
    if (i > 0) out.push(',');
    const item = attempt(() => ({ v: value[i] }), null);
    if (item === null) out.push(UNREADABLE);
    else renderNested(item.v, depth + 1, seen, out, true);
  }
  out.push(']');
}

function renderTyped(value: ArrayBufferView, out: Output): void {
  if (value instanceof DataView) return out.push('DataView');
  // A genuine typed array (ArrayBuffer.isView checks the slot): its items are numbers or bigints.
  const items = value as unknown as ArrayLike<number | bigint>;
  const length = attempt(() => items.length, 0);
  out.push('[');
  for (let i = 0; i < length && !out.full; i++) {
    if (i > 0) out.push(',');
    out.push(String(items[i]));
  }
  out.push(']');
}

function renderCollection(value: object, isMap: boolean, depth: number, seen: Set<object>, out: Output): void {
  // The prototype's forEach, not the instance's (possibly replaced) iterator. Entries are
  // copied first so a cycle found while rendering them is not swallowed here.
  const entries: Array<[unknown, unknown]> = [];
  try {
    const each = (v: unknown, k: unknown): void => {
      if (entries.length >= MAX_PARAM_LENGTH) throw STOP; // each entry renders to at least one char
      entries.push([k, v]);
    };
    if (isMap) Map.prototype.forEach.call(value, each);
    else Set.prototype.forEach.call(value, each as (v: unknown) => void);
  } catch (error) {
    // forEach throws for an object that only claims the tag (Symbol.toStringTag): show its keys.
    if (error !== STOP) return renderRecord(value, depth, seen, out);
  }
  out.push(`${isMap ? 'Map' : 'Set'} {`);
  entries.forEach(([k, v], i) => {
    if (out.full) return;
    if (i > 0) out.push(',');
    if (isMap) {
      renderNested(k, depth + 1, seen, out, true);
      out.push('=>');
    }
    renderNested(v, depth + 1, seen, out, true);
  });
  out.push('}');
}

function renderRecord(value: object, depth: number, seen: Set<object>, out: Output): void {
  const keys = attempt(() => Object.keys(value), null);
  if (keys === null) return out.push(UNREADABLE);
  out.push('{');
  let first = true;
  for (const key of keys) {
    if (out.full) break;
    const item = attempt(() => ({ v: (value as Record<string, unknown>)[key] }), null);
    if (item !== null && omittedInObject(item.v)) continue;
    if (!first) out.push(',');
    first = false;
    out.push(`${JSON.stringify(cut(key, out.room))}:`);
    if (item === null) out.push(UNREADABLE);
    else renderNested(item.v, depth + 1, seen, out, false);
  }
  out.push('}');
}

/**
 * Renders a parameter for a log line: `[value]`, JSON for objects, a bool for callbacks.
 * Total: it never throws and never runs long, whatever the value (BigInt, Symbol,
 * null-prototype objects, throwing getters/toJSON, proxies, cycles, 100,000-deep nesting,
 * huge strings), because a log line is written from inside public methods and machine
 * actions, where a throw would break the no-throw rule or the actor. Containers deeper
 * than `MAX_PARAM_DEPTH` render as `[…]`/`{…}`, output past `MAX_PARAM_LENGTH` is cut
 * with `…`, and a cyclic structure renders as its tag (`[object Object]`).
 */
export function param(value: unknown): string {
  if (typeof value === 'string') return `[${value.length > MAX_PARAM_LENGTH ? `${cut(value, MAX_PARAM_LENGTH)}…` : value}]`;
  if (typeof value !== 'object' || value === null) {
    // String() of a symbol or bigint runs no user code (unlike a template literal or `+`).
    const text = typeof value === 'function' ? 'true' : String(value);
    return `[${text.length > MAX_PARAM_LENGTH ? `${cut(text, MAX_PARAM_LENGTH)}…` : text}]`;
  }
  const out = new Output();
  try {
    renderObject(value, 0, new Set(), out, true);
  } catch (error) {
    // A cycle (or anything the guards above missed) renders as the value's tag, not its text:
    // String(value) would run user code (toString, Symbol.toPrimitive) and may throw.
    if (error !== CYCLE) return `[${UNREADABLE}]`;
    return attempt(() => Array.isArray(value), false) ? '[[object Array]]' : '[[object Object]]';
  }
  return `[${out.toString()}]`;
}

/** Text for a log line part that should be a string but, at runtime, may not be. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : param(value).slice(1, -1));

export function createLogger(options: LoggerOptions): Logger {
  let console_ = options.console;
  const listener = options.listener;
  const onProblem = options.onProblem;
  const write = (level: LogLevel, module: string, message: string): void => {
    if (onProblem && (level === 'error' || level === 'warning')) onProblem(level);
    if (!console_ && !listener) return;
    // Logging is total: it runs inside public methods and machine actions, so neither a
    // non-string argument, a replaced console method nor a throwing listener may escape.
    const line = formatLog(asText(module), asText(message));
    if (console_) {
      try {
        const c = (globalThis as { console?: Console }).console;
        const method = c?.[Object.hasOwn(CONSOLE_METHOD, level) ? CONSOLE_METHOD[level] : 'log'];
        if (typeof method === 'function') method.call(c, `[${asText(level)}] ${line}`);
      } catch {
        // A console replaced by the host app may throw; the log line is lost, nothing else.
      }
    }
    if (listener) {
      try {
        listener(line, level);
      } catch {
        // A throwing listener must not break the SDK or the host app.
      }
    }
  };
  return {
    get enabled() {
      return console_ || listener !== undefined;
    },
    setConsole(enabled: boolean | null) {
      console_ = enabled ?? options.console;
    },
    log: write,
    error: (m, s) => write('error', m, s),
    warning: (m, s) => write('warning', m, s),
    info: (m, s) => write('info', m, s),
    debug: (m, s) => write('debug', m, s),
    verbose: (m, s) => write('verbose', m, s),
  };
}

/**
 * An error as text for a log line, total: `String(error)` for anything that has one (the
 * usual `Error: message`), else the bounded `param` rendering — a host or adapter may throw a
 * value whose conversion throws (`Object.create(null)`, a revoked proxy).
 */
export function errorText(error: unknown): string {
  try {
    return String(error);
  } catch {
    return param(error);
  }
}
