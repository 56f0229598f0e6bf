/**
 * The file log's record codec and line framing on their own: every op a valid group can hold
 * survives encode → frame → unframe → decode, queue codes name exactly one queue each, and a
 * damaged line is rejected rather than misread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGroup, groupText, opText, queueCode, queueOf } from '../../src/adapters/storage/file/codec.js';
import { frame, splitLines, unframe } from '../../src/adapters/storage/file/framing.js';
import type { StorageOp } from '../../src/adapters/types.js';
import { anyString } from './storage-model.js';

const queueName = fc.oneof(
  fc.constantFrom('requests', 'events', 'r', 'e', 'a', 'crashes', 'requestsX'),
  fc.stringMatching(/^[a-z][a-zA-Z0-9_-]{0,63}$/),
);
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const data = fc.oneof(anyString, fc.jsonValue().map((v) => JSON.stringify(v)));
const op: fc.Arbitrary<StorageOp> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: anyString, value: anyString }),
  fc.record({ op: fc.constant('delete' as const), key: anyString }),
  fc.record({ op: fc.constant('append' as const), queue: queueName, seq, data }),
  fc.jsonValue().chain((v) => fc.record({ op: fc.constant('append' as const), queue: queueName, seq, data: fc.constant(JSON.stringify(v)), json: fc.constant(true as const) })),
  fc.record({ op: fc.constant('update' as const), queue: queueName, seq, data }),
  fc.record({ op: fc.constant('remove' as const), queue: queueName, seqs: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 12 }) }),
  fc.record({ op: fc.constant('clear' as const), queue: queueName }),
);

/** What decoding gives back: a remove's seqs sorted and unique, the `json` hint dropped. */
function normal(o: StorageOp): StorageOp {
  if (o.op === 'remove') return { ...o, seqs: [...new Set(o.seqs)].sort((a, b) => a - b) };
  if (o.op === 'append') return { op: 'append', queue: o.queue, seq: o.seq, data: o.data };
  return o;
}

describe('file log codec', () => {
  it('property: a group reads back as written, through framing', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 6 }), (ops) => {
        const line = frame(groupText(ops.map(opText)));
        const { lines, end } = splitLines(line);
        expect(end).toBe(line.length);
        const payload = unframe(lines[0] as Buffer);
        expect(payload).toBeDefined();
        expect(decodeGroup(payload as string)?.map((d) => d.op)).toEqual(ops.map(normal));
      }),
      { numRuns: 300 },
    );
  });

  it('property: each queue has exactly one code, and no two queues share one', () => {
    fc.assert(
      fc.property(queueName, queueName, (a, b) => {
        expect(queueOf(queueCode(a))).toBe(a);
        if (a !== b) expect(queueCode(a)).not.toBe(queueCode(b));
      }),
      { numRuns: 500 },
    );
    expect([queueCode('requests'), queueCode('events'), queueCode('r'), queueCode('e')]).toEqual(['r', 'e', ':r', ':e']);
    for (const code of ['requests', 'events', ':ab', ':', '', 'A', 'a/b', 7]) expect(queueOf(code)).toBeUndefined();
  });

  it('property: a line with any one bit flipped is rejected', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (ops, at, bit) => {
        const line = frame(groupText(ops.map(opText))).subarray(0, -1);
        const i = at % line.length;
        line[i] = (line[i] as number) ^ (1 << bit);
        const payload = unframe(line);
        // A flip inside the header can only make it invalid hex or a different checksum.
        expect(payload).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
