/**
 * Bundle-size check (issue 11 item 8). Bundles small consumer apps that import the BUILT
 * package (`dist/browser.js`, what `chartly/browser` resolves to) with esbuild — minified,
 * ESM, browser, tree-shaken — and measures minified and gzip (level 9) bytes. CI runs it after
 * `npm run build` and fails when an entry's gzip size exceeds `scripts/size-budget.json` by
 * more than the tolerance. See docs/bundle-size.md.
 *
 *   npm run size                      table, top contributors, budget check (exit 1 on regression)
 *   npm run size -- --update          rewrite the budget with the current sizes (rounded up to 100 B)
 *   npm run size -- --tolerance 0.02  allowed growth over the budget (default 0.01 = 1 %)
 *   npm run size -- --files <entry>   top single files (not groups) of one entry, e.g. rxjs operators
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUDGET_FILE = join(ROOT, 'scripts', 'size-budget.json');

export interface Entry {
  readonly name: string;
  readonly description: string;
  /** The consumer app's source; imports `./dist/browser.js` relative to the project root. */
  readonly code: string;
}

/** The consumer apps measured. One table, so switching `app-core` to a modular factory is one line. */
export const ENTRIES: readonly Entry[] = [
  { name: 'browser-all', description: 'everything chartly/browser exports', code: "export * from './dist/browser.js';" },
  { name: 'create-only', description: 'only createCountly referenced', code: "import { createCountly } from './dist/browser.js'; globalThis.c = createCountly;" },
  {
    name: 'app-core',
    description: 'an app using only events, sessions, views and consent (createCountlyWith)',
    code: "import { createCountlyWith, eventsFeature, sessionFeature, viewsFeature, consentFeature } from './dist/browser.js'; const c = createCountlyWith({url:'https://x', appKey:'k'}, { features: [eventsFeature, sessionFeature, viewsFeature, consentFeature] }); c.events.record('a'); c.sessions.begin(); c.views.start('v'); c.consent.give('events');",
  },
  {
    name: 'core-only',
    description: 'createCountlyWith with no optional feature (device ID, settings, lifecycle, backoff, the request processor)',
    code: "import { createCountlyWith } from './dist/browser.js'; const c = createCountlyWith({url:'https://x', appKey:'k'}, { features: [] }); c.queue.flush();",
  },
];

/** The issue's targets (gzip bytes): printed, not enforced — today's sizes are far above them. */
export const TARGETS: Readonly<Record<string, number>> = { 'browser-all': 40_000, 'app-core': 25_000 };

export interface InputShare {
  /** A package (`node_modules/xstate`), a feature folder (`src/features/views`) or a source folder/file. */
  readonly path: string;
  readonly bytes: number;
}

export interface SizeReport {
  readonly name: string;
  readonly description: string;
  readonly minified: number;
  readonly gzip: number;
  /** Contributors, largest first (minified bytes in the output). */
  readonly inputs: InputShare[];
  /** The same per single source file (for `--files`). */
  readonly files: InputShare[];
  /** tslib's minified bytes in the output and the inputs importing it (a failure if any is ours). */
  readonly tslib: { readonly bytes: number; readonly importers: string[] };
}

export type Budget = Readonly<Record<string, { readonly gzip: number }>>;

export interface Violation {
  readonly name: string;
  readonly gzip: number;
  readonly budget: number | undefined;
  readonly message: string;
}

/**
 * The entries whose gzip size is over budget by more than `tolerance` (a fraction), or that
 * have no budget at all. Smaller than budget is never a violation (`--update` to lock it in).
 */
