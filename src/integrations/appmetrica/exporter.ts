/**
 * `appMetricaExporter(options)`: an `Exporter` (src/exporters/types.ts) that uploads the
 * events chartly records to the AppMetrica Post API (spec: /work/shared/spec/004_339a322340c1863a.txt).
 *
 * The decisions are the uploader machine's (`machine.ts`); this file performs its commands
 * against the host's adapters: its own storage namespace (`exporter:appmetrica`, queue
 * `events`), the host's transport, the host's clock (the machine's cool-down delay), the
 * host's log. Every call is guarded: nothing here throws into the host.
 */
import { createActor, type Actor } from 'xstate';
import type { StorageHandle, TransportResult } from '../../adapters/types.js';
import type { LogLevel } from '../../domain/types.js';
import { memoryStorage } from '../../adapters/storage/memory.js';
import type { ExportedEvent, Exporter, ExporterHost } from '../../exporters/types.js';
import { claimNamespace, type NamespaceClaim } from '../../runtime/namespace-lock.js';
import { QUEUE, uploaderMachine, type PendingRow, type UploaderCommand, type UploaderEvent, type UploaderOptions } from './machine.js';
import { buildCsv, DEFAULT_URL, toRow, uploadUrl, type AppMetricaRow } from './rows.js';

export interface AppMetricaExporterOptions {
  /** l. 33: the token for data uploading (the application's Settings). */
  postApiKey: string;
  /** l. 34: the application's numeric ID in AppMetrica. */
  applicationId: number;
  /** The API host; default `https://api.appmetrica.yandex.ru` (tests: the local server). */
  url?: string;
  /** The `profile_id` sent for a device ID (l. 35); default: the device ID itself. */
  profileId?: (deviceId: string) => string;
}

export const NAMESPACE = 'exporter:appmetrica';
const NAME = 'AppMetrica';
const REQUEST_TIMEOUT_MS = 30_000;

type ProfileIdFn = (deviceId: string) => string;
type Valid = { ok: true; postApiKey: string; applicationId: number; url: string; profileId: ProfileIdFn | undefined } | { ok: false; problem: string };

function validate(options: unknown): Valid {
  if (typeof options !== 'object' || options === null) return { ok: false, problem: 'options must be an object' };
  const o = options as Partial<Record<keyof AppMetricaExporterOptions, unknown>>;
  let key: unknown, app: unknown, url: unknown, profileId: unknown;
  try {
    ({ postApiKey: key, applicationId: app, url, profileId } = o);
  } catch {
    return { ok: false, problem: 'options could not be read' };
  }
  if (typeof key !== 'string' || key.trim() === '') return { ok: false, problem: 'postApiKey must be a non-empty string' };
  if (typeof app !== 'number' || !Number.isSafeInteger(app) || app <= 0) return { ok: false, problem: 'applicationId must be a positive integer' };
  if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/?#\s]+/i.test(url))) return { ok: false, problem: 'url must be an http(s) URL' };
  if (profileId !== undefined && typeof profileId !== 'function') return { ok: false, problem: 'profileId must be a function' };
  return { ok: true, postApiKey: key, applicationId: app, url: (url as string | undefined) ?? DEFAULT_URL, profileId: profileId as ProfileIdFn | undefined };
}

/** The exporter (API.md "Integrations"). */
export function appMetricaExporter(options: AppMetricaExporterOptions): Exporter {
  return createAppMetricaExporter(options);
}

