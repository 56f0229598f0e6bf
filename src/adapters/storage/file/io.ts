/**
 * The file-system steps the file log is built from, each with its durability rule: positioned
 * writes that finish or throw, whole-file reads, directory fsync, and the atomic replacement
 * of a log (temp file, fsync, rename, directory fsync) that creation and compaction share.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export type FileHandle = fsp.FileHandle;

export const ignore = (): void => undefined;

/** The temp file a log is rewritten through; a leftover one never replaced the log. */
export const tempFileOf = (file: string): string => `${file}.tmp`;

export async function writeAt(fh: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('file storage: write made no progress');
    done += bytesWritten;
  }
}

export async function readAll(fh: FileHandle): Promise<Buffer> {
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
export async function syncDir(dir: string): Promise<void> {
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

/** Opens an existing file for reading and writing; undefined when there is none. */
export async function openIfExists(file: string): Promise<FileHandle | undefined> {
  try {
    return await fsp.open(file, fsp.constants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Replaces (or creates) `file` with exactly `lines`, atomically: they go to the temp file,
 * which is fsynced and renamed over `file`, and then the directory is fsynced. A crash leaves
 * the old file or the new one, never a mix. Returns the handle of the new file, open for
 * appending at `size`.
 */
export async function replaceFile(file: string, lines: readonly Buffer[]): Promise<{ fh: FileHandle; size: number }> {
  const tmp = tempFileOf(file);
  const fh = await fsp.open(tmp, 'w+');
  let size = 0;
  try {
    for (const line of lines) {
      await writeAt(fh, line, size);
      size += line.length;
    }
    await fh.sync();
    await fsp.rename(tmp, file);
  } catch (error) {
    await fh.close().catch(ignore);
    await fsp.rm(tmp, { force: true }).catch(ignore);
    throw error;
  }
  await syncDir(path.dirname(file));
  return { fh, size };
}

/**
 * Whether the file behind `fh` no longer has a name: deleted, or replaced by a rename over it
 * (its directory removed counts too). Bytes written to it then reach no file anyone will open.
 * A synchronous fstat of an open descriptor reads cached inode data: a few microseconds, where
 * the async form costs a thread-pool round trip (tens of microseconds) on top of each write.
 * On systems without a link count (some Windows file systems) this reports false.
 */
export function isUnlinked(fh: FileHandle): boolean {
  try {
    return fs.fstatSync(fh.fd).nlink === 0;
  } catch {
    return false;
  }
}
