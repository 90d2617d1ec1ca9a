import { formatAthenaType, hasBareComplex, isComplex, parseAthenaType, type AthenaType } from './athena-type.ts';
import { normalizeMode, validateFieldNames, type BigQueryField } from './bigquery-field.ts';
import type { Column } from './column.ts';
import { SchemaConflict } from './errors.ts';
import { newStats, type ConvertStats, type LeafFn } from './leaves.ts';
import { compileType, fieldOf, nativeSafe, whole, type CompileContext } from './type-table.ts';

/** Something the user should know about how a column is loaded (listed in the run report). */
export interface SchemaWarning {
  column: string;
  message: string;
  hint: string;
}

/** What happens to a SQL NULL cell of a column. */
export type NullPolicy = 'null' | 'omit' | 'reject';

/** One column, resolved: its BigQuery field and its whole-cell converter. */
export interface PlannedColumn {
  readonly column: Column;
  /** The type the converter was compiled for (after fallbacks: raw STRING, JSON). */
  readonly type: AthenaType;
  readonly field: BigQueryField;
  /** The JSON key as written (the target's spelling when the table already has the column). */
  readonly outputName: string;
  readonly convert: LeafFn;
  readonly onNull: NullPolicy;
}

export interface ColumnPlan {
  columns: PlannedColumn[];
  /** The schema the query result maps to (what a new table gets). */
  fields: BigQueryField[];
  warnings: SchemaWarning[];
  stats: ConvertStats;
}

/**
 * Resolves every column once: type text -> AthenaType -> BigQuery field + converter. Complex columns fall
 * back to raw text when their element types are unknown (bare `array` from ColumnInfo) or when Athena's
 * native rendering is ambiguous for their leaves (strings in `[a, b]`); both are reported as warnings.
 * Throws ColumnNameInvalid for names BigQuery cannot take, SchemaConflict for an incompatible target.
 */
export function planColumns(columns: readonly Column[], target?: readonly BigQueryField[]): ColumnPlan {
  validateFieldNames(columns.map((c) => c.name));
  const stats = newStats();
  const warnings: SchemaWarning[] = [];
  const conflicts: CompileContext['conflicts'] = [];
  const planned = columns.map((column): PlannedColumn => {
    const { type, json } = effectiveType(column, warnings);
    const lower = column.name.toLowerCase();
    const targetField = target?.find((f) => f.name.toLowerCase() === lower);
    const cx: CompileContext = { stats, path: column.name, conflicts };
    const compiled = compileType(type, cx, targetField);
    const field = fieldOf(column.name, compiled);
    const convert = json && type.kind !== 'json' ? whole(compiled.codec.json, true) : compiled.codec.text;
    const repeated = compiled.shape.repeated;
    const required = targetField !== undefined && normalizeMode(targetField.mode) === 'REQUIRED';
    return {
      column,
      type,
      field,
      outputName: targetField?.name ?? column.name,
      convert,
      onNull: repeated ? 'omit' : required ? 'reject' : 'null',
    };
  });
  if (conflicts.length > 0) throw new SchemaConflict(conflicts);
  return { columns: planned, fields: planned.map((p) => p.field), warnings, stats };
}

/** The type a column is converted as, after filling a bare decimal and the complex-type fallbacks. */
function effectiveType(column: Column, warnings: SchemaWarning[]): { type: AthenaType; json: boolean } {
  let type = parseAthenaType(column.type);
  const json = column.encoding === 'json';
  if (type.kind === 'decimal' && type.precision === undefined && column.precision !== undefined) {
    type = { kind: 'decimal', precision: column.precision, scale: column.scale ?? 0 };
  }
  if (!isComplex(type)) return { type, json };
  const typeText = formatAthenaType(type);
  if (hasBareComplex(type)) {
    if (json) {
      warnings.push({
        column: column.name,
        message: `${typeText} column ${column.name} has no element types; its CAST(… AS JSON) text is loaded into a JSON column`,
        hint: 'Give the full type (a typeof() probe or Glue metadata) to load it as REPEATED/RECORD fields.',
      });
      return { type: { kind: 'json' }, json: false };
    }
    warnings.push({
      column: column.name,
      message: `${typeText} column ${column.name} has no element types (Athena's ColumnInfo does not give them); its text is loaded as STRING`,
      hint: `Give the full type (a typeof(${column.name}) probe or Glue metadata), or select CAST(${column.name} AS JSON) to load it as JSON.`,
    });
    return { type: { kind: 'unknown', text: typeText }, json: false };
  }
  if (!json && !nativeSafe(type)) {
    warnings.push({
      column: column.name,
      message: `${typeText} column ${column.name} is loaded as STRING: Athena renders it without quotes (e.g. [a, b, c]), which is ambiguous for its string/json/binary values`,
      hint: `Select CAST(${column.name} AS JSON) instead, so that it loads exactly as ${typeText}.`,
    });
    return { type: { kind: 'unknown', text: typeText }, json: false };
  }
  return { type, json };
}

/**
 * Athena columns -> the BigQuery schema of a new table (DESIGN §5). Every top-level field is NULLABLE
 * (Athena reports Nullable UNKNOWN), arrays are REPEATED. See {@link planBigQuerySchema} for the warnings.
 */
export function toBigQuerySchema(columns: readonly Column[]): BigQueryField[] {
  return planColumns(columns).fields;
}

/** The schema and the warnings about how columns are loaded (raw-text fallbacks). */
export function planBigQuerySchema(columns: readonly Column[]): { fields: BigQueryField[]; warnings: SchemaWarning[] } {
  const plan = planColumns(columns);
  return { fields: plan.fields, warnings: plan.warnings };
}