/** The same, with the uploader's tuning (batch size, cool-downs, queue bound) for tests and demos. */
export function createAppMetricaExporter(options: AppMetricaExporterOptions, tuning?: Partial<UploaderOptions>): Exporter {
  const valid = validate(options);
  let host: ExporterHost | null = null;
  let actor: Actor<typeof uploaderMachine> | null = null;
  let handle: StorageHandle | null = null;
  let claim: NamespaceClaim | null = null;
  let loaded: Promise<void> = Promise.resolve();
  /** Storage writes, in the order the machine asked for them. */
  let writes: Promise<void> = Promise.resolve();
  let upload: Promise<void> | null = null;
  let closing = false;
  let closed: Promise<void> | null = null;

  const log = (level: LogLevel, message: string): void => {
    try {
      host?.log(level, message);
    } catch {
      // The host's log is its own business.
    }
  };
  const now = (): number => host!.clock.now();
  const send = (event: UploaderEvent): void => {
    if (actor !== null && actor.getSnapshot().status === 'active') actor.send(event);
  };

  const write = (ops: UploaderCommand & { type: 'store.write' }): void => {
    writes = writes.then(async () => {
      try {
        await handle?.write(ops.ops);
      } catch (error) {
        log('error', `store, write failed: ${String(error)}`);
      }
    });
  };

  const uploadRows = (rows: AppMetricaRow[]): void => {
    if (closing || !valid.ok || host === null) return;
    const transport = host.transport;
    const request = {
      method: 'POST' as const,
      url: uploadUrl(valid.url, valid.postApiKey),
      headers: { 'Content-Type': 'text/csv; charset=utf-8' },
      body: buildCsv(rows, valid.applicationId),
      timeoutMs: REQUEST_TIMEOUT_MS,
    };
    upload = (async () => {
      let result: TransportResult;
      try {
        result = await transport.send(request);
      } catch (error) {
        result = { kind: 'network-error', message: String(error), elapsedMs: 0 };
      }
      upload = null;
      if (result.kind === 'response') send({ type: 'upload.answered', status: result.status, body: result.body, at: now() });
      else send({ type: 'upload.failed', reason: result.kind === 'timeout' ? 'timeout' : result.message, at: now() });
    })();
  };

  const perform = (cmd: UploaderCommand): void => {
    if (cmd.type === 'store.write') write(cmd);
    else if (cmd.type === 'upload.send') uploadRows(cmd.rows);
    else log(cmd.level, cmd.message);
  };

  const open = async (h: ExporterHost): Promise<void> => {
    let rows: PendingRow[] = [];
    try {
      claim = await claimNamespace(h.storage.id ?? h.storage, NAMESPACE);
      handle = await h.storage.open(NAMESPACE, { onProblem: (m) => log('error', `store, ${m}`) });
      const contents = await handle.read();
      const { good, bad } = readRows(contents.queues[QUEUE] ?? []);
      rows = good;
      if (bad.length > 0) {
        log('warning', `start, ${bad.length} unreadable stored event(s) removed`);
        write({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: bad }] });
      }
    } catch (error) {
      claim?.release();
      claim = null;
      log('error', `start, storage ${NAMESPACE} could not be opened (${String(error)}); events are kept in memory only`);
      handle = await memoryStorage().open(NAMESPACE);
    }
    send({ type: 'store.loaded', rows, at: now() });
  };

  /** Resolves when nothing is on the wire and the machine is not about to send. */
  const settled = (): Promise<void> =>
    new Promise((resolve) => {
      if (actor === null) return resolve();
      const done = (s: ReturnType<NonNullable<typeof actor>['getSnapshot']>): boolean =>
        s.status !== 'active' || s.matches('idle') || s.matches('coolingDown');
      if (done(actor.getSnapshot())) return resolve();
      const sub = actor.subscribe({
        next: (s) => {
          if (done(s)) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: () => resolve(),
        complete: () => resolve(),
      });
    });

  return {
    name: NAME,
    start(h) {
      if (host !== null) {
        try {
          h.log('error', 'start, this exporter is already started by another instance; create one exporter per instance');
        } catch {
          // ignore
        }
        return;
      }
      host = h;
      if (!valid.ok) {
        log('error', `appMetricaExporter, ${valid.problem}; nothing will be exported`);
        return;
      }
      actor = createActor(uploaderMachine, { input: { options: tuning ?? {} }, clock: h.clock });
      actor.on('*', (cmd) => perform(cmd as UploaderCommand));
      actor.subscribe({ error: (e) => log('error', `uploader, stopped: ${String(e)}`) });
      actor.start();
      loaded = open(h).catch((error: unknown) => log('error', `start, failed: ${String(error)}`));
      return loaded;
    },
    export(events) {
      if (actor === null || closing || !valid.ok || host === null) return;
      let metrics: Readonly<Record<string, string>> = {};
      try {
        metrics = host.metrics();
      } catch (error) {
        log('warning', `export, the platform's metrics could not be read: ${String(error)}`);
      }
      const rows: AppMetricaRow[] = [];
      for (const event of Array.isArray(events) ? (events as readonly ExportedEvent[]) : []) {
        const profile = profileOf(event.deviceId, valid.profileId, log);
        if (profile !== undefined) rows.push(toRow(event, profile, metrics));
      }
      if (rows.length > 0) send({ type: 'rows.accepted', rows, at: now() });
    },
    async flush() {
      if (actor === null || closing) return;
      await loaded;
      send({ type: 'upload.flush', at: now() });
      await settled();
      await writes;
    },
    shutdown() {
      closed ??= (async () => {
        if (actor === null) return;
        await loaded;
        // An answer on its way still acknowledges its batch; nothing new is sent.
        closing = true;
        await upload;
        actor.send({ type: 'uploader.stop' });
        await writes;
        await handle?.close().catch((error: unknown) => log('error', `shutdown, storage close failed: ${String(error)}`));
        handle = null;
        claim?.release();
        claim = null;
      })().catch((error: unknown) => log('error', `shutdown, failed: ${String(error)}`));
      // Another exporter on this storage waits for this one to be closed.
      claim?.closing(closed);
      return closed;
    },
  };
}

/** The `profile_id` of a device ID: the option's answer (guarded) or the ID itself. */
function profileOf(deviceId: string, fn: ProfileIdFn | undefined, log: (level: 'warning', m: string) => void): string | undefined {
  if (fn === undefined) return typeof deviceId === 'string' && deviceId !== '' ? deviceId : undefined;
  try {
    const id = fn(deviceId);
    if (typeof id === 'string' && id !== '') return id;
    log('warning', `export, profileId returned ${typeof id === 'string' ? 'an empty string' : typeof id} for a device ID; event not exported`);
  } catch (error) {
    log('warning', `export, profileId threw (${String(error)}); event not exported`);
  }
  return undefined;
}

/** Stored entries → rows; the seqs of unreadable ones. */
function readRows(entries: readonly { seq: number; data: string }[]): { good: PendingRow[]; bad: number[] } {
  const good: PendingRow[] = [];
  const bad: number[] = [];
  for (const e of entries) {
    try {
      const row = JSON.parse(e.data) as unknown;
      if (typeof row === 'object' && row !== null && !Array.isArray(row) && Object.values(row).every((v) => typeof v === 'string') && typeof (row as AppMetricaRow).event_name === 'string') {
        good.push({ seq: e.seq, row: row as AppMetricaRow });
        continue;
      }
    } catch {
      // fall through: unreadable
    }
    bad.push(e.seq);
  }
  return { good, bad };
}
