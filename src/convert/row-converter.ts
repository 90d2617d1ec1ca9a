import type { BigQueryField } from './bigquery-field.ts';
import type { Column } from './column.ts';
import type { ConvertStats, LeafFn } from './leaves.ts';
import { planColumns, type SchemaWarning } from './plan.ts';

/** A value BigQuery cannot hold; the row is rejected, never silently changed (DESIGN §5). */
export interface RejectedValue {
  column: string;
  /** The cell text as Athena gave it. */
  value: string;
  reason: string;
}

export interface RowConverter {
  /** The BigQuery schema the columns map to (independent of any target). */
  readonly fields: readonly BigQueryField[];
  /** How some columns are loaded (raw-text fallbacks), for the report. */
  readonly warnings: readonly SchemaWarning[];
  /** Counters, all numbers (e.g. truncatedTimestamps, jsonNullsCollapsed); they grow as rows are converted. */
  readonly stats: ConvertStats;
  /**
   * One row of cells (`null` = SQL NULL, `""` = empty string) -> one NDJSON line without the newline, or
   * the first value BigQuery cannot hold.
   */
  convert(cells: readonly (string | null)[]): string | RejectedValue;
}

export interface RowConverterOptions {
  /**
   * The existing table's schema, when writing into one: each column is written in the form its field
   * takes (exact text for STRING fields, B8; digit limits for NUMERIC; wall time for DATETIME). Use the
   * `target` of diffSchema's plan. Throws SchemaConflict when a column cannot fit.
   */
  target?: readonly BigQueryField[];
}

/**
 * Compiles the converters of all columns once (dispatch table in type-table.ts), then converts rows in a
 * plain indexed loop by concatenating per-column JSON fragments: no per-value type switch, no objects,
 * no JSON.stringify of the row.
 */
export function compileRowConverter(columns: readonly Column[], options: RowConverterOptions = {}): RowConverter {
  const plan = planColumns(columns, options.target);
  const n = plan.columns.length;
  const names: string[] = [];
  // `"name":` and `,"name":` precomputed, so a value costs one concatenation.
  const keys: string[] = [];
  const commaKeys: string[] = [];
  const nulls: string[] = [];
  const converters: LeafFn[] = [];
  // 0: write null, 1: omit (REPEATED: BigQuery stores an empty array), 2: reject (REQUIRED target field).
  const onNull = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = plan.columns[i]!;
    names.push(p.column.name);
    keys.push(`${JSON.stringify(p.outputName)}:`);
    commaKeys.push(`,${JSON.stringify(p.outputName)}:`);
    nulls.push(`${JSON.stringify(p.outputName)}:null`);
    converters.push(p.convert);
    onNull[i] = p.onNull === 'null' ? 0 : p.onNull === 'omit' ? 1 : 2;
  }
  const stats = plan.stats;

  const convert = (cells: readonly (string | null)[]): string | RejectedValue => {
    if (cells.length !== n) {
      return {
        column: '(row)',
        value: `${cells.length} cells`,
        reason: `the row has ${cells.length} cells but the result has ${n} columns`,
      };
    }
    let out = '{';
    let first = true;
    for (let i = 0; i < n; i++) {
      const cell = cells[i];
      // Only a missing value is NULL: "" is an empty string (A3, A4), never a truthiness test.
      if (cell !== null && cell !== undefined) {
        const v = converters[i]!(cell);
        if (typeof v === 'string') {
          out += (first ? keys[i]! : commaKeys[i]!) + v;
          first = false;
          continue;
        }
        if (v !== null) return { column: names[i]!, value: cell, reason: v.reason };
      }
      const policy = onNull[i];
      if (policy === 0) {
        out += first ? nulls[i]! : `,${nulls[i]!}`;
        first = false;
      } else if (policy === 1) {
        stats.nullArraysAsEmpty++;
      } else {
        return { column: names[i]!, value: cell ?? 'NULL', reason: 'NULL cannot be written to the REQUIRED column of the target table' };
      }
    }
    return `${out}}`;
  };

  return { fields: plan.fields, warnings: plan.warnings, stats, convert };
}
