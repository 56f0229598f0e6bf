import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import { sanitizeModifier, sanitizeProperties, sanitizeSet, type Modifier, type UserChange } from '../../domain/user-profile.js';
import type { FeatureContext } from '../define.js';
import { MODULE, type userMachine } from './machine.js';

/**
 * `countly.user` (spec: User Profiles, 001 l. 3725–3899). Each call is validated here (types,
 * limits, unsafe keys) and sent as one `user.change` with what it kept; the machine filters
 * keys, accumulates and saves. A bad call is logged `[UserProfile] fn, ...` and ignored, a bad
 * part of `setProperties` dropped; nothing throws and the developer's objects are only read.
 */
export function createUserApi(ctx: FeatureContext<typeof userMachine>): Countly['user'] {
  const limits = ctx.config.limits;

  const send = (fn: string, changes: UserChange[], warnings: readonly string[]): void => {
    for (const w of warnings) ctx.log.warning(MODULE, `${fn}, ${w}`);
    if (changes.length > 0) ctx.send({ type: 'user.change', fn, changes, at: ctx.now() });
  };

  const modifier = (fn: string, op: Modifier) => (key: unknown, value: unknown): void => {
    ctx.log.info(MODULE, `${fn}, key ${param(key)} value ${param(value)}`);
    const checked = sanitizeModifier(op, key, value, limits);
    send(fn, checked.value ? [checked.value] : [], checked.warnings);
  };

  return {
    setProperty(key: string, value: unknown) {
      ctx.log.info(MODULE, `setProperty, key ${param(key)} value ${param(value)}`);
      const checked = sanitizeSet(key, value, limits);
      send('setProperty', checked.value ? [checked.value] : [], checked.warnings);
    },
    setProperties(data: Record<string, unknown>) {
      ctx.log.info(MODULE, `setProperties, data ${param(data)}`);
      const { changes, warnings } = sanitizeProperties(data, limits);
      send('setProperties', changes ?? [], warnings);
    },
    increment(key: string) {
      modifier('increment', '$inc')(key, 1);
    },
    incrementBy: modifier('incrementBy', '$inc'),
    multiply: modifier('multiply', '$mul'),
    saveMax: modifier('saveMax', '$max'),
    saveMin: modifier('saveMin', '$min'),
    setOnce: modifier('setOnce', '$setOnce'),
    push: modifier('push', '$push'),
    pushUnique: modifier('pushUnique', '$addToSet'),
    pull: modifier('pull', '$pull'),
    save() {
      ctx.log.info(MODULE, 'save');
      ctx.send({ type: 'user.save', at: ctx.now() });
    },
    clear() {
      ctx.log.info(MODULE, 'clear');
      ctx.send({ type: 'user.clear' });
    },
  };
}