export function compareWithBudget(reports: readonly Pick<SizeReport, 'name' | 'gzip'>[], budget: Budget, tolerance: number): Violation[] {
  const violations: Violation[] = [];
  for (const report of reports) {
    const limit = budget[report.name]?.gzip;
    if (typeof limit !== 'number' || !Number.isFinite(limit)) {
      violations.push({ name: report.name, gzip: report.gzip, budget: undefined, message: `${report.name}: no budget in scripts/size-budget.json (gzip is ${report.gzip} B); run \`npm run size -- --update\`` });
      continue;
    }
    if (report.gzip > limit * (1 + tolerance)) {
      const delta = report.gzip - limit;
      const pct = ((delta / limit) * 100).toFixed(1);
      violations.push({ name: report.name, gzip: report.gzip, budget: limit, message: `${report.name}: gzip ${report.gzip} B is ${delta} B (+${pct} %) over its budget of ${limit} B (tolerance ${(tolerance * 100).toFixed(1)} %)` });
    }
  }
  return violations;
}

/** The budget for the given reports: gzip rounded up to the next 100 B. */
export function budgetFrom(reports: readonly Pick<SizeReport, 'name' | 'gzip'>[]): Record<string, { gzip: number }> {
  const budget: Record<string, { gzip: number }> = {};
  for (const report of reports) budget[report.name] = { gzip: Math.ceil(report.gzip / 100) * 100 };
  return budget;
}

/** Groups a root-relative path: a package in node_modules, a feature folder, a folder under src, or itself. */
export function groupOf(path: string): string {
  const p = path.split(sep).join('/');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = p.slice(nm + 'node_modules/'.length).split('/');
    const pkg = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
    return `node_modules/${pkg}`;
  }
  const parts = p.split('/');
  if (parts[0] === 'src' && parts[1] === 'features' && parts.length > 3) return parts.slice(0, 3).join('/');
  if (parts[0] === 'src' && parts.length > 2) return parts.slice(0, 2).join('/');
  return p;
}

/** The bundle's JS output in the metafile (the source map is an output too). */
function jsOutput(metafile: Metafile): Metafile['outputs'][string] | undefined {
  return Object.entries(metafile.outputs).find(([path]) => path.endsWith('.js'))?.[1];
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Output characters per original source, from the bundle's source map (esbuild chains the
 * maps of inputs that carry one, so the code of a tsup chunk in dist/ maps back to src/).
 * A segment spans from its column to the next segment's column (or the end of the line).
 */
export function charsPerSource(mappings: string, lineLengths: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  let source = 0;
  const lines = mappings.split(';');
  for (let line = 0; line < lines.length; line++) {
    const segments = (lines[line] ?? '').split(',').filter((s) => s.length > 0);
    let col = 0;
    const starts: Array<[number, number | undefined]> = [];
    for (const segment of segments) {
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1] ?? 0;
        starts.push([col, source]);
      } else starts.push([col, undefined]);
      // fields[2..4] (original line/column/name) are not needed for attribution.
    }
    const end = lineLengths[line] ?? 0;
    for (let i = 0; i < starts.length; i++) {
      const [start, src] = starts[i] as [number, number | undefined];
      const next = i + 1 < starts.length ? (starts[i + 1] as [number, number | undefined])[0] : end;
      if (src !== undefined && next > start) out.set(src, (out.get(src) ?? 0) + (next - start));
    }
  }
  return out;
}

function top(map: Map<string, number>): InputShare[] {
  return [...map].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
}

/**
 * Splits the metafile's `bytesInOutput` per input into original sources: an input from
 * dist/ (a tsup chunk) is split in proportion to the source-map attribution of the sources
 * its own map lists; every other input (xstate, rxjs, ... resolved from node_modules) counts as itself.
 */
