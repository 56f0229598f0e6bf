/**
 * The moment of an action as the wire wants it (spec: Recording Time of Data): a unique
 * 13-digit millisecond timestamp plus the local hour, day of week and timezone offset.
 */
import type { Instant } from '../domain/types.js';

/** The instant of a given timestamp, in the local timezone; no uniqueness (tests, replays). */
export function instantAt(timestamp: number): Instant {
  const date = new Date(timestamp);
  return {
    timestamp,
    hour: date.getHours(),
    dow: date.getDay(),
    // getTimezoneOffset is minutes *west* of UTC; the wire wants east positive (120 for UTC+2).
    // `0 -` avoids -0 for UTC.
    tz: 0 - date.getTimezoneOffset(),
  };
}

/**
 * A source of unique, strictly increasing instants over a clock reading.
 * spec: Recording Time of Data — if the last used timestamp is >= the current one, use
 * last + 1, else the current one. A clock that goes backwards (or returns a non-finite
 * value) therefore still yields strictly increasing timestamps.
 */
export function createInstantSource(now: () => number): (reading?: number) => Instant {
  let last = 0;
  // hour, dow and tz hold for the whole local hour around the last reading (offset changes
  // happen on local hour boundaries), so a Date is made once per local hour, not per call.
  let from = 0;
  let to = -1;
  let local: Instant = { timestamp: 0, hour: 0, dow: 0, tz: 0 };
  // `reading`: a clock reading taken earlier (a buffered call), stamped now in call order.
  return (reading?: number) => {
    const raw = reading ?? now();
    const current = Number.isFinite(raw) ? Math.floor(raw) : last;
    last = last >= current ? last + 1 : current;
    if (last < from || last >= to) {
      const date = new Date(last);
      local = instantAt(last);
      from = last - (date.getMinutes() * 60_000 + date.getSeconds() * 1000 + date.getMilliseconds());
      to = from + 3_600_000;
    }
    return { timestamp: last, hour: local.hour, dow: local.dow, tz: local.tz };
  };
}
