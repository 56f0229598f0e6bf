/**
 * chartly-server: a local Countly-compatible HTTP server for the SDK's wire tests, the
 * demo and the benchmark. It answers like a real Countly server
 * (/work/shared/spec/server-rules.md), records every request, and fails on demand.
 * Self-contained: node:http and node:crypto only, bound to 127.0.0.1.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ZERO_DEVICE_ID,
  duplicateHash,
  fail,
  invalidIdParam,
  isObject,
  ok,
  parseJsonBody,
  parseUrlEncoded,
  stringArrayParam,
  stringifyValues,
  summarizeParams,
  validateJsonParams,
  verifyChecksum,
  type Params,
  type Verdict,
} from './rules.js';

export { checksum256, ZERO_DEVICE_ID } from './rules.js';

export interface ServerOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** When given, other app keys get 400 "App does not exist"; default: any non-empty key. */
  appKeys?: string[];
  /** When given, `checksum256` (and sha1 `checksum`) are verified. */
  salt?: string;
  /** Duplicate detection per device (spec: server-rules.md §6). */
  preventDuplicates?: boolean;
  /** The `c` object answered to /o/sdk?method=sc (default {}). */
  behaviorSettings?: Record<string, unknown>;
  /** Answered to method=rc, filtered by `keys` / `omit_keys`. */
  remoteConfig?: Record<string, unknown>;
  /** Answered to method=ab_fetch_variants, filtered by `key` (default {}). */
  abVariants?: Record<string, Array<{ name: string; value: unknown }>>;
  /** Answered to method=ab_fetch_experiments (default []). */
  abExperiments?: unknown[];
  /** The `result` list answered to method=feedback (default []). */
  feedbackWidgets?: unknown[];
  /** Answered to /o/sdk/content; null (default) = "No content block found!". */
  contentBlock?: Record<string, unknown> | null;
  /** One line per request when given. */
  log?: (line: string) => void;
}

/** What the server did with one item of an /i/bulk request. */
export interface BulkItem {
  params: Record<string, string>;
  status: number;
  response: unknown;
  accepted: boolean;
  error?: string;
}

export interface ReceivedRequest {
  id: number;
  method: string;
  /** Path without query, e.g. '/i'. */
  path: string;
  /** Decoded; body fields override query fields. */
  params: Record<string, string>;
  rawQuery: string;
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  /** 0 while unanswered, and for dropped or hung requests. */
  status: number;
  /** What the server answered (parsed JSON), or null when dropped/hung/malformed. */
  response: unknown;
  /** True when the data was processed (counted). */
  accepted: boolean;
  error?: string;
  receivedAt: number;
  /** For /i/bulk: the outcome of each item of `requests`. */
  bulk?: BulkItem[];
}

export type Fault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'latency'; ms: number }
  | { kind: 'malformed'; body?: string; status?: number }
  | { kind: 'no-result' }
  | { kind: 'drop' }
  | { kind: 'hang' };

export type ServerEvent = Record<string, unknown> & { key: string; device_id: string };

/** The answers and rules that may change while the server runs. */
export type ServerSettings = Omit<ServerOptions, 'port' | 'log'>;

export interface CountlyTestServer {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly received: readonly ReceivedRequest[];
  accepted(): ReceivedRequest[];
  /** Every event of accepted /i (and /i/bulk item) requests, flattened, in order. */
  events(): ServerEvent[];
  /** Applied one each to the next requests, in order. */
  injectFaults(...faults: Fault[]): void;
  /** Applied to every request until cleared (after the queued ones). */
  setFault(fault: Fault | null): void;
  /**
   * Answers every request whose params match with `status` (default 400) and `body` (default
   * `{"result":"Rejected"}`), before any rule runs, until cleared with `null`: a request the
   * server refuses every time (a "poison" request), among others it accepts.
   */
  rejectWhen(match: ((params: Readonly<Record<string, string>>) => boolean) | null, answer?: { status?: number; body?: string }): void;
  /** Changes answers and rules from now on (merged into the current ones). */
  configure(settings: ServerSettings): void;
  /** Forgets received requests, faults and the duplicate-detection memory. */
  reset(): void;
  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Closes, including hung connections. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

const BASE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
} as const;

// spec: server-rules.md "HTTP" — the preflight answer.
const CORS_HEADERS = {
  ...BASE_HEADERS,
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
  'Access-Control-Allow-Headers': 'countly-token, Content-Type',
} as const;

interface Waiter {
  check(): void;
  fail(error: Error): void;
}