function attribute(root: string, metafile: Metafile, map: { sources: string[]; mappings: string }, code: string, outDir: string): { files: InputShare[]; inputs: InputShare[] } {
  const perSource = charsPerSource(map.mappings, code.split('\n').map((l) => l.length));
  const bySource = new Map<string, number>();
  for (const [index, chars] of perSource) {
    const file = relative(root, resolve(outDir, map.sources[index] ?? '?')).split(sep).join('/');
    bySource.set(file, (bySource.get(file) ?? 0) + chars);
  }
  const output = jsOutput(metafile);
  const files = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (bytesInOutput === 0) continue;
    const mapFile = join(root, `${input}.map`);
    if (!input.startsWith('dist/') || !existsSync(mapFile)) {
      files.set(input, (files.get(input) ?? 0) + bytesInOutput);
      continue;
    }
    const own = (JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] }).sources.map((s) => relative(root, resolve(dirname(mapFile), s)).split(sep).join('/'));
    const shares = own.map((s) => [s, bySource.get(s) ?? 0] as const).filter(([, n]) => n > 0);
    const total = shares.reduce((sum, [, n]) => sum + n, 0);
    if (total === 0) files.set(input, (files.get(input) ?? 0) + bytesInOutput);
    for (const [s, n] of shares) files.set(s, (files.get(s) ?? 0) + Math.round((bytesInOutput * n) / total));
  }
  const groups = new Map<string, number>();
  for (const [file, bytes] of files) groups.set(groupOf(file), (groups.get(groupOf(file)) ?? 0) + bytes);
  return { files: top(files), inputs: top(groups) };
}

/**
 * tslib in the bundle: its bytes in the output, who imports it, and which importers are ours
 * (dist/ or src/). rxjs 7 imports tslib from its own builds (esm5, the `default` condition a
 * browser bundler picks, and a few files of esm) — that is a dependency's choice, reported but
 * not failed; our own build pulling tslib in is a failure.
 */
export function tslibIn(metafile: Metafile): { bytes: number; importers: string[]; ours: string[] } {
  const isTslib = (p: string): boolean => p.split(sep).join('/').includes('node_modules/tslib/');
  const output = jsOutput(metafile);
  let bytes = 0;
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) if (isTslib(input)) bytes += bytesInOutput;
  const importers = Object.entries(metafile.inputs).filter(([, v]) => v.imports.some((i) => isTslib(i.path))).map(([k]) => k).sort();
  const ours = importers.filter((p) => !p.split(sep).join('/').includes('node_modules/'));
  return { bytes, importers, ours };
}

/** Bundles one entry; `redirect` maps `./dist/browser.js` to `src/browser.ts` (for import chains). */
export async function bundle(entry: Entry, root: string, redirect = false): Promise<{ code: Uint8Array; text: string; map: string; metafile: Metafile }> {
  const toSource: Plugin = {
    name: 'dist-to-src',
    setup(b) {
      b.onResolve({ filter: /^\.\/dist\/browser\.js$/ }, () => ({ path: join(root, 'src', 'browser.ts') }));
    },
  };
  const result = await build({
    stdin: { contents: entry.code, resolveDir: root, sourcefile: `${entry.name}.entry.js`, loader: 'js' },
    absWorkingDir: root,
    outfile: join(root, '.size', `${entry.name}.js`),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    treeShaking: true,
    write: false,
    metafile: true,
    sourcemap: 'external',
    logLevel: 'silent',
    plugins: redirect ? [toSource] : [],
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (!js || !map) throw new Error(`esbuild gave no output for ${entry.name}`);
  return { code: js.contents, text: js.text, map: map.text, metafile: result.metafile };
}

export async function measureSizes(opts: { root?: string; entries?: readonly Entry[] } = {}): Promise<SizeReport[]> {
  const root = opts.root ?? ROOT;
  if (!existsSync(join(root, 'dist', 'browser.js'))) {
    throw new Error(`${join(root, 'dist', 'browser.js')} is missing: run \`npm run build\` first (the size check measures the built package).`);
  }
  const reports: SizeReport[] = [];
  for (const entry of opts.entries ?? ENTRIES) {
    const { code, text, map, metafile } = await bundle(entry, root);
    const tslib = tslibIn(metafile);
    if (tslib.ours.length > 0) throw new Error(`${entry.name}: our code imports tslib (${tslib.ours.join(', ')}); the build must inline its helpers (no importHelpers)`);
    const { files, inputs } = attribute(root, metafile, JSON.parse(map) as { sources: string[]; mappings: string }, text, join(root, '.size'));
    reports.push({ name: entry.name, description: entry.description, minified: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs, files, tslib: { bytes: tslib.bytes, importers: tslib.importers } });
  }
  return reports;
}

/**
 * The shortest import chain (by the metafile's `imports`) from the entry to the first input
 * matching `target`, among inputs that end up in the output. For "why is X in this bundle?".
 */
export function importChain(metafile: Metafile, target: RegExp): string[] | undefined {
  const output = jsOutput(metafile);
  const kept = new Set(Object.entries(output?.inputs ?? {}).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k));
  const start = Object.keys(metafile.inputs).find((k) => k.includes('.entry.js'));
  if (!start) return undefined;
  const previous = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (current !== start && target.test(current) && kept.has(current)) {
      const chain: string[] = [];
      for (let at: string | null = current; at !== null; at = previous.get(at) ?? null) chain.unshift(at);
      return chain;
    }
    for (const imp of metafile.inputs[current]?.imports ?? []) {
      if (!previous.has(imp.path) && metafile.inputs[imp.path]) {
        previous.set(imp.path, current);
        queue.push(imp.path);
      }
    }
  }
  return undefined;
}

