/**
 * File storage for Node: one append-only log per namespace.
 *
 * Each `write()` appends one line `<crc32, 8 hex><JSON array of ops>\n` and fsyncs before it
 * resolves, so a write is on disk when acknowledged and is all-or-nothing after a crash (a
 * torn line fails its checksum and is skipped as a whole). An append or a remove costs one
 * small line whatever the queue length; the official Node SDK rewrites its whole queue file
 * on every change instead. The log is compacted (live state rewritten to a temp file, fsynced,
 * renamed over the log) once its dead bytes exceed both 1 MiB and twice the live bytes, so
 * the bytes written per op stay constant on average.
 *
 * One process writes a namespace at a time: handles opened in this process share one log,
 * but two processes on the same directory are not coordinated.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { QueueName, StorageAdapter, StorageContents, StorageHandle, StorageOp } from '../types.js';
import { NamespaceState, storageClosedError, validateOps } from './memory.js';

type FileHandle = fsp.FileHandle;

const COMPACT_MIN_DEAD_BYTES = 1 << 20;
/** Compacted logs are written in lines of about this size, so no single line gets huge. */
const COMPACT_LINE_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const HEADER = 8;

// ---------------------------------------------------------------------------------------
// Record encoding: short op codes and queue codes keep the framing small.
//   ['s', key, value]  ['d', key]  ['a'|'u', q, seq, data]  ['r', q, ...seqs]  ['c', q]
// A removed run of 3+ consecutive seqs is written as [first, last].
// Queue data that is canonical JSON (object or array, e.g. a stored event) is embedded as
// JSON rather than as an escaped string, which saves a backslash per quote; it is read back
// with JSON.stringify, exact because embedding happens only when that round trip is exact.
// ---------------------------------------------------------------------------------------

const QUEUE_CODE: Record<QueueName, string> = { requests: 'r', events: 'e' };
const QUEUE_OF: Readonly<Record<string, QueueName>> = { r: 'requests', e: 'events' };

function embed(data: string): unknown {
  const c = data.charCodeAt(0);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    try {
      const value: unknown = JSON.parse(data);
      if (JSON.stringify(value) === data) return value;
    } catch {
      // not JSON: stored as a string
    }
  }
  return data;
}

function seqRuns(seqs: readonly number[]): Array<number | [number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: Array<number | [number, number]> = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    const first = sorted[i] as number;
    if (j - i >= 2) out.push([first, sorted[j] as number]);
    else for (let k = i; k <= j; k++) out.push(sorted[k] as number);
    i = j + 1;
  }
  return out;
}

function encodeOp(op: StorageOp): unknown[] {
  switch (op.op) {
    case 'set':
      return ['s', op.key, op.value];
    case 'delete':
      return ['d', op.key];
    case 'append':
      return ['a', QUEUE_CODE[op.queue], op.seq, embed(op.data)];
    case 'update':
      return ['u', QUEUE_CODE[op.queue], op.seq, embed(op.data)];
    case 'remove':
      return ['r', QUEUE_CODE[op.queue], ...seqRuns(op.seqs)];
    case 'clear':
      return ['c', QUEUE_CODE[op.queue]];
  }
}

/**
 * One op as JSON text. Data the core marks as `JSON.stringify` output is spliced in as is —
 * the same text `embed` would produce, without parsing and re-serializing it.
 */
function opText(op: StorageOp): string {
  if (op.op === 'append' && op.json === true) return `["a","${QUEUE_CODE[op.queue]}",${op.seq},${op.data}]`;
  return JSON.stringify(encodeOp(op));
}

const isSeq = (n: unknown): n is number => Number.isSafeInteger(n);
const MAX_RUN = 1_000_000;

