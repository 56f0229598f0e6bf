/**
 * The backend's three-level event pool (SDK guide l. 5531–5549 "Event Batching"): events
 * wait per app key and device ID until one of three thresholds is reached —
 *   - per device (default 10): that device's events become a request;
 *   - per app key (default 1,000, all its devices): every device of that app key flushes;
 *   - whole pool (default 10,000): every device of every app key flushes;
 * and the periodic timer dumps everything (the machine decides that, `machine.ts`).
 *
 * Pure data, no I/O: `add` is O(1) (two Map lookups) and says which level it reached; `take*`
 * hand out batches, one per (app key, device), the device's events in record order. Events of
 * two devices never share a batch. A device is forgotten once taken, so memory follows what is
 * pending, never how many devices were ever seen.
 */

/** What `add` reached; a higher level covers the lower ones. */
export type PoolLevel = 'none' | 'device' | 'app' | 'server';

export interface PoolThresholds {
  readonly device: number;
  readonly app: number;
  readonly server: number;
}

/** One device's events of one app key, in record order: one request. */
export interface PoolBatch<E> {
  readonly appKey: string;
  readonly deviceId: string;
  readonly events: E[];
}

interface AppBucket<E> {
  count: number;
  readonly devices: Map<string, E[]>;
}

export class EventPool<E> {
  private readonly apps = new Map<string, AppBucket<E>>();
  private total = 0;

  constructor(readonly thresholds: PoolThresholds) {}

  /** Events pooled now, all app keys. */
  get size(): number {
    return this.total;
  }

  /** Devices with pooled events now (what the pool's memory follows). */
  get devices(): number {
    let n = 0;
    for (const app of this.apps.values()) n += app.devices.size;
    return n;
  }

  /** Events pooled for one app key (0 when none). */
  countOf(appKey: string): number {
    return this.apps.get(appKey)?.count ?? 0;
  }

  /** Events pooled for one device of one app key (0 when none). */
  countOfDevice(appKey: string, deviceId: string): number {
    return this.apps.get(appKey)?.devices.get(deviceId)?.length ?? 0;
  }

  /** Pools one event; returns the highest threshold it reached. */
  add(appKey: string, deviceId: string, event: E): PoolLevel {
    let app = this.apps.get(appKey);
    if (app === undefined) {
      app = { count: 0, devices: new Map() };
      this.apps.set(appKey, app);
    }
    let events = app.devices.get(deviceId);
    if (events === undefined) {
      events = [];
      app.devices.set(deviceId, events);
    }
    events.push(event);
    app.count += 1;
    this.total += 1;
    if (this.total >= this.thresholds.server) return 'server';
    if (app.count >= this.thresholds.app) return 'app';
    if (events.length >= this.thresholds.device) return 'device';
    return 'none';
  }

  /** Takes one device's events (null when it has none). */
  takeDevice(appKey: string, deviceId: string): PoolBatch<E> | null {
    const app = this.apps.get(appKey);
    const events = app?.devices.get(deviceId);
    if (app === undefined || events === undefined) return null;
    app.devices.delete(deviceId);
    app.count -= events.length;
    this.total -= events.length;
    if (app.devices.size === 0) this.apps.delete(appKey);
    return { appKey, deviceId, events };
  }

  /** Takes every device of one app key, in the order each device first pooled an event. */
  takeApp(appKey: string): PoolBatch<E>[] {
    const app = this.apps.get(appKey);
    if (app === undefined) return [];
    this.apps.delete(appKey);
    this.total -= app.count;
    const out: PoolBatch<E>[] = [];
    for (const [deviceId, events] of app.devices) out.push({ appKey, deviceId, events });
    return out;
  }

  /** Takes everything, app keys in the order they first pooled an event. */
  takeAll(): PoolBatch<E>[] {
    const out: PoolBatch<E>[] = [];
    for (const appKey of [...this.apps.keys()]) for (const batch of this.takeApp(appKey)) out.push(batch);
    return out;
  }
}
