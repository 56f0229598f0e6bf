/**
 * The backend benchmark's server: the local Countly-compatible server in its own process
 * (so its CPU and memory are not the SDK's), counting accepted events and their JSON bytes
 * as requests complete and forgetting the requests it counted (a million events would
 * otherwise pile up here). Reports to the runner over IPC. Started by bench/backend.ts.
 */
import { startServer, type ReceivedRequest } from '../src/server/index.js';

export interface ServerStats {
  type: 'stats';
  events: number;
  payloadBytes: number;
  requests: number;
  /** Events per app key seen (the workload spreads them over 5). */
  appKeys: number;
}

const server = await startServer();
const stats: ServerStats = { type: 'stats', events: 0, payloadBytes: 0, requests: 0, appKeys: 0 };
const apps = new Set<string>();

const take = (params: Record<string, string>): void => {
  const events = params.events;
  if (events === undefined) return;
  stats.payloadBytes += Buffer.byteLength(events);
  stats.events += (JSON.parse(events) as unknown[]).length;
  if (params.app_key !== undefined) apps.add(params.app_key);
};

/** Counts every completed request, then forgets them (nothing is in flight between two answers of one run). */
function count(): void {
  const list: readonly ReceivedRequest[] = server.received;
  if (list.some((r) => r.status === 0)) return;
  for (const r of list) {
    stats.requests++;
    if (!r.accepted) continue;
    if (r.path === '/i') take(r.params);
    for (const item of r.bulk ?? []) if (item.accepted) take(item.params);
  }
  stats.appKeys = apps.size;
  server.reset();
}

const timer = setInterval(() => {
  count();
  if (process.connected) process.send?.(stats);
}, 100);

process.on('message', (m: { type: string }) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  count();
  process.send?.(stats, undefined, {}, () => void server.close().finally(() => process.exit(0)));
});
process.send?.({ type: 'listening', url: server.url });