/** Decodes one stored op; undefined when it is not one this version wrote. */
function decodeOp(raw: unknown): StorageOp | undefined {
  if (!Array.isArray(raw)) return undefined;
  const [code, a, b, c] = raw as unknown[];
  switch (code) {
    case 's':
      return raw.length === 3 && typeof a === 'string' && typeof b === 'string' ? { op: 'set', key: a, value: b } : undefined;
    case 'd':
      return raw.length === 2 && typeof a === 'string' ? { op: 'delete', key: a } : undefined;
    case 'a':
    case 'u': {
      const queue = typeof a === 'string' ? QUEUE_OF[a] : undefined;
      const data = typeof c === 'string' ? c : typeof c === 'object' && c !== null ? JSON.stringify(c) : undefined;
      if (raw.length !== 4 || !queue || !isSeq(b) || data === undefined) return undefined;
      return { op: code === 'a' ? 'append' : 'update', queue, seq: b, data };
    }
    case 'r': {
      const queue = typeof a === 'string' ? QUEUE_OF[a] : undefined;
      if (!queue) return undefined;
      const seqs: number[] = [];
      for (const item of raw.slice(2) as unknown[]) {
        if (isSeq(item)) seqs.push(item);
        // The span cap keeps a hand-edited line from stalling boot; real groups are far smaller.
        else if (Array.isArray(item) && item.length === 2 && isSeq(item[0]) && isSeq(item[1]) && item[0] < item[1] && item[1] - item[0] <= MAX_RUN) {
          for (let s = item[0]; s <= item[1]; s++) seqs.push(s);
        } else return undefined;
      }
      return { op: 'remove', queue, seqs };
    }
    case 'c': {
      const queue = typeof a === 'string' ? QUEUE_OF[a] : undefined;
      return raw.length === 2 && queue ? { op: 'clear', queue } : undefined;
    }
    default:
      return undefined;
  }
}

let crcTable: Int32Array | undefined;

/**
 * CRC-32 (the zlib polynomial). Written here rather than taken from `node:zlib`, whose
 * `crc32` only exists from Node 20.15 and which the platform-neutral build does not
 * externalize.
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Frames a JSON payload as one line: 8 hex digits of its CRC-32, the payload, `\n`. */
function frame(payload: string): Buffer {
  const n = Buffer.byteLength(payload);
  const line = Buffer.allocUnsafe(HEADER + n + 1);
  line.write(payload, HEADER, n, 'utf8');
  line.write(crc32(line.subarray(HEADER, HEADER + n)).toString(16).padStart(HEADER, '0'), 0, HEADER, 'latin1');
  line[HEADER + n] = NEWLINE;
  return line;
}

const HEX8 = /^[0-9a-f]{8}$/;

/** Parses one line (without its newline); undefined when torn or corrupt. */
function parseLine(line: Buffer): Array<{ op: StorageOp; size: number }> | undefined {
  if (line.length < HEADER + 2) return undefined;
  const header = line.toString('latin1', 0, HEADER);
  if (!HEX8.test(header) || Number.parseInt(header, 16) !== crc32(line.subarray(HEADER))) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line.toString('utf8', HEADER));
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw)) return undefined;
  const out: Array<{ op: StorageOp; size: number }> = [];
  for (const item of raw as unknown[]) {
    const op = decodeOp(item);
    if (!op) return undefined;
    out.push({ op, size: liveSizeOf(op, () => JSON.stringify(item)) });
  }
  return out;
}

/** Bytes an op's entry would take in a compacted log; 0 for ops that leave nothing behind. */
function liveSizeOf(op: StorageOp, encoded: () => string): number {
  return op.op === 'set' || op.op === 'append' || op.op === 'update' ? Buffer.byteLength(encoded()) + 1 : 0;
}

// ---------------------------------------------------------------------------------------
// Live-byte accounting, with the same op semantics as NamespaceState.
// ---------------------------------------------------------------------------------------

class LiveBytes {
  total = 0;
  private readonly kv = new Map<string, number>();
  private queues: Record<QueueName, Map<number, number>> = { requests: new Map(), events: new Map() };
  private readonly queueTotals: Record<QueueName, number> = { requests: 0, events: 0 };

  track(op: StorageOp, size: number): void {
    switch (op.op) {
      case 'set':
        this.total += size - (this.kv.get(op.key) ?? 0);
        this.kv.set(op.key, size);
        break;
      case 'delete':
        this.total -= this.kv.get(op.key) ?? 0;
        this.kv.delete(op.key);
        break;
      case 'append':
      case 'update': {
        const q = this.queues[op.queue];
        const old = q.get(op.seq);
        if (old === undefined && op.op === 'update') break;
        this.add(op.queue, size - (old ?? 0));
        q.set(op.seq, size);
        break;
      }
      case 'remove': {
        const q = this.queues[op.queue];
        for (const seq of op.seqs) {
          const old = q.get(seq);
          if (old !== undefined) {
            this.add(op.queue, -old);
            q.delete(seq);
          }
        }
        break;
      }
      case 'clear':
        this.total -= this.queueTotals[op.queue];
        this.queueTotals[op.queue] = 0;
        this.queues[op.queue] = new Map();
        break;
    }
  }

