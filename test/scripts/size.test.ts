import { describe, expect, it } from 'vitest';
import { budgetFrom, charsPerSource, compareWithBudget, groupOf } from '../../scripts/size.js';

const budget = { 'browser-all': { gzip: 100_000 }, 'app-core': { gzip: 50_000 } };

describe('compareWithBudget', () => {
  it('passes a size within the tolerance (exactly 1 % over with tolerance 0.01)', () => {
    expect(compareWithBudget([{ name: 'browser-all', gzip: 101_000 }, { name: 'app-core', gzip: 50_000 }], budget, 0.01)).toEqual([]);
  });

  it('fails a size over the tolerance, naming the entry and the delta', () => {
    const violations = compareWithBudget([{ name: 'browser-all', gzip: 101_001 }, { name: 'app-core', gzip: 49_000 }], budget, 0.01);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ name: 'browser-all', gzip: 101_001, budget: 100_000 });
    expect(violations[0]?.message).toContain('browser-all');
    expect(violations[0]?.message).toContain('1001 B');
  });

  it('fails an entry that has no budget, with a message saying how to add one', () => {
    const violations = compareWithBudget([{ name: 'create-only', gzip: 10 }], budget, 0.01);
    expect(violations).toEqual([expect.objectContaining({ name: 'create-only', budget: undefined })]);
    expect(violations[0]?.message).toMatch(/no budget.*--update/);
  });

  it('passes a new smaller size', () => {
    expect(compareWithBudget([{ name: 'app-core', gzip: 20_000 }], budget, 0)).toEqual([]);
  });

  it('tolerance 0 fails a single byte over', () => {
    expect(compareWithBudget([{ name: 'app-core', gzip: 50_001 }], budget, 0)).toHaveLength(1);
  });
});

describe('helpers', () => {
  it('budgetFrom rounds up to the next 100 B', () => {
    expect(budgetFrom([{ name: 'a', gzip: 101 }, { name: 'b', gzip: 200 }])).toEqual({ a: { gzip: 200 }, b: { gzip: 200 } });
  });

  it('groupOf groups packages, feature folders and src folders', () => {
    expect(groupOf('node_modules/xstate/dist/raise.esm.js')).toBe('node_modules/xstate');
    expect(groupOf('node_modules/@scope/pkg/index.js')).toBe('node_modules/@scope/pkg');
    expect(groupOf('src/features/views/machine.ts')).toBe('src/features/views');
    expect(groupOf('src/backend/api.ts')).toBe('src/backend');
    expect(groupOf('src/sdk.ts')).toBe('src/sdk.ts');
  });

  it('charsPerSource splits a line between the sources of its segments', () => {
    // Line 0: col 0 → source 0, col 4 → source 1 (fields: column, source, line, column; A = 0, I = +4, C = +1); length 10.
    expect([...charsPerSource('AAAA,ICAA', [10])]).toEqual([[0, 4], [1, 6]]);
  });
});
