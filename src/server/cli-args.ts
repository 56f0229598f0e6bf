/** Command-line parsing for `chartly-server` (kept apart from cli.ts so it is unit-tested). */
import type { ServerOptions } from './index.js';

export const USAGE = `Usage: chartly-server [options]

A local Countly-compatible server for chartly's tests, demo and benchmark.
Listens on 127.0.0.1 only.

Options:
  --port N                   port to listen on (default 3000; 0 = any free port)
  --app-key K                accept only this app key (repeatable; default: any key)
  --salt S                   verify checksum256 / checksum with this salt
  --prevent-duplicates       ignore a request equal to the device's previous one
  --behavior-settings JSON   the "c" object answered to /o/sdk?method=sc
  --remote-config JSON       the values answered to /o/sdk?method=rc
  --quiet                    do not print one line per request
  --help                     show this help
`;

export type CliArgs =
  | { kind: 'run'; options: Omit<ServerOptions, 'log'> & { port: number }; quiet: boolean }
  | { kind: 'help' }
  | { kind: 'error'; message: string };

/** Parses `process.argv.slice(2)`; accepts `--flag value` and `--flag=value`. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const options: Omit<ServerOptions, 'log'> & { port: number } = { port: 3000 };
  let quiet = false;
  const appKeys: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq !== -1 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq !== -1 ? arg.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--quiet':
        quiet = true;
        break;
      case '--prevent-duplicates':
        options.preventDuplicates = true;
        break;
      case '--port': {
        const raw = value();
        const port = Number(raw);
        if (raw === undefined || raw === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
          return { kind: 'error', message: `--port needs a port number (0-65535), got ${String(raw)}` };
        }
        options.port = port;
        break;
      }
      case '--app-key': {
        const key = value();
        if (!key) return { kind: 'error', message: '--app-key needs a value' };
        appKeys.push(key);
        break;
      }
      case '--salt': {
        const salt = value();
        if (!salt) return { kind: 'error', message: '--salt needs a value' };
        options.salt = salt;
        break;
      }
      case '--behavior-settings':
      case '--remote-config': {
        const parsed = parseObject(value());
        if (parsed === undefined) return { kind: 'error', message: `${flag} needs a JSON object` };
        if (flag === '--remote-config') options.remoteConfig = parsed;
        else options.behaviorSettings = parsed;
        break;
      }
      default:
        return { kind: 'error', message: `unknown option ${arg}` };
    }
  }
  if (appKeys.length > 0) options.appKeys = appKeys;
  return { kind: 'run', options, quiet };
}

function parseObject(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
