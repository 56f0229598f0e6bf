import { describe, expect, it } from 'vitest';
import type { StorageHandle, StorageOp } from '../../src/adapters/types.js';
import { StorageWriter } from '../../src/effects/storage-writer.js';
import { createLogger } from '../../src/log.js';

function recordingHandle(options: { fail?: boolean } = {}) {
  const writes: StorageOp[][] = [];
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const handle: StorageHandle = {
    read: async () => ({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 }),
    write: async (ops) => {
      writes.push([...ops]);
      if (gate) await gate;
      if (options.fail) throw new Error('disk full');
    },
    close: async () => undefined,
  };
  return {
    handle,
    writes,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release() {
      gate = null;
      release?.();
    },
  };
}

const set = (key: string): StorageOp => ({ op: 'set', key, value: '1' });

describe('StorageWriter', () => {
  it('groups one synchronous burst into one write', async () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.attach(h.handle);
    w.push([set('a')]);
    w.push([set('b')]);
    w.push([]);
    await w.drain();
    expect(h.writes).toEqual([[set('a'), set('b')]]);
    expect(w.opsWritten).toBe(2);
  });

  it('groups what arrives during a write into the next write, in order', async () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.attach(h.handle);
    h.hold();
    w.push([set('a')]);
    await Promise.resolve();
    await Promise.resolve();
    w.push([set('b')]);
    w.push([set('c')]);
    h.release();
    await w.drain();
    expect(h.writes).toEqual([[set('a')], [set('b'), set('c')]]);
  });

  it('keeps operations pushed before the storage is attached', async () => {
    const h = recordingHandle();
    const w = new StorageWriter(createLogger({ console: false }));
    w.push([set('early')]);
    w.attach(h.handle);
    await w.drain();
    expect(h.writes).toEqual([[set('early')]]);
  });

  it('logs a failed write and goes on', async () => {
    const h = recordingHandle({ fail: true });
    const lines: string[] = [];
    const w = new StorageWriter(createLogger({ console: false, listener: (m) => lines.push(m) }));
    w.attach(h.handle);
    w.push([set('a')]);
    await w.drain();
    w.push([set('b')]);
    await w.drain();
    expect(h.writes).toHaveLength(2);
    expect(lines.filter((l) => l.includes('[Storage] write, failed to persist'))).toHaveLength(2);
  });

  it('drain resolves at once when idle', async () => {
    const w = new StorageWriter(createLogger({ console: false }));
    await expect(w.drain()).resolves.toBeUndefined();
  });
});