  private add(queue: QueueName, delta: number): void {
    this.total += delta;
    this.queueTotals[queue] += delta;
  }
}

// ---------------------------------------------------------------------------------------
// The log of one namespace.
// ---------------------------------------------------------------------------------------

interface PendingWrite {
  readonly ops: readonly StorageOp[];
  readonly sizes: readonly number[];
  readonly line: Buffer | null;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const ignore = (): void => undefined;

async function writeAt(fh: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('file storage: write made no progress');
    done += bytesWritten;
  }
}

async function readAll(fh: FileHandle): Promise<Buffer> {
  const { size } = await fh.stat();
  const bytes = Buffer.alloc(size);
  for (let done = 0; done < size; ) {
    const { bytesRead } = await fh.read(bytes, done, size - done, done);
    if (bytesRead <= 0) return bytes.subarray(0, done);
    done += bytesRead;
  }
  return bytes;
}

/** Makes a created or renamed file's directory entry durable; not possible on every OS. */
async function syncDir(dir: string): Promise<void> {
  try {
    const d = await fsp.open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Windows cannot open a directory; its rename is durable once the file is synced.
  }
}

class Log {
  private readonly state = new NamespaceState();
  private readonly live = new LiveBytes();
  private corrupt = 0;
  private size = 0;
  private pending: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  /** Set when a failed write may have left bytes past `size`; cut them before the next one. */
  private dirtyTail = false;
  /** After a failed compaction, wait for this much more growth before trying again. */
  private compactAfterSize = 0;

  private constructor(
    private fh: FileHandle,
    private readonly file: string,
  ) {}

  static async open(file: string): Promise<Log> {
    const dir = path.dirname(file);
    await fsp.mkdir(dir, { recursive: true });
    // A temp file left by a crash during compaction never replaced the log: drop it.
    await fsp.rm(`${file}.tmp`, { force: true }).catch(ignore);
    const fh = await fsp.open(file, fsp.constants.O_RDWR | fsp.constants.O_CREAT);
    const log = new Log(fh, file);
    try {
      await syncDir(dir);
      await log.replay(await readAll(fh));
    } catch (error) {
      await fh.close().catch(ignore);
      throw error;
    }
    return log;
  }

