import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { sha256Hex } from '../../src/protocol/checksum.js';

const nodeSha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('sha256Hex', () => {
  it('matches the known digests', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('matches node:crypto for any unicode text, lowercase hex', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), async (text) => {
        const hex = await sha256Hex(text);
        expect(hex).toMatch(/^[0-9a-f]{64}$/);
        expect(hex).toBe(nodeSha256(text));
      }),
    );
  });

  it('hashes lone surrogates as U+FFFD, like node:crypto', async () => {
    expect(await sha256Hex('a\uD800')).toBe(nodeSha256('a\uFFFD'));
  });

  it('looks Web Crypto up at call time and rejects when it is missing', async () => {
    vi.stubGlobal('crypto', undefined);
    await expect(sha256Hex('x')).rejects.toThrow(/crypto\.subtle/);
    vi.unstubAllGlobals();
    expect(await sha256Hex('x')).toBe(nodeSha256('x'));
  });
});