export function startServer(options: ServerOptions = {}): Promise<CountlyTestServer> {
  const settings: ServerSettings = { ...options };
  delete (settings as ServerOptions).port;
  delete (settings as ServerOptions).log;
  const log = options.log;

  let received: ReceivedRequest[] = [];
  let queuedFaults: Fault[] = [];
  let stickyFault: Fault | null = null;
  let rejection: { match: (params: Readonly<Record<string, string>>) => boolean; status: number; body: string } | null = null;
  let lastHashByDevice = new Map<string, string>();
  let nextId = 1;
  let closed = false;
  const waiters = new Set<Waiter>();
  const sleepers = new Set<() => void>();

  const notify = (): void => {
    for (const waiter of [...waiters]) waiter.check();
  };

  const takeFault = (): Fault | undefined => queuedFaults.shift() ?? stickyFault ?? undefined;

  /** Resolves after `ms`, or at once when the server closes (then answers `false`). */
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve(!closed);
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  const finish = (record: ReceivedRequest): void => {
    log?.(formatLine(record));
    notify();
  };

  const answer = (res: ServerResponse, record: ReceivedRequest, status: number, text: string): void => {
    record.status = status;
    record.response = parseJson(text);
    res.writeHead(status, BASE_HEADERS);
    res.end(text);
    finish(record);
  };

  const applyVerdict = (res: ServerResponse, record: ReceivedRequest, verdict: Verdict): void => {
    record.accepted = verdict.accepted;
    if (verdict.error !== undefined) record.error = verdict.error;
    answer(res, record, verdict.status, JSON.stringify(verdict.body));
  };

  /** spec: server-rules.md "/i, in order" steps 1–4: the checks shared by /i and /o/sdk. */
  const checkAppAndDevice = (params: Params, ignoreZeroDevice: boolean): Verdict | undefined => {
    if (!params.app_key || !params.device_id) return fail(400, 'Missing parameter "app_key" or "device_id"');
    // spec: step 2 — the classic server answers 200 and drops the data.
    if (ignoreZeroDevice && params.device_id === ZERO_DEVICE_ID) return fail(200, 'Ignoring device_id');
    if (settings.appKeys !== undefined && !settings.appKeys.includes(params.app_key)) {
      return fail(400, 'App does not exist');
    }
    const badId = invalidIdParam(params);
    return badId === undefined ? undefined : fail(400, badId);
  };

  /** spec: step 5 — a bad or absent checksum is a 200 whose data is dropped. */
  const checkChecksum = (params: Params, candidates: readonly string[]): Verdict | undefined => {
    if (settings.salt === undefined) return undefined;
    const outcome = verifyChecksum(params, candidates, settings.salt);
    if (outcome === 'mismatch') return fail(200, 'Request does not match checksum');
    if (outcome === 'missing') return fail(200, 'Request does not have checksum');
    return undefined;
  };

  /** The data part of /i (after the app and checksum checks), also used for each bulk item. */
  const processWrite = (params: Params): Verdict => {
    const problem = validateJsonParams(params);
    if (problem !== undefined) return fail(400, problem);
    if (params.method === 'ab_enroll_variant') {
      return params.key && params.variant ? ok() : fail(400, 'Missing parameter "key" or "variant"');
    }
    if (settings.preventDuplicates) {
      // spec: step 6 — equal to this device's previous request hash → ignored.
      const deviceId = params.device_id ?? '';
      const hash = duplicateHash(params);
      if (lastHashByDevice.get(deviceId) === hash) {
        return { status: 200, body: { result: 'Success', info: 'Request ignored: Duplicate request' }, accepted: false, error: 'Duplicate request' };
      }
      lastHashByDevice.set(deviceId, hash);
    }
    return ok();
  };

  const handleWrite = (params: Params, candidates: readonly string[]): Verdict =>
    checkAppAndDevice(params, true) ?? checkChecksum(params, candidates) ?? processWrite(params);

  const handleBulk = (params: Params, candidates: readonly string[], record: ReceivedRequest): Verdict => {
    const badId = invalidIdParam(params);
    if (badId !== undefined) return fail(400, badId);
    const gate = checkChecksum(params, candidates);
    if (gate !== undefined) return gate;
    let requests: unknown;
    try {
      requests = JSON.parse(params.requests ?? '');
    } catch {
      requests = undefined;
    }
    if (!Array.isArray(requests)) return fail(400, 'Missing parameter "requests"');
    // spec: server-rules.md — each item is processed as /i; an item without app_key takes the bulk's.
    record.bulk = requests.map((item): BulkItem => {
      const itemParams = isObject(item) ? stringifyValues(item) : {};
      if (!itemParams.app_key && params.app_key) itemParams.app_key = params.app_key;
      const verdict = checkAppAndDevice(itemParams, true) ?? processWrite(itemParams);
      return {
        params: itemParams,
        status: verdict.status,
        response: verdict.body,
        accepted: verdict.accepted,
        ...(verdict.error !== undefined ? { error: verdict.error } : {}),
      };
    });
    const verdict = ok();
    verdict.accepted = record.bulk.some((item) => item.accepted);
    return verdict;
  };

  const handleSdk = (params: Params, candidates: readonly string[]): Verdict => {
    const gate = checkAppAndDevice(params, false) ?? checkChecksum(params, candidates);
    if (gate !== undefined) return gate;
    switch (params.method) {
      case 'sc':
        return ok({ v: 1, t: Date.now(), c: settings.behaviorSettings ?? {} });
      case 'rc':
        return ok(filterKeys(settings.remoteConfig ?? {}, params.keys, params.omit_keys));
      case 'ab':
        return stringArrayParam(params.keys) === undefined
          ? fail(400, 'Missing Keys')
          : ok({ result: 'Successfully enrolled in ab tests' });
      case 'ab_fetch_variants':
        return ok(filterKeys(settings.abVariants ?? {}, params.key === undefined ? undefined : JSON.stringify([params.key]), undefined));
      case 'ab_fetch_experiments':
        return ok(settings.abExperiments ?? []);
      case 'feedback':
        return ok({ result: settings.feedbackWidgets ?? [] });
      default:
        return fail(400, 'Invalid method');
    }
  };

  const handleContent = (params: Params, candidates: readonly string[]): Verdict =>
    checkAppAndDevice(params, false) ??
    checkChecksum(params, candidates) ??
    ok(settings.contentBlock ?? { result: 'No content block found!' });

  const route = (record: ReceivedRequest): Verdict => {
    if (record.method !== 'GET' && record.method !== 'POST') return fail(405, 'Method not allowed');
    // spec: server-rules.md step 5 — the raw query, and for POST also the raw body.
    const candidates = record.method === 'POST' ? [record.rawQuery, record.rawBody] : [record.rawQuery];
    const params = record.params;
    switch (record.path) {
      case '/i':
        return handleWrite(params, candidates);
      case '/i/bulk':
        return handleBulk(params, candidates, record);
      case '/o/sdk':
        return handleSdk(params, candidates);
      case '/o/sdk/content':
        return handleContent(params, candidates);
      default:
        return fail(400, 'Invalid path');
    }
  };

  const applyFault = async (fault: Fault, req: IncomingMessage, res: ServerResponse, record: ReceivedRequest): Promise<boolean> => {
    switch (fault.kind) {
      case 'latency':
        return sleep(fault.ms);
      case 'status':
        record.error = `fault: status ${fault.status}`;
        answer(res, record, fault.status, fault.body ?? '{"result":"Error"}');
        return false;
      case 'malformed':
        record.error = 'fault: malformed';
        answer(res, record, fault.status ?? 200, fault.body ?? 'not json');
        return false;
      case 'no-result':
        record.error = 'fault: no-result';
        answer(res, record, 200, '{"ok":true}');
        return false;
      case 'drop':
        record.error = 'fault: drop';
        req.socket.destroy();
        finish(record);
        return false;
      case 'hang':
        record.error = 'fault: hang';
        finish(record);
        return false;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    // Faults are taken at arrival so they hit requests in order; a browser's preflight is not an SDK request.
    const fault = method === 'OPTIONS' ? undefined : takeFault();
    const rawBody = await readBody(req);
    if (rawBody === undefined || closed) return;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1).split('#')[0] ?? '';
    const record: ReceivedRequest = {
      id: nextId++,
      method,
      path,
      params: {},
      rawQuery,
      rawBody,
      headers: { ...req.headers },
      status: 0,
      response: null,
      accepted: false,
      receivedAt: Date.now(),
    };
    const bodyParams = method === 'POST' ? parseBody(rawBody, req.headers['content-type']) : {};
    record.params = { ...parseUrlEncoded(rawQuery), ...(bodyParams ?? {}) };
    received.push(record);
    notify();

    if (method === 'OPTIONS') {
      record.status = 200;
      record.response = { result: 'OK' };
      res.writeHead(200, CORS_HEADERS);
      res.end('{"result":"OK"}');
      finish(record);
      return;
    }
    if (fault !== undefined && !(await applyFault(fault, req, res, record))) return;
    if (rejection !== null && rejection.match(record.params)) {
      record.error = `rejected: status ${rejection.status}`;
      answer(res, record, rejection.status, rejection.body);
      return;
    }
    if (bodyParams === null) {
      applyVerdict(res, record, fail(400, 'Could not parse JSON body'));
      return;
    }
    const verdict = route(record);
    if (verdict.status === 405) res.setHeader('Allow', 'GET, POST, OPTIONS');
    applyVerdict(res, record, verdict);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, BASE_HEADERS);
        res.end(JSON.stringify({ result: `Internal error: ${String(error)}` }));
      }
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const url = `http://${HOST}:${port}`;
      resolve({
        url,
        port,
        get received() {
          return received;
        },
        accepted: () => received.filter((r) => r.accepted),
        events: () => collectEvents(received),
        injectFaults: (...faults) => {
          queuedFaults.push(...faults);
        },
        setFault: (fault) => {
          stickyFault = fault;
        },
        rejectWhen: (match, answer = {}) => {
          rejection = match === null ? null : { match, status: answer.status ?? 400, body: answer.body ?? '{"result":"Rejected"}' };
        },
        configure: (changes) => {
          Object.assign(settings, changes);
        },
        reset: () => {
          received = [];
          queuedFaults = [];
          stickyFault = null;
          rejection = null;
          lastHashByDevice = new Map();
          notify();
        },
        waitFor: (predicate, timeoutMs = 5000) =>
          new Promise<void>((resolveWait, rejectWait) => {
            const waiter: Waiter = {
              check: () => {
                let done: boolean;
                try {
                  done = predicate(received);
                } catch (error) {
                  waiter.fail(error instanceof Error ? error : new Error(String(error)));
                  return;
                }
                if (!done) return;
                clearTimeout(timer);
                waiters.delete(waiter);
                resolveWait();
              },
              fail: (error) => {
                clearTimeout(timer);
                waiters.delete(waiter);
                rejectWait(error);
              },
            };
            const timer = setTimeout(
              () => waiter.fail(new Error(`waitFor: timed out after ${timeoutMs} ms (${received.length} requests received)`)),
              timeoutMs,
            );
            waiters.add(waiter);
            waiter.check();
          }),
        close: () =>
          new Promise<void>((resolveClose) => {
            if (closed) {
              resolveClose();
              return;
            }
            closed = true;
            for (const wake of [...sleepers]) wake();
            for (const waiter of [...waiters]) waiter.fail(new Error('waitFor: server closed'));
            server.close(() => resolveClose());
            // Hung and keep-alive connections would hold close() open forever.
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The whole body as text, or `undefined` when the client went away. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // After 'end' this resolve is a no-op; before it, the client went away mid-body.
    req.on('close', () => resolve(undefined));
    req.on('error', () => resolve(undefined));
  });
}

/** spec: server-rules.md "HTTP" — urlencoded bodies, and JSON bodies; `null` = unparseable JSON. */
function parseBody(rawBody: string, contentType: string | undefined): Params | null {
  if (rawBody === '') return {};
  if (contentType !== undefined && contentType.toLowerCase().includes('application/json')) return parseJsonBody(rawBody);
  return parseUrlEncoded(rawBody);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** spec: server-rules.md `/o/sdk` method=rc — `keys` keeps only those, `omit_keys` drops those. */
function filterKeys<T>(source: Record<string, T>, keysParam: string | undefined, omitParam: string | undefined): Record<string, T> {
  const keys = stringArrayParam(keysParam);
  const omit = stringArrayParam(omitParam);
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(source)) {
    if (keys !== undefined && !keys.includes(key)) continue;
    if (omit !== undefined && omit.includes(key)) continue;
    out[key] = value;
  }
  return out;
}

function collectEvents(records: readonly ReceivedRequest[]): ServerEvent[] {
  const out: ServerEvent[] = [];
  const take = (params: Params): void => {
    if (params.events === undefined) return;
    const events = JSON.parse(params.events) as Array<Record<string, unknown> & { key: string }>;
    for (const event of events) out.push({ ...event, device_id: params.device_id ?? '' });
  };
  for (const record of records) {
    if (!record.accepted) continue;
    if (record.path === '/i') take(record.params);
    for (const item of record.bulk ?? []) if (item.accepted) take(item.params);
  }
  return out;
}

/** The per-request log line: `#id METHOD path status summary → result`. */
export function formatLine(record: ReceivedRequest): string {
  const status = record.status === 0 ? '---' : String(record.status);
  const summary = summarizeParams(record.params);
  const result = isObject(record.response) && typeof record.response.result === 'string' ? record.response.result : undefined;
  const outcome = record.error ?? result ?? (record.accepted ? 'ok' : '');
  return [`#${record.id}`, record.method, record.path, status, summary, outcome === '' ? '' : `→ ${outcome}`]
    .filter((part) => part !== '')
    .join(' ');
}
