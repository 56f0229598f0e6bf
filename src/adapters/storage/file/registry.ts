/**
 * The per-directory registry of open logs: where a namespace's log lives, and sharing one
 * `Log` among the handles this process opens on the same file (through one adapter object or
 * several), so their writes are ordered and group-committed together. A close in flight is
 * waited for before the file is opened again, so a reopen replays everything the close flushed.
 *
 * Two processes on the same directory are not coordinated.
 */
import { createHash } from 'node:crypto';
import { ignore } from './io.js';
import { Log } from './log.js';

interface OpenLog {
  readonly log: Promise<Log>;
  refs: number;
}

const openLogs = /* @__PURE__ */ new Map<string, OpenLog>();
const closingLogs = new Map<string, Promise<void>>();

/**
 * The log file name for a namespace: the namespace with unsafe characters replaced, plus a
 * hash of the exact namespace, so distinct namespaces never share a file (also on
 * case-insensitive file systems) and the name stays short and portable.
 */
export function logFileName(namespace: string): string {
  const safe = namespace.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  const hash = createHash('sha256').update(namespace, 'utf8').digest('hex').slice(0, 12);
  return `chartly-${safe}-${hash}.log`;
}

/** Takes a reference to the log of `file` (an absolute path), opening it if needed. */
export async function acquire(file: string): Promise<{ log: Log; release: () => Promise<void> }> {
  // Wait until no close of this file is in flight; the entry is then taken synchronously.
  for (let closing = closingLogs.get(file); closing; closing = closingLogs.get(file)) await closing;
  let entry = openLogs.get(file);
  if (!entry) {
    entry = { log: Log.open(file), refs: 0 };
    openLogs.set(file, entry);
  }
  const held = entry;
  held.refs++;
  let log: Log;
  try {
    log = await held.log;
  } catch (error) {
    if (--held.refs === 0 && openLogs.get(file) === held) openLogs.delete(file);
    throw error;
  }
  const release = async (): Promise<void> => {
    if (--held.refs > 0) return;
    openLogs.delete(file);
    const closing = log.close();
    const settled: Promise<void> = closing.catch(ignore).then(() => {
      if (closingLogs.get(file) === settled) closingLogs.delete(file);
    });
    closingLogs.set(file, settled);
    await closing;
  };
  return { log, release };
}