  private async replay(bytes: Buffer): Promise<void> {
    let pos = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, pos);
      if (nl < 0) break;
      const ops = parseLine(bytes.subarray(pos, nl));
      if (ops) {
        for (const { op, size } of ops) this.apply(op, size);
      } else {
        this.corrupt++;
      }
      pos = nl + 1;
    }
    this.size = pos;
    if (pos < bytes.length) {
      // A torn tail: the last write never finished, so it was never acknowledged. Cut it,
      // so the next line starts clean.
      this.corrupt++;
      await this.fh.truncate(pos);
      await this.fh.datasync();
    }
    await this.maybeCompact();
  }

  private apply(op: StorageOp, size: number): void {
    this.live.track(op, size);
    this.state.apply(op);
  }

  /** Sees every write issued before it: waits until the pending ones are committed. */
  async read(): Promise<StorageContents> {
    await this.flushing;
    return this.state.snapshot(this.corrupt);
  }

  write(ops: readonly StorageOp[]): Promise<void> {
    let line: Buffer | null = null;
    const sizes: number[] = [];
    if (ops.length > 0) {
      const parts = ops.map((op) => {
        const part = opText(op);
        sizes.push(liveSizeOf(op, () => part));
        return part;
      });
      line = frame(`[${parts.join(',')}]`);
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, sizes, line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Commits pending writes one group at a time: writes issued while a commit is in flight
   * share the next append and fsync (each keeps its own line, so each stays atomic).
   */
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.commit(batch);
        for (const w of batch) w.ops.forEach((op, i) => this.apply(op, w.sizes[i] as number));
        for (const w of batch) w.resolve();
      } catch (error) {
        // Cut whatever part of the failed append reached the file, so a crash now cannot
        // resurrect a write that was reported as failed.
        this.dirtyTail = true;
        await this.cutTail();
        for (const w of batch) w.reject(error);
        continue;
      }
      await this.maybeCompact();
    }
    this.flushing = null;
  }

  private async commit(batch: readonly PendingWrite[]): Promise<void> {
    const lines = batch.flatMap((w) => (w.line ? [w.line] : []));
    if (lines.length === 0) return;
    if (this.dirtyTail && !(await this.cutTail())) throw new Error('file storage: cannot repair the log after a failed write');
    const bytes = lines.length === 1 ? (lines[0] as Buffer) : Buffer.concat(lines);
    await writeAt(this.fh, bytes, this.size);
    await this.fh.datasync();
    this.size += bytes.length;
  }

  private async cutTail(): Promise<boolean> {
    try {
      await this.fh.truncate(this.size);
      this.dirtyTail = false;
      return true;
    } catch {
      return false;
    }
  }

  private async maybeCompact(): Promise<void> {
    const dead = this.size - this.live.total;
    if (dead <= COMPACT_MIN_DEAD_BYTES || dead <= 2 * this.live.total || this.size < this.compactAfterSize) return;
    try {
      await this.compact();
    } catch {
      // The log is still whole; only its size suffers. Retry after it has grown again.
      this.compactAfterSize = this.size + COMPACT_MIN_DEAD_BYTES;
    }
  }

  private async compact(): Promise<void> {
    const lines: Buffer[] = [];
    let parts: string[] = [];
    let bytes = 0;
    const push = (part: string): void => {
      parts.push(part);
      bytes += part.length;
      if (bytes >= COMPACT_LINE_BYTES) flushLine();
    };
    const flushLine = (): void => {
      if (parts.length > 0) lines.push(frame(`[${parts.join(',')}]`));
      parts = [];
      bytes = 0;
    };
    const { kv, queues } = this.state.snapshot();
    for (const [key, value] of Object.entries(kv)) push(JSON.stringify(encodeOp({ op: 'set', key, value })));
    for (const queue of ['requests', 'events'] as const) {
      for (const { seq, data } of queues[queue]) push(JSON.stringify(encodeOp({ op: 'append', queue, seq, data })));
    }
    flushLine();

    const tmp = `${this.file}.tmp`;
    const next = await fsp.open(tmp, 'w+');
    let size = 0;
    try {
      for (const line of lines) {
        await writeAt(next, line, size);
        size += line.length;
      }
      await next.sync();
      await fsp.rename(tmp, this.file);
    } catch (error) {
      await next.close().catch(ignore);
      await fsp.rm(tmp, { force: true }).catch(ignore);
      throw error;
    }
    await syncDir(path.dirname(this.file));
    const old = this.fh;
    this.fh = next;
    this.size = size;
    this.dirtyTail = false;
    await old.close().catch(ignore);
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.fh.close();
  }
}

// ---------------------------------------------------------------------------------------
// The adapter: handles on the same file in this process share one Log.
// ---------------------------------------------------------------------------------------

interface OpenLog {
  readonly log: Promise<Log>;
  refs: number;
}

const openLogs = new Map<string, OpenLog>();
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

async function acquire(file: string): Promise<{ log: Log; release: () => Promise<void> }> {
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

/**
 * Durable storage in `dir` (created if missing), one append-only log file per namespace.
 * Node only. A write resolves after its bytes are fsynced.
 */
export function fileStorage(dir: string): StorageAdapter {
  return {
    kind: 'file',
    ...(typeof dir === 'string' && dir.length > 0 ? { id: `file:${path.resolve(dir)}` } : {}),
    async open(namespace) {
      if (typeof dir !== 'string' || dir.length === 0) throw new Error('file storage: a directory path is required');
      const file = path.resolve(dir, logFileName(namespace));
      const { log, release } = await acquire(file);
      let closed = false;
      const handle: StorageHandle = {
        read: () => (closed ? Promise.reject(storageClosedError('file', namespace)) : log.read()),
        write(ops) {
          if (closed) return Promise.reject(storageClosedError('file', namespace));
          const invalid = validateOps(ops);
          return invalid ? Promise.reject(invalid) : log.write(ops);
        },
        async close() {
          if (closed) return;
          closed = true;
          await release();
        },
      };
      return handle;
    },
  };
}
