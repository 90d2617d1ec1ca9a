/**
 * Wall-clock time in a named zone -> UTC, with the IANA database that ships in Node's ICU (Intl).
 * DST is resolved as java.time (and so Trino) does for `ZonedDateTime.of(localDateTime, zone)`:
 * - overlap (the hour repeated when clocks go back): the EARLIER offset, i.e. the one in force before the
 *   transition (c08: 2024-11-03 01:30 America/New_York -> 05:30Z, EDT);
 * - gap (the hour skipped when clocks go forward): the wall time is moved later by the gap length, which is
 *   the same as applying the offset in force before the transition (02:30 EST-nominal -> 07:30Z = 03:30 EDT).
 * Seconds everywhere: offsets of IANA zones are whole seconds (LMT offsets such as -4:56:02 included).
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil; no JS Date). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The inverse of {@link daysFromCivil}: [year, month, day]. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Counters of DST resolutions, so the report can say how many wall times were ambiguous. */
export interface ZoneCounters {
  ambiguousLocalTimes: number;
  nonexistentLocalTimes: number;
}

interface Zone {
  /** Fixed offset in seconds, or undefined for a zone with rules. */
  readonly fixed: number | undefined;
  /** Offset (seconds) at a UTC instant, from the transition tables below (Intl is asked once per block). */
  readonly offsetAt: ((utcSeconds: number) => number) | undefined;
}

/** The offsets of one zone over one block of time: the offset at its start and the transitions inside. */
interface Block {
  readonly startOffset: number;
  /** Instants (UTC seconds) at which the offset changes, ascending, with the offset from then on. */
  readonly at: number[];
  readonly offsets: number[];
}

const DAY = 86400;
// ~388 days: Intl is asked ~400 times per zone per block (daily samples + a bisection per transition),
// after which every lookup in the block is arithmetic.
const BLOCK = 2 ** 25;
const zones = new Map<string, Zone | null>();

const FIXED_OFFSET = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?$/;
const UTC_NAMES = new Set(['UTC', 'Z', 'GMT', 'UT', 'Etc/UTC', 'Etc/GMT', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Etc/Zulu', 'Zulu', 'Universal']);

function lookupZone(name: string): Zone | null {
  const cached = zones.get(name);
  if (cached !== undefined) return cached;
  let zone: Zone | null;
  const m = FIXED_OFFSET.exec(name);
  if (UTC_NAMES.has(name)) zone = { fixed: 0, offsetAt: undefined };
  else if (m) {
    const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
    zone = seconds > 18 * 3600 ? null : { fixed: m[1] === '-' ? -seconds : seconds, offsetAt: undefined };
  } else {
    const intl = intlOffset(name);
    zone = intl ? { fixed: undefined, offsetAt: tabulated(intl) } : null;
  }
  zones.set(name, zone);
  return zone;
}

/**
 * Wraps a slow exact offset function (Intl) into a fast one: per block, the offset is sampled daily and
 * every change is bisected to the second. (No zone changes its offset twice within a day.)
 */
function tabulated(exact: (t: number) => number): (t: number) => number {
  const blocks = new Map<number, Block>();
  const build = (index: number): Block => {
    const start = index * BLOCK;
    const end = start + BLOCK;
    const at: number[] = [];
    const offsets: number[] = [];
    const startOffset = exact(start);
    let previous = startOffset;
    let t = start;
    while (t < end) {
      const next = Math.min(t + DAY, end);
      const offset = exact(next);
      if (offset !== previous) {
        // The first second in (t, next] with the new offset.
        let lo = t;
        let hi = next;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (exact(mid) === previous) lo = mid;
          else hi = mid;
        }
        if (hi < end) {
          at.push(hi);
          offsets.push(exact(hi));
        }
        previous = offset;
      }
      t = next;
    }
    return { startOffset, at, offsets };
  };
  return (t: number): number => {
    const index = Math.floor(t / BLOCK);
    let block = blocks.get(index);
    if (block === undefined) {
      block = build(index);
      blocks.set(index, block);
    }
    const at = block.at;
    let offset = block.startOffset;
    for (let i = 0; i < at.length && at[i]! <= t; i++) offset = block.offsets[i]!;
    return offset;
  };
}

/** Offset (seconds) of a zone at a UTC instant, read back from Intl's wall-clock rendering of that instant. */
function intlOffset(name: string): ((utcSeconds: number) => number) | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  return (utcSeconds: number): number => {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of format.formatToParts(utcSeconds * 1000)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          hour = Number(part.value) % 24;
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value === 'BC' || part.value === 'B';
          break;
        default:
          break;
      }
    }
    if (bc) year = 1 - year;
    return daysFromCivil(year, month, day) * DAY + hour * 3600 + minute * 60 + second - utcSeconds;
  };
}

/**
 * UTC epoch seconds of a wall-clock time (`wallSeconds` = the wall time read as if it were UTC) in `zone`
 * (an IANA name, `UTC`, or `±HH:MM`). Returns undefined for a zone Intl does not know.
 */
export function wallTimeToUtc(zone: string, wallSeconds: number, counters: ZoneCounters): number | undefined {
  const z = lookupZone(zone);
  if (z === null) return undefined;
  if (z.fixed !== undefined) return wallSeconds - z.fixed;
  const offsetAt = z.offsetAt!;
  // Offsets a day before and after: equal (and valid) except near a transition.
  const before = offsetAt(wallSeconds - DAY);
  const early = wallSeconds - before;
  const earlyValid = offsetAt(early) === before;
  const after = offsetAt(wallSeconds + DAY);
  if (after === before && earlyValid) return early;
  // Near a transition: the offset before it wins when valid (overlap: the earlier instant), as in java.time.
  const late = wallSeconds - after;
  const lateValid = before !== after && offsetAt(late) === after;
  if (earlyValid) {
    if (lateValid) counters.ambiguousLocalTimes++;
    return early;
  }
  if (lateValid) return late;
  // Gap: no instant has this wall time; java.time moves it later by the gap length = the offset before.
  counters.nonexistentLocalTimes++;
  return early;
}
