/**
 * spec: Logging — "No two places should have the same log message": a log line must name
 * the place that wrote it. Every `.ts` file under `src/` is parsed with the TypeScript
 * compiler and the message of every log call site is collected:
 *
 * - `log.warning(MODULE, '…')`, `deps.log.info('Init', \`…\`)`: the second argument
 * - `log('warning', '…')`, `logAt('debug', \`…\`)`: the message after a level literal
 * - `warning(\`…\`)`, `debug('…')`, `warn('…')`: one-argument level helpers
 * - `{ type: 'log', level, module, message: '…' }` and `params: { message: '…' }`
 *
 * Template literals compare by their text with every `${…}` as a placeholder. A message
 * written at two call sites of one file fails the test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const LEVELS = new Set(['error', 'warning', 'warn', 'info', 'debug', 'verbose']);

interface LogSite {
  message: string;
  line: number;
}

/** The text of a string or template literal (`${…}` for each substitution), or null. */
function literalText(node: ts.Node | undefined): string | null {
  if (!node) return null;
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => '${…}' + s.literal.text).join('');
  return null;
}

/** The message argument of a call, when the call is a log call with a literal message. */
function messageOfCall(call: ts.CallExpression): ts.Node | undefined {
  const [first, second] = call.arguments;
  const callee = call.expression;
  // log.warning(MODULE, '…'), this.log.info('Init', `…`)
  if (ts.isPropertyAccessExpression(callee) && LEVELS.has(callee.name.text) && call.arguments.length === 2) return second;
  // log('warning', '…'), logAt('debug', `…`)
  if (call.arguments.length === 2 && first && ts.isStringLiteral(first) && LEVELS.has(first.text)) return second;
  // warning(`…`), debug('…')
  if (ts.isIdentifier(callee) && LEVELS.has(callee.text) && call.arguments.length === 1) return first;
  return undefined;
}

/** Whether an object literal is a log command (`level`/`module` beside `message`) or action params. */
function isLogObject(object: ts.ObjectLiteralExpression): boolean {
  const names = object.properties.flatMap((p) => (p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? [p.name.text] : []));
  if (names.includes('level') || names.includes('module')) return true;
  const parent = object.parent;
  return ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name) && parent.name.text === 'params';
}

/** Every log message written in one source file, with its line. */
function logSites(fileName: string, text: string): LogSite[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: LogSite[] = [];
  const add = (node: ts.Node | undefined): void => {
    const message = literalText(node);
    // A message made only of substitutions (`${fn}, ${message}`) is a helper's, not a call site's.
    if (node && message !== null && /[a-z]/i.test(message.replaceAll('${…}', ''))) {
      sites.push({ message, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) add(messageOfCall(node));
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'message' && ts.isObjectLiteralExpression(node.parent) && isLogObject(node.parent)) {
      add(node.initializer);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** Messages written at more than one place: `message → lines`. */
function duplicates(sites: readonly LogSite[]): Record<string, number[]> {
  const byMessage = new Map<string, number[]>();
  for (const s of sites) byMessage.set(s.message, [...(byMessage.get(s.message) ?? []), s.line]);
  return Object.fromEntries([...byMessage].filter(([, lines]) => lines.length > 1));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Known duplicates in files under other work, to be fixed there: `file → messages`.
 * Remove an entry once its file is fixed (the test fails on entries that no longer apply).
 */
const KNOWN: Readonly<Record<string, readonly string[]>> = {};

describe('log messages', () => {
  const files = sourceFiles(SRC).map((path) => ({ file: relative(SRC, path).replaceAll('\\', '/'), text: readFileSync(path, 'utf8') }));

  it('finds the log call sites of every shape', () => {
    const text = [
      "log.warning(MODULE, 'a, one');",
      'deps.log.info(\'Init\', `a, two ${x} done`);',
      "enqueue.emit(log('warning', 'a, three'));",
      'warning(`a, four ${y}`);',
      "debug('a, five');",
      "const c = { type: 'log', level: 'debug', module: MODULE, message: 'a, six' };",
      "const t = { actions: { type: 'warn', params: { message: 'a, seven' } } };",
      // Not log messages: a module tag alone, an error value, a helper's pass-through.
      "log.warning('Init', text); const e = { kind: 'error', message: 'nope' }; log('warning', params.message);",
      'const f = (fn, m) => ({ level: \'debug\', message: `${fn}, ${m}` });',
    ].join('\n');
    expect(logSites('sample.ts', text).map((s) => s.message)).toEqual([
      'a, one',
      'a, two ${…} done',
      'a, three',
      'a, four ${…}',
      'a, five',
      'a, six',
      'a, seven',
    ]);
  });

  it('catches a message written in two states (the session machine before its fix)', () => {
    const before = [
      'idle: { on: {',
      "  'session.update': [",
      "    { guard: 'isAutomatic', actions: { type: 'warn', params: { message: 'update, manual session control is not enabled; call ignored' } } },",
      '  ] } },',
      'running: { on: {',
      "  'session.update': [",
      "    { guard: 'isAutomatic', actions: { type: 'warn', params: { message: 'update, manual session control is not enabled; call ignored' } } },",
      '  ] } },',
    ].join('\n');
    expect(duplicates(logSites('session.machine.ts', before))).toEqual({ 'update, manual session control is not enabled; call ignored': [3, 7] });
  });

  it('scans a fair share of the source', () => {
    const total = files.reduce((n, f) => n + logSites(f.file, f.text).length, 0);
    expect(total).toBeGreaterThan(150);
  });

  it('no two call sites of one file write the same message', () => {
    const found: Record<string, Record<string, number[]>> = {};
    for (const { file, text } of files) {
      const known = new Set(KNOWN[file] ?? []);
      const dups = Object.fromEntries(Object.entries(duplicates(logSites(file, text))).filter(([m]) => !known.has(m)));
      if (Object.keys(dups).length > 0) found[file] = dups;
    }
    expect(found).toEqual({});
  });

  it('every known exception still applies', () => {
    for (const [file, messages] of Object.entries(KNOWN)) {
      const text = files.find((f) => f.file === file)?.text ?? '';
      const dups = duplicates(logSites(file, text));
      for (const message of messages) expect(dups[message], `${file}: ${message}`).toBeDefined();
    }
  });
});
