import {
  describeField,
  fieldCompatibility,
  normalizeBigQueryType,
  normalizeMode,
  type BigQueryField,
  type SchemaConflictItem,
} from '../convert/index.ts';

/** What the config allows the load to change in an existing table. */
export interface SchemaPolicy {
  /** New columns (and new RECORD sub-fields) may be added: load with schemaUpdateOptions ALLOW_FIELD_ADDITION. */
  allowFieldAddition: boolean;
  /** A column whose existing field is STRING may receive other types as their exact text (B8). */
  allowWidenToString: boolean;
}

/** A field the table does not have yet; `path` is dotted for nested ones (`address.zip`). */
export interface AddedField extends BigQueryField {
  path: string;
}

export interface SchemaPlan {
  /** Fields to add (top-level and nested). */
  addFields: AddedField[];
  /** Paths of columns whose existing field is STRING and whose values are written as text. */
  widenToString: string[];
  /** Everything that cannot be reconciled; the load must not start while there is one. */
  conflicts: SchemaConflictItem[];
  /**
   * The table's schema after the load (existing fields in their order, additions appended): the schema to
   * load with, and the `target` to compile the row converter against (compileRowConverter(columns, {target})).
   */
  target: BigQueryField[];
}

export interface DiffOptions {
  /** Athena type text per top-level column (e.g. `decimal(38,18)`), so conflicts can name precision and scale. */
  athenaTypes?: Readonly<Record<string, string>>;
}

/**
 * Compares an existing table's schema with the one the query maps to (pure). Field names match ignoring
 * case (as BigQuery does). Type rules are {@link fieldCompatibility}: same type, exact widenings
 * (INT64 -> NUMERIC/BIGNUMERIC, NUMERIC -> BIGNUMERIC, TIMESTAMP -> DATETIME), exact text into STRING
 * (if allowed); everything else is a conflict with a hint. An existing REQUIRED column the query does not
 * produce is a conflict; an existing REQUIRED column the query produces is fine (a NULL value rejects its
 * row at conversion).
 */
export function diffSchema(
  existing: readonly BigQueryField[],
  wanted: readonly BigQueryField[],
  policy: SchemaPolicy,
  options: DiffOptions = {},
): SchemaPlan {
  const plan: SchemaPlan = { addFields: [], widenToString: [], conflicts: [], target: [] };
  plan.target = diffFields(existing, wanted, '', policy, options, plan);
  return plan;
}

function diffFields(
  existing: readonly BigQueryField[],
  wanted: readonly BigQueryField[],
  prefix: string,
  policy: SchemaPolicy,
  options: DiffOptions,
  plan: SchemaPlan,
): BigQueryField[] {
  const target: BigQueryField[] = existing.map((f) => ({ ...f }));
  const wantedNames = new Set(wanted.map((f) => f.name.toLowerCase()));
  for (const e of existing) {
    if (!wantedNames.has(e.name.toLowerCase()) && normalizeMode(e.mode) === 'REQUIRED') {
      plan.conflicts.push({
        path: prefix + e.name,
        existingType: `REQUIRED ${describeField(e)}`,
        wantedType: '(no such column in the query)',
        hint: `The table requires ${prefix + e.name} but the query does not produce it: add it to the SELECT list, or relax the column (ALTER TABLE … ALTER COLUMN ${e.name} DROP NOT NULL).`,
      });
    }
  }
  for (const w of wanted) {
    const path = prefix + w.name;
    const index = target.findIndex((f) => f.name.toLowerCase() === w.name.toLowerCase());
    if (index < 0) {
      if (policy.allowFieldAddition) {
        const added = relaxRequired(w);
        plan.addFields.push({ ...added, path });
        target.push(added);
      } else {
        plan.conflicts.push({
          path,
          existingType: '(no such column in the table)',
          wantedType: describeField(w),
          hint: `The query has a column ${path} the table lacks: allow adding it (bigquery.allow_field_addition: true), add it yourself (ALTER TABLE … ADD COLUMN ${w.name} …), or drop it from the SELECT list.`,
        });
      }
      continue;
    }
    const e = target[index]!;
    const compatibility = fieldCompatibility(w, e, path);
    switch (compatibility.kind) {
      case 'string':
        if (policy.allowWidenToString) plan.widenToString.push(path);
        else {
          plan.conflicts.push({
            path,
            existingType: describeField(e),
            wantedType: describeField(w),
            hint: `The table column ${path} is STRING: allow writing the exact text (bigquery.widen_to_string: true), or CAST(${w.name} AS varchar) in the query.`,
          });
        }
        break;
      case 'conflict':
        plan.conflicts.push({
          path,
          existingType: describeField(e),
          wantedType: describeWanted(w, prefix === '' ? options.athenaTypes?.[w.name] : undefined),
          hint: conflictHint(w, e, path, prefix === '' ? options.athenaTypes?.[w.name] : undefined) ?? compatibility.hint,
        });
        break;
      default:
        if (normalizeBigQueryType(w.type) === 'RECORD' && normalizeBigQueryType(e.type) === 'RECORD') {
          target[index] = { ...e, fields: diffFields(e.fields ?? [], w.fields ?? [], `${path}.`, policy, options, plan) };
        }
    }
  }
  return target;
}

/** Columns added by a load must be NULLABLE or REPEATED (REQUIRED map keys inside become NULLABLE). */
function relaxRequired(field: BigQueryField): BigQueryField {
  const out: BigQueryField = { ...field, mode: normalizeMode(field.mode) === 'REQUIRED' ? 'NULLABLE' : normalizeMode(field.mode) };
  if (field.fields) out.fields = field.fields.map(relaxRequired);
  return out;
}

function describeWanted(w: BigQueryField, athenaType: string | undefined): string {
  return athenaType === undefined ? describeField(w) : `${describeField(w)} (Athena ${athenaType})`;
}

/** B4: an Athena decimal wider than an existing NUMERIC column; the hint names the column, precision and fix. */
function conflictHint(w: BigQueryField, e: BigQueryField, path: string, athenaType: string | undefined): string | undefined {
  if (normalizeBigQueryType(w.type) !== 'BIGNUMERIC' || normalizeBigQueryType(e.type) !== 'NUMERIC') return undefined;
  const m = athenaType === undefined ? null : /^decimal\((\d+),\s*(\d+)\)$/i.exec(athenaType.trim());
  const limits =
    e.precision !== undefined ? `NUMERIC(${e.precision},${e.scale ?? 0})` : 'NUMERIC (at most 29 digits before and 9 after the decimal point)';
  const need = m ? `Athena decimal(${m[1]},${m[2]}) (up to ${Number(m[1]) - Number(m[2])} digits before and ${m[2]} after the point)` : 'an Athena decimal wider than NUMERIC';
  // The widest decimal that still maps to NUMERIC: at most 29 integer and 9 fraction digits.
  const narrower = m
    ? `decimal(${Math.min(29, Number(m[1]) - Number(m[2])) + Math.min(9, Number(m[2]))},${Math.min(9, Number(m[2]))})`
    : 'decimal(38,9)';
  return (
    `Column ${path} holds ${need}, but the table column is ${limits}. ` +
    `Fix: ALTER TABLE … ALTER COLUMN ${path} SET DATA TYPE BIGNUMERIC, or, if the values fit, CAST(${path} AS ${narrower}) in the query.`
  );
}
