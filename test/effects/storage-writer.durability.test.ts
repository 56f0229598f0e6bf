/** `StorageWriter.whenDurable`: the durability report the transport effect waits on before sending a head. */
import { describe, expect, it } from 'vitest';
import type { StorageHandle, StorageOp } from '../../src/adapters/types.js';
import { StorageWriter } from '../../src/effects/storage-writer.js';
import { createLogger } from '../../src/log.js';

/** A handle whose writes land only when the test says so. */
function gated() {
  const writes: Array<{ ops: readonly StorageOp[]; land: () => void; fail: () => void }> = [];
  const handle: StorageHandle = {
    read: () => Promise.reject(new Error('unused')),
    write: (ops) => new Promise<void>((resolve, reject) => writes.push({ ops, land: resolve, fail: () => reject(new Error('disk full')) })),
    close: () => Promise.resolve(),
  };
  return { handle, writes };
}
const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const append = (seq: number): StorageOp => ({ op: 'append', queue: 'requests', seq, data: `r${seq}` });

describe('StorageWriter.whenDurable', () => {
  it('resolves true only once the group holding the push landed, not when it was handed over', async () => {
    const { handle, writes } = gated();
    const writer = new StorageWriter(createLogger({ console: false }));
    writer.attach(handle);
    const t1 = writer.push([append(1)]);
    let durable: boolean | null = null;
    void writer.whenDurable(t1).then((d) => (durable = d));
    await tick();
    expect(writes).toHaveLength(1);
    const t2 = writer.push([append(2)]); // grouped into the next write
    let second: boolean | null = null;
    void writer.whenDurable(t2).then((d) => (second = d));
    await tick();
    expect(durable).toBeNull();
    writes[0]!.land();
    await tick();
    expect(durable).toBe(true);
    expect(second).toBeNull(); // its group is in flight now
    writes[1]!.land();
    await tick();
    expect(second).toBe(true);
    expect(await writer.whenDurable(t1)).toBe(true); // already durable: at once
  });

  it('resolves false when the write is refused; asking again retries it', async () => {
    const { handle, writes } = gated();
    const writer = new StorageWriter(createLogger({ console: false }));
    writer.attach(handle);
    const t = writer.push([append(1)]);
    const first = writer.whenDurable(t);
    await tick();
    writes[0]!.fail();
    expect(await first).toBe(false);
    const again = writer.whenDurable(t);
    await tick();
    expect(writes).toHaveLength(2);
    expect(writes[1]!.ops).toEqual([append(1)]);
    writes[1]!.land();
    expect(await again).toBe(true);
  });
});
