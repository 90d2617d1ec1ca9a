/**
 * Helpers for moto's Athena, which executes no SQL: results are queued through moto's own API and popped
 * by the next StartQueryExecution **in the account and region of the signing credentials**
 * (moto/athena/models.py `start_query_execution` → `_store_predefined_query_results`). Calls signed
 * with credentials from AssumeRoleWithWebIdentity land in the role ARN's account.
 */
import type { Stack } from './stack.ts';

/** One column as Athena describes it; omitted fields get Athena's usual values for the type. */
export interface AthenaColumn {
  name: string;
  /** Bare type name as in `ColumnInfo.Type`: `bigint`, `decimal`, `array`, `timestamp with time zone`… */
  type: string;
  precision?: number;
  scale?: number;
  caseSensitive?: boolean;
}

/** The `ColumnInfo` wire shape Athena (and moto, verbatim) returns. */
export interface AthenaColumnInfo {
  CatalogName: string;
  SchemaName: string;
  TableName: string;
  Name: string;
  Label: string;
  Type: string;
  Precision: number;
  Scale: number;
  Nullable: 'NOT_NULL' | 'NULLABLE' | 'UNKNOWN';
  CaseSensitive: boolean;
}

/** A `Row` on the wire: a cell without `VarCharValue` is NULL. */
export interface AthenaWireRow {
  Data: Array<{ VarCharValue?: string }>;
}

/** What to queue for one query. */
export interface QueuedAthenaResult {
  /** Account the query's credentials belong to (the role ARN's account). Default moto's `123456789012`. */
  accountId?: string;
  /** Region of the Athena client. Default the stack's region. */
  region?: string;
  /** Columns, short form or full `ColumnInfo` (e.g. replayed from `test/fixtures/athena-results.json`). */
  columns: ReadonlyArray<AthenaColumn | AthenaColumnInfo>;
  /** Data rows, `null` for NULL. Text exactly as Athena renders it (`VarCharValue`). */
  rows: ReadonlyArray<ReadonlyArray<string | null>>;
  /**
   * Prepend the header row (the column names), as Athena does on page 1 of a SELECT. Default true. moto
   * returns the rows exactly as queued, in one page (it ignores MaxResults/NextToken).
   */
  header?: boolean;
}

/** Precision Athena reports per type (observed, `test/fixtures/athena-results.json`). */
const defaultPrecision: Record<string, number> = {
  tinyint: 3, smallint: 5, integer: 10, bigint: 19, real: 17, double: 17, varchar: 2147483647,
  varbinary: 1073741824, time: 3, 'time with time zone': 3, 'timestamp with time zone': 3, timestamp: 3,
};

function isColumnInfo(column: AthenaColumn | AthenaColumnInfo): column is AthenaColumnInfo {
  return 'Name' in column;
}

/** Full `ColumnInfo` for a short column description, with the values real Athena reports. */
export function columnInfo(column: AthenaColumn | AthenaColumnInfo): AthenaColumnInfo {
  if (isColumnInfo(column)) return column;
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: column.name,
    Label: column.name,
    Type: column.type,
    Precision: column.precision ?? defaultPrecision[column.type] ?? 0,
    Scale: column.scale ?? 0,
    // Athena always says UNKNOWN (DESIGN §4).
    Nullable: 'UNKNOWN',
    CaseSensitive: column.caseSensitive ?? (column.type === 'varchar' || column.type === 'char' || column.type === 'string'),
  };
}

/** Wire rows for plain cells: `null` becomes a cell without `VarCharValue`. */
export function wireRows(rows: ReadonlyArray<ReadonlyArray<string | null>>): AthenaWireRow[] {
  return rows.map((row) => ({ Data: row.map((cell) => (cell === null ? {} : { VarCharValue: cell })) }));
}

async function motoPost(stack: Pick<Stack, 'motoUrl'>, path: string, body: unknown, expected: number): Promise<void> {
  const response = await fetch(`${stack.motoUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(`moto ${path} answered HTTP ${response.status} (expected ${expected}): ${text.slice(0, 300)}`);
  }
}

/**
 * Queues one result; the next StartQueryExecution signed for that account and region takes it (FIFO),
 * and GetQueryResults on that execution then returns it, every time. With an OutputLocation moto also
 * writes `<OutputLocation>/<id>.csv` at StartQueryExecution (if the bucket exists in that account).
 */
export async function queueAthenaResult(stack: Pick<Stack, 'motoUrl' | 'region'>, result: QueuedAthenaResult): Promise<void> {
  const columns = result.columns.map(columnInfo);
  const header = (result.header ?? true) ? [columns.map((c) => c.Name)] : [];
  await motoPost(stack, '/moto-api/static/athena/query-results', {
    account_id: result.accountId ?? '123456789012',
    region: result.region ?? stack.region,
    results: [{ rows: wireRows([...header, ...result.rows]), column_info: columns }],
  }, 201);
}

/**
 * How moto advances `athena::execution` states (QUEUED → RUNNING → SUCCEEDED), server-wide and kept
 * across `/moto-api/reset`:
 * - `immediate` (moto's default): SUCCEEDED at the first GetQueryExecution;
 * - `manual` with `times: n`: each GetQueryExecution counts one tick and the state moves one step when
 *   the count reaches n: QUEUED for n−1 polls, RUNNING for n polls, then SUCCEEDED. To hold a query in
 *   RUNNING, set `times: 1`, poll once, then set `times: 1e9`;
 * - `time` with `seconds: s`: one step each s seconds, checked on GetQueryExecution.
 */
export type AthenaTransition =
  | { progression: 'immediate' }
  | { progression: 'manual'; times: number }
  | { progression: 'time'; seconds: number };

/** Sets (or, with `null`, restores moto's default for) the Athena execution state progression. */
export async function setAthenaTransition(stack: Pick<Stack, 'motoUrl'>, transition: AthenaTransition | null): Promise<void> {
  if (transition === null) {
    await motoPost(stack, '/moto-api/state-manager/unset-transition', { model_name: 'athena::execution' }, 201);
    return;
  }
  await motoPost(stack, '/moto-api/state-manager/set-transition', { model_name: 'athena::execution', transition }, 201);
}

/** Drops every moto resource (buckets, executions, queued results); transitions are NOT reset by moto. */
export async function resetMoto(stack: Pick<Stack, 'motoUrl'>): Promise<void> {
  await motoPost(stack, '/moto-api/reset', {}, 200);
  await setAthenaTransition(stack, null);
}
