import { Cursor, JSON_NUMBER, compactJson } from './cursor.ts';
import { civilFromDays, daysFromCivil, wallTimeToUtc, type ZoneCounters } from './time-zone.ts';

/**
 * Scalar value converters: Athena text -> one NDJSON value fragment (DESIGN §5). Each returns the fragment,
 * or a {@link ConvertFailure} when BigQuery cannot hold the value. None of them goes through JS `Number`
 * except for doubles, whose text is passed through after a syntax check.
 */

/** Why a value cannot be written; the row converter adds the column name and the cell text. */
export class ConvertFailure {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** A converted value: a JSON fragment, `null` for SQL NULL, or a failure. */
export type Out = string | null | ConvertFailure;

/** Text of one Athena value -> fragment. */
export type LeafFn = (text: string) => Out;

/**
 * Counters of lossless-but-notable or lossy-by-design events, for the run report. Every counter is a
 * number, so a report can list the non-zero ones as warnings.
 */
export interface ConvertStats extends ZoneCounters {
  /** timestamp / timestamp with time zone values with non-zero digits beyond microseconds (truncated). */
  truncatedTimestamps: number;
  /** time values with non-zero digits beyond microseconds (truncated). */
  truncatedTimes: number;
  /** json values that were JSON `null`: BigQuery cannot tell them from SQL NULL. */
  jsonNullsCollapsed: number;
  /** NULL arrays/maps, stored by BigQuery as empty arrays (REPEATED fields have no NULL). */
  nullArraysAsEmpty: number;
}

export function newStats(): ConvertStats {
  return {
    truncatedTimestamps: 0,
    truncatedTimes: 0,
    jsonNullsCollapsed: 0,
    nullArraysAsEmpty: 0,
    ambiguousLocalTimes: 0,
    nonexistentLocalTimes: 0,
  };
}

function fail(reason: string): ConvertFailure {
  return new ConvertFailure(reason);
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(?:\.\d+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$/;
const TIMESTAMP_PARTS = /^([+-]?\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;
const SIGNED_DATE = /^([+-]?\d{4,})-\d{2}-\d{2}/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const WHITESPACE = /\s+/g;
// Zero padding to 6 fraction digits, indexed by the number of digits present.
const PAD6 = ['000000', '00000', '0000', '000', '00', '0', ''];

/** boolean: `true`/`false` only; anything else is an error, never false (c05). */
export const booleanLeaf: LeafFn = (s) => (s === 'true' || s === 'false' ? s : fail('not an Athena boolean (true/false)'));

/** tinyint…bigint -> INT64 as a JSON string: exact beyond 2^53 (c01, A8, B3). */
export const integerLeaf: LeafFn = (s) => (INTEGER.test(s) ? `"${s}"` : fail('not an integer'));

/**
 * real/double -> FLOAT64. Athena's Java-style text (`1.0E10`, `-0.0`, `4.9E-324`) is valid JSON number
 * syntax and is passed through unchanged, so no digit is re-rounded (a real's `0.1` stays 0.1, c02).
 * NaN and the infinities are not JSON numbers: BigQuery takes them as strings (B2).
 */
export const doubleLeaf: LeafFn = (s) => {
  if (JSON_NUMBER.test(s)) return s;
  if (s === 'NaN' || s === 'Infinity' || s === '-Infinity') return `"${s}"`;
  if (s === '+Infinity') return '"Infinity"';
  return fail('not a floating-point number');
};

/** varchar, char (padding kept, c05), and every type BigQuery has no match for: the exact text. */
export const stringLeaf: LeafFn = (s) => JSON.stringify(s);

/** Limits of a BigQuery NUMERIC/BIGNUMERIC column: digits before and after the point. */
export interface DecimalLimits {
  integerDigits: number;
  fractionDigits: number;
  /** e.g. `NUMERIC` or `NUMERIC(10,2)`, for messages. */
  label: string;
}

/**
 * decimal(p,s) -> NUMERIC/BIGNUMERIC as a JSON string with the exact digits (B1). With `limits` (an existing
 * column), a value with more integer digits is rejected; extra fraction digits are dropped only when they
 * are zeros (otherwise BigQuery would round: rejected).
 */
export function decimalLeaf(limits?: DecimalLimits): LeafFn {
  return (s) => {
    let text = s;
    if (!DECIMAL.test(text)) {
      // CAST(decimal AS JSON) can use exponent notation (Jackson BigDecimal): rewrite it exactly.
      const plain = JSON_NUMBER.test(text) ? plainDecimal(text) : undefined;
      if (plain === undefined) return fail('not a decimal number');
      text = plain;
    }
    if (limits !== undefined) {
      const checked = fitDecimal(text, limits);
      if (checked instanceof ConvertFailure) return checked;
      text = checked;
    }
    return `"${text}"`;
  };
}

function fitDecimal(text: string, limits: DecimalLimits): string | ConvertFailure {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const dot = body.indexOf('.');
  let intPart = dot < 0 ? body : body.slice(0, dot);
  let frac = dot < 0 ? '' : body.slice(dot + 1);
  intPart = intPart.replace(/^0+(?=\d)/, '');
  const intDigits = intPart === '0' ? 0 : intPart.length;
  if (intDigits > limits.integerDigits) {
    return fail(`${intDigits} digits before the decimal point exceed the ${limits.integerDigits} of the target ${limits.label} column`);
  }
  if (frac.length > limits.fractionDigits) {
    const dropped = frac.slice(limits.fractionDigits);
    if (/[1-9]/.test(dropped)) {
      return fail(`${frac.length} digits after the decimal point exceed the ${limits.fractionDigits} of the target ${limits.label} column (BigQuery would round)`);
    }
    frac = frac.slice(0, limits.fractionDigits);
  }
  return (negative ? '-' : '') + intPart + (frac === '' ? '' : `.${frac}`);
}

/** `1.5E+3` -> `1500`, `1E-3` -> `0.001`, exactly (string arithmetic on the digits). */
export function plainDecimal(token: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!m) return undefined;
  const sign = m[1]!;
  const digits = m[2]! + (m[3] ?? '');
  const exponent = Number(m[4] ?? 0) - (m[3] ?? '').length;
  if (Math.abs(exponent) > 400) return undefined;
  let intPart: string;
  let frac: string;
  if (exponent >= 0) {
    intPart = digits + '0'.repeat(exponent);
    frac = '';
  } else {
    const point = digits.length + exponent;
    intPart = point > 0 ? digits.slice(0, point) : '0';
    frac = point > 0 ? digits.slice(point) : '0'.repeat(-point) + digits;
  }
  intPart = intPart.replace(/^0+(?=\d)/, '');
  return sign + intPart + (frac === '' ? '' : `.${frac}`);
}

/** varbinary: Athena's spaced hex (`31 32 33`, 8-byte groups, line breaks) -> base64 for BYTES (c09). */
export const varbinaryLeaf: LeafFn = (s) => {
  const hex = s.replace(WHITESPACE, '');
  if (!HEX.test(hex)) return fail('not hex-encoded bytes (Athena renders varbinary as spaced hex pairs)');
  return `"${Buffer.from(hex, 'hex').toString('base64')}"`;
};

/** date -> DATE text as is; BigQuery DATE holds years 0001-9999 only (c06). */
export const dateLeaf: LeafFn = (s) => {
  if (DATE.test(s)) return s.startsWith('0000') ? fail('year < 1 not representable in BigQuery DATE') : `"${s}"`;
  return fail(yearProblem(s, 'DATE') ?? 'not an Athena date (YYYY-MM-DD)');
};

function yearProblem(s: string, type: string): string | undefined {
  const m = SIGNED_DATE.exec(s);
  if (!m) return undefined;
  const year = Number(m[1]);
  if (year < 1) return `year < 1 not representable in BigQuery ${type}`;
  if (year > 9999) return `year > 9999 not representable in BigQuery ${type}`;
  return undefined;
}

/** Fraction digits -> exactly 6 (µs), truncating; `onTruncate` runs when a non-zero digit is dropped. */
function micros(frac: string, onTruncate: () => void): string {
  if (frac.length <= 6) return frac + PAD6[frac.length]!;
  if (/[1-9]/.test(frac.slice(6))) onTruncate();
  return frac.slice(0, 6);
}

/** time(p) -> TIME `HH:MM:SS.ffffff` (A10, c08). */
export function timeLeaf(stats: ConvertStats): LeafFn {
  const truncated = (): void => {
    stats.truncatedTimes++;
  };
  return (s) => {
    if (!TIME.test(s)) return fail('not an Athena time (HH:MM:SS[.fff])');
    return `"${s.slice(0, 8)}.${micros(s.length > 9 ? s.slice(9) : '', truncated)}"`;
  };
}

/**
 * timestamp(p) -> TIMESTAMP `YYYY-MM-DDTHH:MM:SS.ffffffZ` (Athena sessions run in UTC), or DATETIME text
 * without the `Z` when the target column is DATETIME. Digits beyond µs are truncated, never rounded, so a
 * value never moves to the next second/day (c07, A9); non-zero truncations are counted.
 */
export function timestampLeaf(stats: ConvertStats, datetime: boolean): LeafFn {
  const zulu = datetime ? '"' : 'Z"';
  const type = datetime ? 'DATETIME' : 'TIMESTAMP';
  const truncated = (): void => {
    stats.truncatedTimestamps++;
  };
  return (s) => {
    if (TIMESTAMP.test(s)) {
      if (s.startsWith('0000')) return fail(`year < 1 not representable in BigQuery ${type}`);
      return `"${s.slice(0, 10)}T${s.slice(11, 19)}.${micros(s.length > 20 ? s.slice(20) : '', truncated)}${zulu}`;
    }
    return fail(yearProblem(s, type) ?? 'not an Athena timestamp (YYYY-MM-DD HH:MM:SS[.fff])');
  };
}

/**
 * timestamp(p) with time zone -> TIMESTAMP in UTC. Athena renders `<wall time> <zone>`; the zone (an IANA
 * name, `UTC` or `±HH:MM`) follows the LAST space. DST gaps/overlaps resolve as in Trino (time-zone.ts).
 */
export function timestampTzLeaf(stats: ConvertStats, datetime: boolean): LeafFn {
  const plain = timestampLeaf(stats, datetime);
  const zulu = datetime ? '"' : 'Z"';
  const type = datetime ? 'DATETIME' : 'TIMESTAMP';
  const truncated = (): void => {
    stats.truncatedTimestamps++;
  };
  return (s) => {
    const space = s.lastIndexOf(' ');
    if (space < 0) return fail('not an Athena timestamp with time zone (no zone after the last space)');
    const zone = s.slice(space + 1);
    const local = s.slice(0, space);
    if (zone === 'UTC' && TIMESTAMP.test(local)) return plain(local);
    const m = TIMESTAMP_PARTS.exec(local);
    if (!m) return fail('not an Athena timestamp with time zone (YYYY-MM-DD HH:MM:SS[.fff] <zone>)');
    const wall =
      daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3])) * 86400 + Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]);
    const utc = wallTimeToUtc(zone, wall, stats);
    if (utc === undefined) return fail(`unknown time zone ${JSON.stringify(zone)}`);
    const days = Math.floor(utc / 86400);
    const secondOfDay = utc - days * 86400;
    const [year, month, day] = civilFromDays(days);
    if (year < 1) return fail(`year < 1 not representable in BigQuery ${type} (after conversion to UTC)`);
    if (year > 9999) return fail(`year > 9999 not representable in BigQuery ${type} (after conversion to UTC)`);
    return `"${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(secondOfDay / 3600), 2)}:${pad(Math.floor(secondOfDay / 60) % 60, 2)}:${pad(secondOfDay % 60, 2)}.${micros(m[7] ?? '', truncated)}${zulu}`;
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * json -> JSON: the JSON text embedded raw (BigQuery loads a JSON field "with the raw JSON values"), so big
 * numbers keep every digit (c14). It is validated first (a broken value must not corrupt the NDJSON line),
 * line breaks between tokens are removed, and JSON `null` becomes SQL NULL (counted: BigQuery cannot tell
 * them apart).
 */
export function jsonLeaf(stats: ConvertStats): LeafFn {
  return (s) => {
    const c = new Cursor(s);
    if (!c.skipValue()) return fail(`not valid JSON (${c.problem})`);
    c.ws();
    if (!c.atEnd()) return fail('not valid JSON (text after the value)');
    const text = c.sawLineBreak ? compactJson(s) : s;
    if (text.trim() === 'null') {
      stats.jsonNullsCollapsed++;
      return null;
    }
    return text.trim();
  };
}
