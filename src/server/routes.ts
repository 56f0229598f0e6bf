/**
 * The Countly answers of chartly-server (/work/shared/spec/server-rules.md): the app, device
 * and checksum checks, /i, /i/bulk, /o/sdk and /o/sdk/content, and duplicate detection.
 */
import {
  ZERO_DEVICE_ID,
  duplicateHash,
  fail,
  invalidIdParam,
  isObject,
  ok,
  stringArrayParam,
  stringifyValues,
  validateJsonParams,
  verifyChecksum,
  type Params,
  type Verdict,
} from './rules.js';
import { handleSurveys } from './surveys.js';
import type { BulkItem, ReceivedRequest, ServerSettings } from './types.js';
import { APPMETRICA_PATHS, createAppMetricaEndpoint, type AppMetricaEndpoint } from './appmetrica.js';

export interface Router {
  /** The verdict for a parsed request; may set `record.bulk`. */
  route(record: ReceivedRequest): Verdict;
  /** Forgets the duplicate-detection memory. */
  forgetDuplicates(): void;
  /** The AppMetrica Post API endpoint (`appmetrica.ts`) and the rows it accepted. */
  readonly appMetrica: AppMetricaEndpoint;
}

/** `settings` is read on every request, so changes to it apply from the next one. */
export function createRouter(settings: ServerSettings): Router {
  let lastHashByDevice = new Map<string, string>();
  const appMetrica = createAppMetricaEndpoint(() => settings.appMetrica ?? {});

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
    ok((params.content_id !== undefined ? settings.contentPreviews?.[params.content_id] : undefined) ?? settings.contentBlock ?? { result: 'No content block found!' });

  const route = (record: ReceivedRequest): Verdict => {
    if (record.method !== 'GET' && record.method !== 'POST') return fail(405, 'Method not allowed');
    // spec: server-rules.md step 5 — the raw query, and for POST also the raw body.
    const candidates = record.method === 'POST' ? [record.rawQuery, record.rawBody] : [record.rawQuery];
    const params = record.params;
    if (APPMETRICA_PATHS.includes(record.path)) return appMetrica.route(record);
    if (record.path.startsWith('/o/surveys/')) return handleSurveys(record.path, params, settings, (p) => checkAppAndDevice(p, false) ?? checkChecksum(p, candidates));
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

  return {
    route,
    appMetrica,
    forgetDuplicates: () => {
      lastHashByDevice = new Map();
    },
  };
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
