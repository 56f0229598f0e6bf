#!/usr/bin/env node
/** The `chartly-server` bin: starts the local Countly-compatible server until SIGINT/SIGTERM. */
import { parseCliArgs, USAGE } from './cli-args.js';
import { startServer } from './index.js';

async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  if (args.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  if (args.kind === 'error') {
    process.stderr.write(`chartly-server: ${args.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const print = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const server = await startServer({ ...args.options, ...(args.quiet ? {} : { log: print }) });
  print(`chartly-server listening on ${server.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`chartly-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
