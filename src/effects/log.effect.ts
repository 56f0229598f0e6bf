import { EMPTY, filter, mergeMap } from 'rxjs';
import type { Command, LogCommand, LogConfigureCommand } from './commands.js';
import type { Effect } from './deps.js';

/** Machines never print: their `log` commands reach the logger here, and the server's `log` setting. */
export const logEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is LogCommand | LogConfigureCommand => c.type === 'log' || c.type === 'log.configure'),
    mergeMap((c) => {
      if (c.type === 'log.configure') deps.log.setConsole(c.console);
      else deps.log.log(c.level, c.module, c.message);
      return EMPTY;
    }),
  );
