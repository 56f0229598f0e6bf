/** The `chartly-server` bin: argument parsing in-process, and one real run through tsx. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, USAGE } from '../../src/server/cli-args.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = ['--import', 'tsx', 'src/server/cli.ts'];

describe('parseCliArgs', () => {
  it('defaults to port 3000, any app key, logging on', () => {
    expect(parseCliArgs([])).toEqual({ kind: 'run', options: { port: 3000 }, quiet: false });
  });

  it('reads every flag, in both --flag value and --flag=value forms', () => {
    expect(
      parseCliArgs([
        '--port=0',
        '--app-key',
        'k1',
        '--app-key=k2',
        '--salt',
        's',
        '--prevent-duplicates',
        '--quiet',
        '--remote-config',
        '{"a":1}',
        '--behavior-settings={"tracking":false}',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        port: 0,
        appKeys: ['k1', 'k2'],
        salt: 's',
        preventDuplicates: true,
        remoteConfig: { a: 1 },
        behaviorSettings: { tracking: false },
      },
      quiet: true,
    });
  });

  it('asks for help', () => {
    expect(parseCliArgs(['--port', '1', '--help'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [['--port'], '--port needs a port number (0-65535), got undefined'],
    [['--port', 'x'], '--port needs a port number (0-65535), got x'],
    [['--port=70000'], '--port needs a port number (0-65535), got 70000'],
    [['--port='], '--port needs a port number (0-65535), got '],
    [['--app-key'], '--app-key needs a value'],
    [['--salt='], '--salt needs a value'],
    [['--remote-config', '[1]'], '--remote-config needs a JSON object'],
    [['--behavior-settings', '{'], '--behavior-settings needs a JSON object'],
    [['--behavior-settings'], '--behavior-settings needs a JSON object'],
    [['--nope'], 'unknown option --nope'],
  ])('refuses %j', (argv, message) => {
    expect(parseCliArgs(argv)).toEqual({ kind: 'error', message });
  });
});

describe('chartly-server bin', () => {
  it('prints help and exits 0; exits 2 on a bad flag', () => {
    const help = spawnSync(process.execPath, [...cli, '--help'], { cwd: root, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(USAGE);
    const bad = spawnSync(process.execPath, [...cli, '--bogus'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('chartly-server: unknown option --bogus');
  });

  it('listens on the printed port, logs each request, and exits cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [...cli, '--port', '0', '--app-key', 'app'], { cwd: root });
    let out = '';
    child.stdout.setEncoding('utf8');
    const lineMatching = (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const match = out.match(pattern);
          if (match) {
            child.stdout.off('data', onData);
            resolve(match);
          }
        };
        const onData = (chunk: string): void => {
          out += chunk;
          check();
        };
        child.stdout.on('data', onData);
        child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
        check();
      });
    try {
      const [, url] = await lineMatching(/chartly-server listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
      const answer = await fetch(`${url}/i?app_key=app&device_id=d&begin_session=1&events=%5B%7B%22key%22%3A%22a%22%7D%5D`);
      expect(await answer.json()).toEqual({ result: 'Success' });
      await lineMatching(/#1 GET \/i 200 dev=d begin_session events=1 → Success\n/);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
