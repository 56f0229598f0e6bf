import { EMPTY, filter, mergeMap } from 'rxjs';
import type { Command, LogCommand } from './commands.js';
import type { Effect } from './deps.js';

/** Machines never print: their `log` commands reach the logger here. */
export const logEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is LogCommand => c.type === 'log'),
    mergeMap((c) => {
      deps.log.log(c.level, c.module, c.message);
      return EMPTY;
    }),
  );
