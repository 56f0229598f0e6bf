import { describe, expect, it } from 'vitest';
import { createEventIdSource } from '../../src/domain/ids.js';

describe('createEventIdSource', () => {
  it('makes 8 base64url random characters followed by the ms timestamp', () => {
    const id = createEventIdSource(() => 1767225600123)();
    expect(id).toMatch(/^[A-Za-z0-9_-]{8}1767225600123$/);
  });

  it('never repeats across pool refills, even in the same millisecond', () => {
    const next = createEventIdSource(() => 5);
    const ids = new Set(Array.from({ length: 5000 }, () => next()));
    expect(ids.size).toBe(5000);
  });

  it('spreads the random part over the whole alphabet', () => {
    const next = createEventIdSource(() => 0);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) for (const ch of next().slice(0, 8)) seen.add(ch);
    expect(seen.size).toBe(64);
  });
});
