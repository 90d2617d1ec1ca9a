import { TransferError } from '../errors.ts';
import { formatAthenaType, isComplex, parseAthenaType } from './athena-type.ts';

/**
 * One result column in domain form (STYLE 3). `type` is the fullest Athena type text known: a bare `array`
 * when only ColumnInfo is known, `array(row(a integer))` once a typeof() probe or Glue metadata told us more.
 * `encoding: 'json'` says the cell text is the output of `CAST(col AS JSON)` (how complex values travel
 * losslessly); the default `'text'` is Athena's own rendering (`[1, 2]`, `{k=v}`).
 */
export interface Column {
  name: string;
  type: string;
  /** decimal precision/scale, when given apart from the type text (ColumnInfo). */
  precision?: number;
  scale?: number;
  encoding?: 'text' | 'json';
}

/** The fields of Athena's `ColumnInfo` that we read (the SDK type has more). */
export interface ColumnInfoLike {
  Name?: string;
  Type?: string;
  Precision?: number;
  Scale?: number;
}

// Trino's unbounded varchar reports Precision 2147483647 (c15); 0 means "not given".
const UNBOUNDED_VARCHAR = 2147483647;

/**
 * Athena `ColumnInfo` -> {@link Column}. ColumnInfo.Type is a bare name; Precision/Scale complete it:
 * decimal -> `decimal(p,s)`, timestamp/time (with or without time zone) -> `timestamp(p)` when Precision is
 * 0..12, char/varchar -> `char(n)`/`varchar(n)` when bounded. Complex types stay bare (`array`): their
 * element types are not in ColumnInfo (DESIGN §4); see {@link applyTypeHint}.
 */
export function columnFromColumnInfo(info: ColumnInfoLike): Column {
  const name = info.Name;
  const rawType = info.Type;
  if (typeof name !== 'string' || typeof rawType !== 'string' || rawType.trim() === '') {
    throw new TransferError('ATHENA_ERROR', `Athena returned a result column without ${typeof name !== 'string' ? 'a Name' : 'a Type'}`, {
      status: 502,
      hint: 'This is unexpected from GetQueryResults; retry the run and report the query execution id if it persists.',
      details: { name: typeof name === 'string' ? name : null },
    });
  }
  const p = info.Precision;
  const s = info.Scale;
  const bareType = rawType.trim().toLowerCase();
  const parsed = parseAthenaType(bareType);
  const column: Column = { name, type: rawType.trim() };
  switch (parsed.kind) {
    case 'decimal':
      if (parsed.precision === undefined && isCount(p) && p > 0) {
        const scale = isCount(s) ? s : 0;
        column.type = `decimal(${p},${scale})`;
        column.precision = p;
        column.scale = scale;
      } else if (parsed.precision !== undefined) {
        column.precision = parsed.precision;
        column.scale = parsed.scale ?? 0;
      }
      break;
    case 'timestamp':
    case 'timestamp_tz':
    case 'time':
    case 'time_tz':
      if (parsed.precision === undefined && isCount(p) && p <= 12) {
        column.type = formatAthenaType({ kind: parsed.kind, precision: p });
      }
      break;
    case 'char':
    case 'varchar':
      if (parsed.length === undefined && isCount(p) && p > 0 && p < UNBOUNDED_VARCHAR && bareType !== 'string') {
        column.type = `${parsed.kind}(${p})`;
      }
      break;
    default:
      break;
  }
  return column;
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0;
}

/**
 * Completes a column with a fuller type from a typeof() probe or Glue metadata (c10/c11 `typeHints`).
 * - bare `array` + `array(integer)` -> `array(integer)`, native text rendering;
 * - a `json` column (the query did `CAST(col AS JSON)`) + a complex type -> that type with `encoding: 'json'`.
 * Throws when the hint contradicts what Athena reported (e.g. `map` vs `array(…)`).
 */
export function applyTypeHint(column: Column, typeText: string): Column {
  const reported = parseAthenaType(column.type);
  const hinted = parseAthenaType(typeText);
  if (reported.kind === 'json' && isComplex(hinted)) {
    return { ...column, type: formatAthenaType(hinted), encoding: 'json' };
  }
  if (reported.kind === hinted.kind) {
    const next: Column = { ...column, type: formatAthenaType(hinted) };
    if (hinted.kind === 'decimal' && hinted.precision !== undefined) {
      next.precision = hinted.precision;
      next.scale = hinted.scale ?? 0;
    }
    return next;
  }
  throw new TransferError('SCHEMA_CONFLICT', `Type hint ${JSON.stringify(typeText)} does not match column ${JSON.stringify(column.name)}, which Athena reports as ${column.type}`, {
    status: 422,
    hint: 'Type hints must describe the same kind of value (array hint for an array column, or a complex type for a CAST(… AS JSON) column); fix or remove the hint.',
    details: { column: column.name, reported: column.type, hint: typeText },
  });
}
