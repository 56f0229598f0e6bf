/**
 * Importing chartly must touch no browser or Node global (issue: "Importable anywhere").
 * The entry is bundled with its dependencies and evaluated in an empty V8 context: no
 * `window`, `document`, `navigator`, `process`, timers or console exist there, so any
 * top-level access throws a ReferenceError and fails the test.
 */
import { build } from 'esbuild';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'cjs',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describe('import safety', () => {
  it('evaluates the platform-neutral entry in an empty context', async () => {
    const code = await bundle('src/index.ts');
    const module = { exports: {} as Record<string, unknown> };
    const context = vm.createContext({ module, exports: module.exports });
    vm.runInContext(code, context, { filename: 'chartly.cjs' });
    const api = module.exports;
    for (const name of ['createCountly', 'init', 'instance', 'memoryStorage', 'indexedDbStorage', 'localStorageAdapter', 'fetchTransport', 'simulatedClock']) {
      expect(typeof api[name], name).toBe('function');
    }
    expect(Array.isArray(api.ConsentFeatures)).toBe(true);
  });
});
