/**
 * `chartly/segment` carries no Segment code and no chartly runtime: bundled on its own (as tsup
 * does for dist/segment.js) it imports nothing, and it evaluates in an empty V8 context (no
 * window, document, process or timers), so it is safe to import anywhere.
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

describe('chartly/segment bundle', () => {
  it('has no imports, no Segment code, and evaluates in an empty context', async () => {
    const result = await build({
      entryPoints: ['src/integrations/segment/index.ts'],
      bundle: true,
      format: 'cjs',
      platform: 'neutral',
      // Marked external like tsup.config.ts does: an import would then survive as a require().
      external: ['@segment/analytics-next', '@segment/analytics-node', 'xstate', 'rxjs'],
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(|@segment\//);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((file) => file.startsWith('src/integrations/segment/'))).toBe(true);

    const module = { exports: {} as Record<string, unknown> };
    vm.runInContext(code, vm.createContext({ module, exports: module.exports }), { filename: 'segment.cjs' });
    expect(typeof module.exports.countlyDestination).toBe('function');
  });
});
