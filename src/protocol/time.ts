/**
 * The moment of an action as the wire wants it (spec: Recording Time of Data, SDK guide
 * lines 401-434): a 13-digit millisecond timestamp plus the local hour, day of week and
 * timezone offset, on every request (l. 403-408) and in every event object (l. 410).
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
 * How far a timestamp may run ahead of the highest clock reading seen. The spec's
 * pseudo-code (l. 414-432) bumps `lastMsTs++` without limit, so 5,000 records in 35 ms
 * ended ~5 s in the future. A few ms keeps short bursts unique and every timestamp true
 * to within a few ms; a server clamps future timestamps to its now anyway (server-rules.md
 * l. 22), which would flatten a longer run of bumped timestamps.
 */
export const MAX_AHEAD_MS = 5;

/**
 * A source of instants over a clock reading: non-decreasing timestamps, never more than
 * MAX_AHEAD_MS ahead of the highest reading so far, unique unless that bound is reached.
 *
 * What is unique, and why not always: l. 412 asks for a unique timestamp so that "if
 * events were reported in the same timestamp" they keep "the order in which the events
 * were reported". Order is what matters, and it survives without the bump: events sit in
 * a FIFO queue (l. 393) and go out as an ordered array, requests sit in a FIFO queue sent
 * in historical order (l. 317, 323), and timestamps never decrease; so Instant needs no
 * sub-ms sequence field (the wire has no place for one either). l. 412 only "suggests"
 * uniqueness, and l. 434 allows a 10-digit seconds timestamp, which repeats for every
 * action within a second. So: the spec's algorithm (a reading above the last timestamp is
 * used as is, else last + 1) while that stays within MAX_AHEAD_MS of the clock; beyond it
 * the timestamp repeats. A repeat needs more than MAX_AHEAD_MS + 1 instants within one
 * clock ms, or a sustained rate above one per ms. Events carry unique `id`s anyway; for
 * requests, the server's duplicate check hashes payload + timestamp against the previous
 * request (server-rules.md l. 30-34), which only two byte-identical requests inside such
 * a burst could trip.
 *
 * A clock that goes backwards does not move timestamps back (as in the spec's algorithm,
 * l. 421-425): they hold at most MAX_AHEAD_MS above the highest reading until the clock
 * passes it. A non-finite reading counts as no new reading.
 *
 * `reading`: a clock reading taken earlier (a buffered call), stamped now in call order.
 */
export function createInstantSource(now: () => number): (reading?: number) => Instant {
  let last = 0; // the spec's lastMsTs (l. 415)
  let high = 0; // the highest clock reading so far
  const local = createLocalTime();
  return (reading?: number) => {
    const raw = reading ?? now();
    if (Number.isFinite(raw)) {
      const current = Math.floor(raw);
      if (current > high) high = current;
      if (current > last) {
        last = current;
        return local(last);
      }
    }
    if (last < high + MAX_AHEAD_MS) last++;
    return local(last);
  };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * hour/dow/tz of a timestamp, as `instantAt` gives them, cheaply for timestamps close
 * together: they are cached for a range [from, to] inside one local hour over which the
 * offset was checked to be constant, by looking it up at both ends (and bisecting for the
 * change when they differ). Offsets do not only change on a local hour boundary:
 * Pacific/Chatham (UTC+12:45/+13:45) changes at 2:45, Australia/Lord_Howe shifts by 30
 * minutes. The one assumption is that no zone changes its offset twice within an hour.
 *
 * A runtime timezone change (Node re-reads process.env.TZ when it is assigned; a browser
 * follows the OS) is caught by two probe Dates at `from` and `to`: engines keep a Date's
 * local fields until their timezone data changes, so reading them back is cheap, and a
 * new offset at either end changes the local minute of the week there (offsets in use
 * since 1972 are whole minutes and differ by at most 26 h, less than a week).
 */
function createLocalTime(): (timestamp: number) => Instant {
  const lookup = new Date(0);
  const fromProbe = new Date(Number.NaN);
  const toProbe = new Date(Number.NaN);
  let from = 0;
  let to = -1;
  let hour = 0;
  let dow = 0;
  let tz = 0;
  let fromSignature = -1;
  let toSignature = -1;

  const offsetAt = (timestamp: number): number => {
    lookup.setTime(timestamp);
    return lookup.getTimezoneOffset();
  };
  const signature = (d: Date): number => (d.getDay() * 24 + d.getHours()) * 60 + d.getMinutes();

  const fill = (timestamp: number): void => {
    const offsetMinutes = offsetAt(timestamp);
    hour = lookup.getHours();
    dow = lookup.getDay();
    // `0 -` avoids -0 for UTC, as in instantAt.
    tz = 0 - offsetMinutes;
    from = timestamp;
    // the last ms of this local hour
    to = timestamp + HOUR - 1 - (lookup.getMinutes() * MINUTE + lookup.getSeconds() * 1000 + lookup.getMilliseconds());
    if (offsetAt(to) !== offsetMinutes) {
      // The offset changes within this hour: cache up to the last ms before the change.
      let same = timestamp;
      while (to - same > 1) {
        const mid = same + Math.floor((to - same) / 2);
        if (offsetAt(mid) === offsetMinutes) same = mid;
        else to = mid;
      }
      to = same;
    }
    fromProbe.setTime(from);
    toProbe.setTime(to);
    fromSignature = signature(fromProbe);
    toSignature = signature(toProbe);
  };

  return (timestamp: number) => {
    if (timestamp < from || timestamp > to || signature(fromProbe) !== fromSignature || signature(toProbe) !== toSignature) {
      fill(timestamp);
    }
    return { timestamp, hour, dow, tz };
  };
}
