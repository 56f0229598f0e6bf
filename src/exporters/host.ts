/**
 * The host side of exporters (`CountlyConfig.exporters`, `BackendConfig.exporters`): reads
 * the option, starts each exporter once with the host's adapters, hands it the accepted
 * events, and flushes and shuts it down with the host. Every call into an exporter is user
 * code: guarded, so an exporter that throws or rejects costs only itself (logged).
 *
 * Events handed over before an exporter's `start()` settled are kept in order and delivered
 * once it has, so an exporter sees `start` complete before its first `export`.
 */
import { errorText, param, type Logger } from '../log.js';
import { isArray, isObject, readProp, UNREADABLE } from '../config-read.js';
import type { ExportedEvent, Exporter, ExporterHost } from './types.js';

const MODULE = 'Exporters';
const METHODS = ['start', 'export', 'flush', 'shutdown'] as const;

/**
 * The `exporters` option, checked: an array of objects with `start`, `export`, `flush` and
 * `shutdown` functions. Anything else is warned about and left out (never thrown).
 */
export function readExporters(value: unknown, log: Logger, where: { module: string; fn: string } = { module: 'Init', fn: 'createCountly' }): Exporter[] {
  if (value === undefined || value === null) return [];
  if (!isArray(value)) {
    log.warning(where.module, `${where.fn}, "exporters" must be an array of exporters, got ${param(value)}; no exporter is used`);
    return [];
  }
  const out: Exporter[] = [];
  let length = 0;
  try {
    length = Math.min(Number((value as unknown[]).length) || 0, 100);
  } catch {
    length = 0;
  }
  for (let i = 0; i < length; i++) {
    const item = readProp(value, String(i));
    const ok = item !== UNREADABLE && isObject(item) && METHODS.every((m) => typeof readProp(item, m) === 'function');
    if (!ok) {
      log.warning(where.module, `${where.fn}, exporters[${i}] must be an object with ${METHODS.join(', ')} functions; ignored`);
      continue;
    }
    if (out.includes(item as unknown as Exporter)) {
      log.warning(where.module, `${where.fn}, exporters[${i}] is listed twice; ignored`);
      continue;
    }
    out.push(item as unknown as Exporter);
  }
  return out;
}

interface Slot {
  readonly exporter: Exporter;
  readonly name: string;
  /** Settles when `start()` did (true: started; false: failed, the exporter is left out). */
  started: Promise<boolean>;
  /** Events waiting for `start()`; null once it settled. */
  waiting: ExportedEvent[][] | null;
  ok: boolean;
}

/** The started exporters of one host (an instance or a backend). */
export class ExporterSet {
  private readonly slots: Slot[];

  constructor(
    exporters: readonly Exporter[],
    private readonly log: Logger,
    host: Omit<ExporterHost, 'log'>,
  ) {
    this.slots = exporters.map((exporter, i) => this.start(exporter, i, host));
  }

  get size(): number {
    return this.slots.length;
  }

  private start(exporter: Exporter, index: number, host: Omit<ExporterHost, 'log'>): Slot {
    const nameValue = readProp(exporter, 'name');
    const name = typeof nameValue === 'string' && nameValue !== '' ? nameValue : `exporter #${index}`;
    const slot: Slot = { exporter, name, started: Promise.resolve(false), waiting: [], ok: true };
    const own: ExporterHost = { ...host, log: (level, message) => this.log.log(level, name, String(message)) };
    slot.started = (async () => {
      try {
        await exporter.start(own);
        return true;
      } catch (error) {
        this.log.error(MODULE, `start, exporter ${param(name)} failed to start (${errorText(error)}); it receives no events`);
        return false;
      }
    })().then((ok) => {
      slot.ok = ok;
      const waiting = slot.waiting ?? [];
      slot.waiting = null;
      if (ok) for (const events of waiting) this.deliver(slot, events);
      return ok;
    });
    return slot;
  }

  private deliver(slot: Slot, events: readonly ExportedEvent[]): void {
    try {
      slot.exporter.export(events);
    } catch (error) {
      this.log.error(MODULE, `export, exporter ${param(slot.name)} threw: ${errorText(error)}`);
    }
  }

  /** Hands accepted events to every exporter, in record order; returns at once. */
  export(events: readonly ExportedEvent[]): void {
    if (events.length === 0) return;
    for (const slot of this.slots) {
      if (slot.waiting !== null) slot.waiting.push([...events]);
      else if (slot.ok) this.deliver(slot, events);
    }
  }

  /** Every exporter's `flush()`, at once; resolves when all settled. */
  flush(): Promise<void> {
    return this.each('flush');
  }

  /** Every exporter's `shutdown()` (after its start settled); resolves when all settled. */
  shutdown(): Promise<void> {
    return this.each('shutdown');
  }

  private async each(method: 'flush' | 'shutdown'): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!(await slot.started)) return;
        try {
          await slot.exporter[method]();
        } catch (error) {
          this.log.error(MODULE, `${method}, exporter ${param(slot.name)} failed: ${errorText(error)}`);
        }
      }),
    );
  }
}