function fmt(n: number | undefined): string {
  return n === undefined ? '-' : n.toLocaleString('en-US');
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const arg = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const tolerance = Number(arg('--tolerance') ?? '0.01');
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    console.error(`size: --tolerance must be a fraction >= 0 (got ${arg('--tolerance')})`);
    return 2;
  }
  let reports: SizeReport[];
  try {
    reports = await measureSizes();
  } catch (error) {
    console.error(`size: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const budget: Budget = existsSync(BUDGET_FILE) ? (JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as Budget) : {};
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { sideEffects?: unknown };

  console.log(table([['entry', 'min B', 'gzip B', 'budget B', 'target B'], ...reports.map((r) => [r.name, fmt(r.minified), fmt(r.gzip), fmt(budget[r.name]?.gzip), fmt(TARGETS[r.name])])]));
  console.log(`\npackage.json sideEffects: ${pkg.sideEffects === false ? 'false (present)' : `NOT false (${JSON.stringify(pkg.sideEffects)})`}`);
  for (const r of reports) {
    const via = [...new Set(r.tslib.importers.map(groupOf))].join(', ');
    console.log(`tslib in ${r.name}: ${r.tslib.importers.length === 0 ? 'not imported' : `${fmt(r.tslib.bytes)} B minified in the output; imported by ${r.tslib.importers.length} files of ${via} (none of ours)`}`);
  }
  const all = reports.find((r) => r.name === 'browser-all');
  if (all) {
    console.log('\nTop 12 contributors to browser-all (minified bytes):');
    console.log(table(all.inputs.slice(0, 12).map((i) => [`  ${i.path}`, fmt(i.bytes), `${((i.bytes / all.minified) * 100).toFixed(1)} %`])));
  }
  const filesOf = arg('--files');
  if (filesOf !== undefined) {
    const report = reports.find((r) => r.name === filesOf);
    if (report) console.log(`\nTop 40 files in ${filesOf}:\n${table(report.files.slice(0, 40).map((i) => [`  ${i.path}`, fmt(i.bytes)]))}`);
    else console.error(`size: no entry named ${filesOf}`);
  }

  if (argv.includes('--update')) {
    writeFileSync(BUDGET_FILE, `${JSON.stringify(budgetFrom(reports), null, 2)}\n`);
    console.log(`\nBudget written to ${relative(ROOT, BUDGET_FILE)}.`);
    return 0;
  }
  const violations = compareWithBudget(reports, budget, tolerance);
  if (violations.length > 0) {
    console.error('\nBundle size check FAILED:');
    for (const v of violations) console.error(`  ${v.message}`);
    console.error('If the growth is intended, run `npm run size -- --update` and commit scripts/size-budget.json.');
    return 1;
  }
  console.log(`\nBundle size check passed (tolerance ${(tolerance * 100).toFixed(1)} %).`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
