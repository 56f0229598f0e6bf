/**
 * The HTTP handler of chartly-server: records each request, applies the faults and the
 * reject rule, then answers with the router's verdict.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault, type FaultControl, type FaultIo } from './faults.js';
import { BASE_HEADERS, CORS_HEADERS, parseBody, parseJson, readBody, splitUrl } from './request.js';
import type { Router } from './routes.js';
import { fail, parseUrlEncoded, type Verdict } from './rules.js';
import { formatLine, type RequestStore } from './store.js';
import type { ReceivedRequest } from './types.js';

export interface HandlerDeps {
  store: RequestStore;
  faults: FaultControl;
  router: Router;
  log: ((line: string) => void) | undefined;
  isClosed(): boolean;
  sleep: FaultIo['sleep'];
}

/** The `node:http` request listener; an unexpected error is answered with a 500. */
export function createRequestListener(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, faults, router, log } = deps;

  const finish = (record: ReceivedRequest): void => {
    log?.(formatLine(record));
    store.notify();
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

  const io: FaultIo = { answer, finish, sleep: deps.sleep };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    // Faults are taken at arrival so they hit requests in order; a browser's preflight is not an SDK request.
    const fault = method === 'OPTIONS' ? undefined : faults.take();
    const rawBody = await readBody(req);
    if (rawBody === undefined || deps.isClosed()) return;
    const { path, rawQuery } = splitUrl(req.url ?? '/');
    const record: ReceivedRequest = {
      id: store.nextId(),
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
    store.add(record);

    if (method === 'OPTIONS') {
      record.status = 200;
      record.response = { result: 'OK' };
      res.writeHead(200, CORS_HEADERS);
      res.end('{"result":"OK"}');
      finish(record);
      return;
    }
    if (fault !== undefined && !(await applyFault(fault, req, res, record, io))) return;
    const rejection = faults.rejectionFor(record.params);
    if (rejection !== undefined) {
      record.error = `rejected: status ${rejection.status}`;
      answer(res, record, rejection.status, rejection.body);
      return;
    }
    if (bodyParams === null) {
      applyVerdict(res, record, fail(400, 'Could not parse JSON body'));
      return;
    }
    const verdict = router.route(record);
    if (verdict.status === 405) res.setHeader('Allow', 'GET, POST, OPTIONS');
    applyVerdict(res, record, verdict);
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, BASE_HEADERS);
        res.end(JSON.stringify({ result: `Internal error: ${String(error)}` }));
      }
    });
  };
}
