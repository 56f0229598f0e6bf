/**
 * Features are separable (issue 11 item 8):
 * - an app bundling `createCountlyWith` with some features gets no byte of the others,
 *   bundled from the sources with esbuild as an app's bundler would (`sideEffects: false`):
 *   fails when the runtime or a core feature starts importing another feature;
 * - every top-level machine, definition or table is marked pure: inside the one chunk tsup
 *   ships (`dist/`), module-level tree shaking cannot help, only the annotations can
 *   (docs/bundle-size.md); the size check in CI measures the result from `dist/`.
 */
import { build, type Metafile } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Files of a feature folder other features use as plain rules, not the feature: the widget
 * URL parser the browser UI needs (227 B), and the location params the first begin_session
 * carries, which the session reads at boot (about 800 B).
 */
const SHARED = ['src/features/feedback/webview.ts', 'src/features/location/machine.ts'];
const OPTIONAL = ['apm', 'attribution', 'consent', 'content', 'crashes', 'events', 'feedback', 'health-check', 'heatmaps', 'location', 'metrics', 'push', 'remote-config', 'session', 'user', 'views'];

/** The feature folders (and other src folders) that put bytes in the bundle of `code`. */
async function present(code: string): Promise<Set<string>> {
  const result = await build({
    stdin: { contents: code, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values((result.metafile as Metafile).outputs)[0];
  const folders = new Set<string>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    if (input.bytesInOutput === 0 || SHARED.some((shared) => path.endsWith(shared))) continue;
    const feature = /src\/features\/([^/]+)\//.exec(path);
    if (feature) folders.add(feature[1] as string);
    if (path.includes('src/backend/')) folders.add('backend');
  }
  return folders;
}

describe('separable features', () => {
  it('the core alone carries no optional feature and no backend', async () => {
    const folders = await present(`import { createCountlyWith } from './src/browser.ts'; globalThis.c = createCountlyWith({ url: 'https://x', appKey: 'k' }, { features: [] });`);
    for (const name of [...OPTIONAL, 'backend']) expect(folders.has(name), `${name} is in a core-only bundle`).toBe(false);
    for (const core of ['device-id', 'settings', 'lifecycle', 'backoff', 'processor']) expect(folders.has(core), `${core} is missing`).toBe(true);
  }, 30_000);

  it('events, sessions, views and consent carry only themselves besides the core', async () => {
    const folders = await present(
      `import { createCountlyWith, eventsFeature, sessionFeature, viewsFeature, consentFeature } from './src/browser.ts'; globalThis.c = createCountlyWith({ url: 'https://x', appKey: 'k' }, { features: [eventsFeature, sessionFeature, viewsFeature, consentFeature] });`,
    );
    const extra = OPTIONAL.filter((name) => folders.has(name) && !['events', 'session', 'views', 'consent'].includes(name));
    expect(extra).toEqual([]);
    for (const name of ['events', 'session', 'views', 'consent']) expect(folders.has(name)).toBe(true);
  }, 30_000);
});

/** Top-level declarations whose value is a call a bundler cannot prove free of side effects. */
const IMPURE_AT_LOAD = /^(?:export )?(?:const|let) [A-Za-z_$][\w$]*(?:: [^=]+)? = (?:new )?(?:setup|Object\.freeze|defineFeature|Set|Map|WeakSet|WeakMap|Symbol|Object\.keys|Object\.fromEntries|exhaustive)(?:<[^>]*>)?\(/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'server' ? [] : sources(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('pure at load', () => {
  it('every top-level machine (a pure arrow called at once), feature definition and frozen table is /* @__PURE__ */', () => {
    const unmarked: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (IMPURE_AT_LOAD.test(line)) unmarked.push(`${file.slice(ROOT.length)}:${i + 1}`);
          // A pure call still keeps its arguments' calls (`assign(...)`, `emit(...)` in a
          // machine's actions): a machine is a pure arrow called at once, with no arguments.
          if (/= \/\* @__PURE__ \*\/ setup\(/.test(line)) unmarked.push(`${file.slice(ROOT.length)}:${i + 1} (wrap the machine in /* @__PURE__ */ (() => setup(...).createMachine(...))())`);
        });
    }
    expect(unmarked).toEqual([]);
  });
});
