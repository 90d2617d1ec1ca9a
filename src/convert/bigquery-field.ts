import { ColumnNameInvalid } from './errors.ts';

/** GoogleSQL type names we write (the REST API also answers with legacy names: see {@link normalizeBigQueryType}). */
export type BigQueryType =
  | 'BOOL'
  | 'INT64'
  | 'FLOAT64'
  | 'NUMERIC'
  | 'BIGNUMERIC'
  | 'STRING'
  | 'BYTES'
  | 'DATE'
  | 'TIME'
  | 'DATETIME'
  | 'TIMESTAMP'
  | 'JSON'
  | 'RECORD';

export type BigQueryMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

/**
 * One BigQuery schema field, in the shape of `@google-cloud/bigquery`'s `TableField` (REST
 * TableFieldSchema): `precision`/`scale` are decimal strings, present only on parameterized NUMERIC columns.
 */
export interface BigQueryField {
  name: string;
  type: BigQueryType | (string & {});
  mode: BigQueryMode;
  fields?: BigQueryField[];
  precision?: string;
  scale?: string;
}

const LEGACY_NAMES: Readonly<Record<string, string>> = {
  INTEGER: 'INT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  STRUCT: 'RECORD',
  DECIMAL: 'NUMERIC',
  BIGDECIMAL: 'BIGNUMERIC',
};

/** `INTEGER` -> `INT64`, `STRUCT` -> `RECORD`, … (tables.get answers with legacy names). */
export function normalizeBigQueryType(type: string | undefined): string {
  const upper = (type ?? 'STRING').toUpperCase();
  return LEGACY_NAMES[upper] ?? upper;
}

/** A field's mode with the API default applied (absent = NULLABLE). */
export function normalizeMode(mode: string | undefined): BigQueryMode {
  const upper = (mode ?? 'NULLABLE').toUpperCase();
  return upper === 'REQUIRED' || upper === 'REPEATED' ? upper : 'NULLABLE';
}

// https://cloud.google.com/bigquery/docs/schemas#column_names
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_PREFIXES = ['_TABLE_', '_FILE_', '_PARTITION', '_ROW_TIMESTAMP', '__ROOT__', '_COLIDENTIFIER'];
const MAX_NAME = 300;

/**
 * Checks that names can be BigQuery column names (letters, digits, underscores, not starting with a digit,
 * ≤ 300 characters, no reserved prefix, unique ignoring case). Throws {@link ColumnNameInvalid} with a hint
 * to alias the column in SQL. `path` prefixes nested field names in messages (`items.` for row fields).
 *
 * The classic rules are enforced (not BigQuery's newer "flexible column names"), because every load path
 * and client accepts them.
 */
export function validateFieldNames(names: readonly string[], path = ''): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    const full = path + name;
    const alias = suggestAlias(name);
    const fixTop = `Alias the column in the query, e.g. SELECT ${quoteSql(name)} AS ${alias}.`;
    const fixNested = `Rename the field in the query, e.g. CAST(col AS row(${alias} …)) with the same field types, or CAST the column AS JSON.`;
    const fix = path === '' ? fixTop : fixNested;
    if (name === '') throw new ColumnNameInvalid(full, 'the name is empty', path === '' ? 'Give the expression a name in the query: SELECT expr AS some_name.' : fixNested);
    if (name.length > MAX_NAME) throw new ColumnNameInvalid(full, `the name is longer than ${MAX_NAME} characters`, fix);
    if (!NAME.test(name)) {
      throw new ColumnNameInvalid(full, 'only letters, digits and underscores are allowed, and the first character cannot be a digit', fix);
    }
    const upper = name.toUpperCase();
    const prefix = RESERVED_PREFIXES.find((p) => upper.startsWith(p));
    if (prefix !== undefined) throw new ColumnNameInvalid(full, `names starting with ${prefix} are reserved by BigQuery`, fix);
    const lower = name.toLowerCase();
    const previous = seen.get(lower);
    if (previous !== undefined) {
      throw new ColumnNameInvalid(full, `it repeats ${JSON.stringify(path + previous)} (BigQuery column names ignore case)`, path === '' ? `Give one of them another name: SELECT … AS ${alias}_2.` : fixNested);
    }
    seen.set(lower, name);
  }
}

function suggestAlias(name: string): string {
  let alias = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (alias === '' || /^\d/.test(alias)) alias = `c_${alias}`;
  if (RESERVED_PREFIXES.some((p) => alias.toUpperCase().startsWith(p))) alias = `c${alias}`;
  return alias.slice(0, MAX_NAME).toLowerCase();
}

function quoteSql(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** How a value of the wanted type can land in an existing field. */
export type Compatibility =
  | { kind: 'same' }
  /** INT64 -> NUMERIC/BIGNUMERIC, NUMERIC -> BIGNUMERIC, TIMESTAMP -> DATETIME (UTC wall time). */
  | { kind: 'widen' }
  /** The existing field is STRING: the value's exact Athena text is written (B8). */
  | { kind: 'string' }
  | { kind: 'conflict'; hint: string };

/**
 * The single rule for "can a value of `wanted` be written into `existing`", used by both the schema diff
 * and the converter. Only the field itself is compared: RECORD sub-fields are compared by the caller.
 */
export function fieldCompatibility(wanted: BigQueryField, existing: BigQueryField, path: string): Compatibility {
  const w = normalizeBigQueryType(wanted.type);
  const e = normalizeBigQueryType(existing.type);
  const wRepeated = normalizeMode(wanted.mode) === 'REPEATED';
  const eRepeated = normalizeMode(existing.mode) === 'REPEATED';
  // Anything can be written into a STRING field as its exact text (B8); into a REPEATED STRING field,
  // array elements can, one by one.
  if (e === 'STRING' && !eRepeated && (w !== 'STRING' || wRepeated)) return { kind: 'string' };
  if (e === 'STRING' && eRepeated && wRepeated && w !== 'STRING' && w !== 'RECORD') return { kind: 'string' };
  if (wRepeated !== eRepeated) {
    return {
      kind: 'conflict',
      hint: wRepeated
        ? `${path} is an array in the query but not REPEATED in the table: CAST it AS JSON in the query (and make the column JSON or STRING), or write to a new table.`
        : `${path} is REPEATED in the table but a single value in the query: wrap it in ARRAY[…] in the query, or write to a new table.`,
    };
  }
  if (w === e) return { kind: 'same' };
  if (w === 'INT64' && (e === 'NUMERIC' || e === 'BIGNUMERIC')) return { kind: 'widen' };
  if (w === 'NUMERIC' && e === 'BIGNUMERIC') return { kind: 'widen' };
  if (w === 'TIMESTAMP' && e === 'DATETIME') return { kind: 'widen' };
  if (w === 'BIGNUMERIC' && e === 'NUMERIC') {
    return {
      kind: 'conflict',
      hint:
        `${path} needs BIGNUMERIC (its Athena decimal has more than 29 integer digits or more than 9 fraction digits) but the table column is NUMERIC. ` +
        `Fix: ALTER TABLE … ALTER COLUMN ${path} SET DATA TYPE BIGNUMERIC, or CAST the column in the query to a decimal(p,s) with s <= 9 and p - s <= 29.`,
    };
  }
  return {
    kind: 'conflict',
    hint: `${path} would be ${w} but the table column is ${e}: CAST the column in the query to a type that maps to ${e}, or write to a new table (or truncate with a new schema).`,
  };
}
