import { TransferError } from '../errors.ts';

/**
 * A type text that is not a type at all (unbalanced parentheses, a dangling comma, text after the type).
 * Unknown *names* never raise this: they parse to an `unknown` node and load as STRING (DESIGN §5).
 */
export class AthenaTypeInvalid extends TransferError {
  override name = 'AthenaTypeInvalid';
  readonly text: string;
  readonly position: number;
  constructor(text: string, position: number, problem: string) {
    const shown = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    super('ATHENA_ERROR', `Cannot parse the Athena type ${JSON.stringify(shown)} at character ${position + 1}: ${problem}`, {
      status: 502,
      hint:
        'Type texts look like Trino typeof() output, e.g. array(row(a integer, "b c" varchar)) or map(varchar, decimal(10,2)); ' +
        'if this came from a type hint in the config, fix the hint, otherwise report the text as a bug.',
      details: { typeText: shown, position },
    });
    this.text = text;
    this.position = position;
  }
}

/** A result column (or row field) whose name BigQuery cannot take as a column name. */
export class ColumnNameInvalid extends TransferError {
  override name = 'ColumnNameInvalid';
  readonly column: string;
  constructor(column: string, reason: string, hint: string) {
    super('SCHEMA_CONFLICT', `Column ${JSON.stringify(column)} cannot be a BigQuery column: ${reason}`, {
      status: 502,
      hint,
      details: { column, reason },
    });
    this.column = column;
  }
}

/** One place where the query's columns and an existing table's schema cannot be reconciled. */
export interface SchemaConflictItem {
  /** Dotted path of the field, e.g. `amount` or `items.price`. */
  path: string;
  existingType: string;
  wantedType: string;
  hint: string;
}

/** The converter was asked to write into a target schema that cannot hold the column (see diffSchema). */
export class SchemaConflict extends TransferError {
  override name = 'SchemaConflict';
  readonly conflicts: readonly SchemaConflictItem[];
  constructor(conflicts: readonly SchemaConflictItem[]) {
    const text = conflicts.map((c) => `${c.path} is ${c.existingType}, the query gives ${c.wantedType}`).join('; ');
    super('SCHEMA_CONFLICT', `The target table does not fit the query result: ${text}`, {
      status: 502,
      hint: conflicts[0]?.hint ?? 'Change the query or the table so that every column fits.',
      details: { conflicts: conflicts.map((c) => ({ ...c })) },
    });
    this.conflicts = conflicts;
  }
}
