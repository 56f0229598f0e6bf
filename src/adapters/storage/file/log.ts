/**
 * The append-only log of one namespace: replay at open, group commit of writes, compaction,
 * and repair when the file is found damaged (corrupt lines at open) or gone (deleted or
 * replaced while open).
 *
 * Each write appends one framed line and fsyncs before it resolves. The log is rewritten
 * from the live state (temp file, fsync, rename) when its dead bytes exceed both 1 MiB and
 * twice the live bytes, so the bytes written per op stay constant on average; when replay
 * skipped corrupt lines, so the next boot reads clean; and when the file lost its name, so what
 * was acknowledged lives in a file someone will open again.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { StorageContents, StorageOp } from '../../types.js';
import { decodeGroup, groupText, liveSizeOf, opText } from './codec.js';
import { frame, splitLines, unframe } from './framing.js';
import { type FileHandle, ignore, isUnlinked, openIfExists, readAll, replaceFile, tempFileOf, writeAt } from './io.js';
import { LiveState } from './live-state.js';

const COMPACT_MIN_DEAD_BYTES = 1 << 20;
/**
 * Compact once the dead bytes exceed this many times the live bytes: a compaction rewrites the
 * live state, so it adds at most 1/ratio byte per appended byte, and the file holds at most
 * ratio + 1 times the live bytes. 4: a quarter byte, for a log at most 5× its live size.
 */
const COMPACT_DEAD_RATIO = 4;
/** Compacted logs are written in lines of about this size, so no single line gets huge. */
const COMPACT_LINE_BYTES = 64 * 1024;

interface PendingWrite {
  readonly ops: readonly StorageOp[];
  readonly sizes: readonly number[];
  readonly line: Buffer | null;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The lines of a log holding exactly `live`: at least one, so a log is never an empty file. */
function compactedLines(live: LiveState): Buffer[] {
  const lines: Buffer[] = [];
  let parts: string[] = [];
  let bytes = 0;
  for (const op of live.ops()) {
    const part = opText(op);
    parts.push(part);
    bytes += part.length;
    if (bytes >= COMPACT_LINE_BYTES) {
      lines.push(frame(groupText(parts)));
      parts = [];
      bytes = 0;
    }
  }
  if (parts.length > 0 || lines.length === 0) lines.push(frame(groupText(parts)));
  return lines;
}

export class Log {
  private readonly live = new LiveState();
  private corrupt = 0;
  private readonly problems: string[] = [];
  private readonly listeners = new Set<(message: string) => void>();
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
    await fsp.mkdir(path.dirname(file), { recursive: true });
    // A temp file left by a crash during a rewrite never replaced the log: drop it.
    await fsp.rm(tempFileOf(file), { force: true }).catch(ignore);
    let fh = await openIfExists(file);
    // A first run creates the log holding one empty group, atomically, so a log file that
    // exists but holds nothing always means that data was lost, never a fresh install.
    const created = fh === undefined;
    fh ??= (await replaceFile(file, compactedLines(new LiveState()))).fh;
    const log = new Log(fh, file);
    try {
      await log.replay(created);
    } catch (error) {
      await log.fh.close().catch(ignore);
      throw error;
    }
    return log;
  }

  private async replay(created: boolean): Promise<void> {
    const bytes = await readAll(this.fh);
    const { lines, end } = splitLines(bytes);
    let records = 0;
    for (const line of lines) {
      const payload = unframe(line);
      const ops = payload === undefined ? undefined : decodeGroup(payload);
      if (ops) {
        records++;
        for (const { op, size } of ops) this.live.apply(op, size);
      } else {
        this.corrupt++;
      }
    }
    const skippedLines = this.corrupt;
    this.size = end;
    if (end < bytes.length) {
      // A torn tail: the last write never finished, so it was never acknowledged. Cut it,
      // so the next line starts clean even if the rewrite below fails.
      this.corrupt++;
      await this.fh.truncate(end);
      await this.fh.datasync();
    }
    if (records === 0 && !created) {
      this.problems.push(
        bytes.length === 0
          ? `store file ${this.file} exists but is empty; starting fresh`
          : `store file ${this.file} exists but holds no readable record (${this.corrupt} skipped); starting fresh`,
      );
    }
    if (skippedLines > 0 || records === 0) {
      // Skipped lines would be skipped (and reported) again at every boot: rewrite the log
      // without them (a torn tail is already cut). `corrupt` keeps the count, so this boot
      // still reports it. If the rewrite fails the log is still whole, and the next boot
      // reports and tries again.
      await this.rewrite().catch(ignore);
    } else {
      await this.maybeCompact();
    }
  }

  /** Registers a listener for problems found while open; returns its removal. */
  onProblem(listener: (message: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Sees every write issued before it: waits until the pending ones are committed. */
  async read(): Promise<StorageContents> {
    await this.flushing;
    return this.live.snapshot(this.corrupt, this.problems);
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
      line = frame(groupText(parts));
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
        for (const w of batch) w.ops.forEach((op, i) => this.live.apply(op, w.sizes[i] as number));
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
    // Checked after the fsync, so that a write is acknowledged only once it is in a file with
    // a name: the next boot would never see bytes appended to a deleted file.
    if (isUnlinked(this.fh)) return this.recreate(lines);
    this.size += bytes.length;
  }

  /**
   * The log file was deleted or replaced while open (e.g. its directory was cleaned up).
   * Writes the live state plus the group being committed to a new file at the same path.
   */
  private async recreate(group: readonly Buffer[]): Promise<void> {
    try {
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      await this.rewrite(group);
    } catch (error) {
      throw new Error(`file storage: the store file ${this.file} was deleted while in use and could not be recreated (${String(error)})`);
    }
    this.report(`store file ${this.file} was deleted or replaced while in use; recreated it with everything stored so far`);
  }

  private report(message: string): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        // A listener must not throw; if it does, the others still hear about it.
      }
    }
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
    const dead = this.size - this.live.liveBytes;
    if (dead <= COMPACT_MIN_DEAD_BYTES || dead <= COMPACT_DEAD_RATIO * this.live.liveBytes || this.size < this.compactAfterSize) return;
    try {
      await this.rewrite();
    } catch {
      // The log is still whole; only its size suffers. Retry after it has grown again.
      this.compactAfterSize = this.size + COMPACT_MIN_DEAD_BYTES;
    }
  }

  /** Replaces the log with the live state, followed by `extra` lines (a group not yet applied). */
  private async rewrite(extra: readonly Buffer[] = []): Promise<void> {
    const { fh, size } = await replaceFile(this.file, [...compactedLines(this.live), ...extra]);
    const old = this.fh;
    this.fh = fh;
    this.size = size;
    this.dirtyTail = false;
    await old.close().catch(ignore);
  }

  async close(): Promise<void> {
    await this.flushing;
    // One last look, so a log deleted after its last write is not lost at a clean shutdown.
    if (isUnlinked(this.fh)) await this.recreate([]).catch(ignore);
    await this.fh.close();
  }
}
