/**
 * The type probe (issue 3): full column types before the transfer, so array/map/row columns load as exact
 * REPEATED/RECORD fields instead of ambiguous text.
 *
 * Athena's ColumnInfo names only the bare kind of a complex column (`array`, `map`, `row`: DESIGN §4), and
 * its text rendering (`[a, b]`, `{k=v}`) is unquoted, so ambiguous as soon as a leaf is a string. So:
 * - `athena.table`: GetTableMetadata gives every column's full (Hive-spelled) type from the Glue catalog,
 *   with no query and no scan;
 * - `athena.query`: `SELECT * FROM (<query>) LIMIT 0` gives names and bare kinds. Trino (Athena engine v3)
 *   rewrites a LIMIT 0 into an empty VALUES node at planning time (trinodb/trino RemoveRedundantLimit), so
 *   it reads no data. Only if a column is complex, a typeof() probe follows, also over a LIMIT 0 source: an
 *   outer join of one VALUES row with the empty result yields one all-NULL row, and typeof() names the type
 *   of a NULL as well (TypeOfFunction takes an @SqlNullable value). No scan, and an answer even when the
 *   query has no rows. If Athena refuses that form, the plain `… FROM (<query>) LIMIT 1` form is tried.
 * Then the main query selects each typed complex column as `CAST(col AS JSON)`: quoted, unambiguous text
 * that the converter parses with the full type (`applyTypeHint` sets `encoding: 'json'`).
 *
 * Pure SQL builders first, then the runner. Nothing here reads the environment.
 */
import { createHash } from 'node:crypto';
import { GetTableMetadataCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { quoteIdentifier } from '../config/index.ts';
import { applyTypeHint, parseAthenaType, type Column } from '../convert/index.ts';
import { TransferError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { runQuery, type Execution, type QuerySpec } from './execution.ts';
import { resultPages, type Cells, type ResultColumn } from './results.ts';

// --- SQL builders (pure) ------------------------------------------------------------------------------

/** Alias of the user's query inside the probe and main queries; its column list renames every column. */
const SOURCE = quoteIdentifier('a2bq_source');
const ONE_ROW = `(VALUES 0) AS ${quoteIdentifier('a2bq_one')}(${quoteIdentifier('a2bq_x')})`;

/** A table the job copies whole (`athena.table`). */
export interface ProbeTable {
  catalog: string;
  database: string;
  table: string;
}

/**
 * The user's SQL ready to be a subquery: surrounding whitespace and trailing `;` removed. The builders put
 * it on lines of its own, so a trailing `-- comment` cannot swallow the closing parenthesis.
 */
export function subquerySql(query: string): string {
  return query.trim().replace(/(?:\s*;)+$/, '');
}

/** Step 1: names and bare types, no scan. */
export function columnsProbeSql(query: string): string {
  return `SELECT * FROM (\n${subquerySql(query)}\n) LIMIT 0`;
}

/** `"name"` list for a relation's column aliases. */
function aliasList(columns: readonly string[]): string {
  return columns.map(quoteIdentifier).join(', ');
}

/**
 * Step 2: one row of `typeof()` texts for the complex columns, in the order given. `scan_free` (default)
 * joins one VALUES row with the LIMIT 0 result (no scan, always one row); `limit_1` reads the first row
 * of the query itself (can scan, and yields no row for an empty result).
 * `columns` are all result columns in order: the alias list renames them, so unnamed (`_col0`) and oddly
 * named columns can be referenced.
 */
export function typesProbeSql(query: string, columns: readonly string[], complex: readonly string[], variant: 'scan_free' | 'limit_1' = 'scan_free'): string {
  if (complex.length === 0) throw new RangeError('typesProbeSql needs at least one column');
  const sub = subquerySql(query);
  if (variant === 'limit_1') {
    const list = complex.map((c) => `typeof(${quoteIdentifier(c)}) AS ${quoteIdentifier(c)}`).join(', ');
    return `SELECT ${list}\nFROM (\n${sub}\n) AS ${SOURCE}(${aliasList(columns)})\nLIMIT 1`;
  }
  const list = complex.map((c) => `typeof(${SOURCE}.${quoteIdentifier(c)}) AS ${quoteIdentifier(c)}`).join(', ');
  return `SELECT ${list}\nFROM ${ONE_ROW}\nLEFT JOIN (SELECT * FROM (\n${sub}\n) LIMIT 0) AS ${SOURCE}(${aliasList(columns)}) ON true`;
}

/** The select list of the main query: `"a", CAST("b" AS JSON) AS "b"`. */
function selectList(columns: readonly string[], cast: ReadonlySet<string>): string {
  return columns.map((c) => (cast.has(c) ? `CAST(${quoteIdentifier(c)} AS JSON) AS ${quoteIdentifier(c)}` : quoteIdentifier(c))).join(', ');
}

/**
 * Step 3: the main query with the `cast` columns as JSON text. Over a query: the query as a subquery whose
 * alias list keeps every column's name; over a table: the table's columns, named.
 */
export function mainQuerySql(source: { query: string } | { table: ProbeTable }, columns: readonly string[], cast: readonly string[]): string {
  const castSet = new Set(cast);
  for (const c of cast) if (!columns.includes(c)) throw new RangeError(`column ${c} to cast is not among the columns`);
  if ('table' in source) {
    const t = source.table;
    return `SELECT ${selectList(columns, castSet)}\nFROM ${quoteIdentifier(t.catalog)}.${quoteIdentifier(t.database)}.${quoteIdentifier(t.table)}`;
  }
  return `SELECT ${selectList(columns, castSet)}\nFROM (\n${subquerySql(source.query)}\n) AS ${SOURCE}(${aliasList(columns)})`;
}

/**
 * A ClientRequestToken for a query derived from the run's token: the same run and SQL give the same token
 * (a retried run re-attaches instead of running again, DESIGN §7), while Athena refuses one token for two
 * different query strings, so every distinct SQL gets its own. 5 + purpose + 1 + 64 ≤ 128 characters.
 */
export function derivedRequestToken(baseToken: string, purpose: 'columns' | 'types' | 'types1' | 'main', sql: string): string {
  const digest = createHash('sha256').update(`${baseToken}\u0000${purpose}\u0000${sql}`).digest('hex');
  return `a2bq-${purpose}-${digest}`;
}

/** True for the kinds whose element types ColumnInfo leaves out. */
export function isComplexTypeText(type: string): boolean {
  try {
    const kind = parseAthenaType(type).kind;
    return kind === 'array' || kind === 'map' || kind === 'row';
  } catch {
    return false;
  }
}

// --- applying the result (pure) -----------------------------------------------------------------------

/**
 * Completes the main query's columns with the probed full types (by name; Athena names are
 * case-insensitive). A type that no longer fits what the main query reports (the table changed between
 * probe and query) is not applied: the column keeps its reported type and a warning says so.
 */
export function applyProbedTypes(columns: readonly Column[], types: Readonly<Record<string, string>>): { columns: Column[]; warnings: string[] } {
  const byName = new Map(Object.entries(types).map(([name, type]) => [name.toLowerCase(), type]));
  const warnings: string[] = [];
  const out = columns.map((column) => {
    const type = byName.get(column.name.toLowerCase());
    if (type === undefined) return column;
    try {
      return applyTypeHint(column, type);
    } catch (error) {
      if (!(error instanceof TransferError)) throw error;
      warnings.push(`${column.name}: the probed type ${type} does not match the result's ${column.type} (did the table change during the run?); loaded by the reported type`);
      return column;
    }
  });
  return { columns: out, warnings };
}

// --- the runner -----------------------------------------------------------------------------------------

/** One probe query, for the report and the step trace. */
export interface ProbeQuery {
  purpose: 'columns' | 'types';
  queryExecutionId: string;
  state: string;
  dataScannedBytes: number;
  durationMs: number;
  engineExecutionMs?: number;
}

/** What the probe found and the main query to run. */
export interface TypeProbe {
  /** `glue`: GetTableMetadata; `query`: probe queries; `none`: nothing was learned (off, or see warnings). */
  source: 'glue' | 'query' | 'none';
  /** The main query: complex columns as CAST(… AS JSON), or the configured SQL unchanged. */
  sql: string;
  /** The run's token when `sql` is unchanged, else one derived from the new SQL. */
  clientRequestToken: string;
  /** Full type of each column selected as JSON (name → type text, Athena or Hive spelling). */
  types: Record<string, string>;
  queries: ProbeQuery[];
  warnings: string[];
  durationMs: number;
}

export interface ProbeTypesOptions {
  mode: 'auto' | 'off';
  /** The main query as configured: SQL, workgroup, catalog, database, output location, ClientRequestToken. */
  spec: QuerySpec;
  /** Set for `athena.table` jobs: Glue metadata first, no probe query. */
  table?: ProbeTable;
  /** Budget for each probe query (start to SUCCEEDED). */
  timeoutMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  log?: Logger;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  /** Called as soon as a probe query has an id, so a failing run still reports it. */
  onQuery?: (query: { purpose: 'columns' | 'types'; queryExecutionId: string }) => void;
}

/** The columns of a table from Glue, Hive spelling (`array<struct<a:int>>`); partition keys come last, as SELECT * gives them. */
export async function tableColumns(client: AthenaClient, table: ProbeTable, workgroup?: string): Promise<{ name: string; type: string | undefined }[]> {
  const out = await client.send(
    new GetTableMetadataCommand({ CatalogName: table.catalog, DatabaseName: table.database, TableName: table.table, ...(workgroup ? { WorkGroup: workgroup } : {}) }),
  );
  const meta = out.TableMetadata;
  const wire = [...(meta?.Columns ?? []), ...(meta?.PartitionKeys ?? [])];
  if (wire.length === 0) throw new Error('GetTableMetadata returned no columns');
  return wire.map((c, i) => {
    if (typeof c.Name !== 'string' || c.Name === '') throw new Error(`GetTableMetadata column ${i} has no name`);
    return { name: c.Name, type: typeof c.Type === 'string' && c.Type.trim() !== '' ? c.Type.trim() : undefined };
  });
}

/**
 * Learns the full types of the complex columns and builds the main query (see the file comment).
 * Never makes the transfer fail for want of types: when a probe cannot run (a refused GetTableMetadata,
 * a probe query Athena FAILS, duplicate column names, an empty typeof() answer) the warnings say why and
 * those columns load as raw STRING, as with `type_probe: off`. Timeouts, cancellations and API errors of a
 * probe query do stop the run (they would stop the main query too).
 */
export async function probeTypes(client: AthenaClient, options: ProbeTypesOptions): Promise<TypeProbe> {
  const now = options.now ?? Date.now;
  const log = options.log ?? silentLogger;
  const started = now();
  const base = options.spec;
  const result: TypeProbe = { source: 'none', sql: base.sql, clientRequestToken: base.clientRequestToken, types: {}, queries: [], warnings: [], durationMs: 0 };
  const done = (): TypeProbe => {
    result.durationMs = now() - started;
    return result;
  };
  if (options.mode === 'off') return done();

  const withTypes = (columns: readonly string[], types: ReadonlyMap<string, string>, source: { query: string } | { table: ProbeTable }): TypeProbe => {
    const cast = columns.filter((c) => types.has(c));
    if (cast.length > 0) {
      result.types = Object.fromEntries(cast.map((c) => [c, types.get(c)!]));
      result.sql = mainQuerySql(source, columns, cast);
      result.clientRequestToken = derivedRequestToken(base.clientRequestToken, 'main', result.sql);
    }
    return done();
  };

  if (options.table) {
    try {
      const columns = await tableColumns(client, options.table, base.workgroup);
      const types = new Map<string, string>();
      for (const c of columns) if (c.type !== undefined && isComplexTypeText(c.type)) types.set(c.name, c.type);
      result.source = 'glue';
      log.info('column types from Glue table metadata', { table: options.table.table, complexColumns: types.size });
      if (duplicates(columns.map((c) => c.name)).length > 0) {
        result.warnings.push(`type probe: table ${options.table.table} lists duplicate column names; complex columns load as raw STRING`);
        return done();
      }
      return withTypes(
        columns.map((c) => c.name),
        types,
        { table: options.table },
      );
    } catch (error) {
      // Glue access is a separate permission (athena:GetTableMetadata + glue:GetTable); probing by query still works.
      const name = (error as { name?: unknown } | undefined)?.name;
      result.warnings.push(
        `type probe: GetTableMetadata for ${options.table.table} failed (${typeof name === 'string' ? name : 'error'}); probed with queries instead. Grant athena:GetTableMetadata and glue:GetTable to skip the probe queries.`,
      );
      log.warn('GetTableMetadata failed: probing with queries', { table: options.table.table, errorName: name });
    }
  }

  const columnsRun = await probeQuery(client, options, 'columns', columnsProbeSql(base.sql), result, now);
  if ('failed' in columnsRun) {
    result.warnings.push(`type probe: Athena could not run the query as a subquery (${columnsRun.failed}); it runs unchanged and complex columns load as raw STRING`);
    return done();
  }
  result.source = 'query';
  const names = columnsRun.columns.map((c) => c.name);
  const complex = columnsRun.columns.filter((c) => isComplexTypeText(c.type)).map((c) => c.name);
  if (complex.length === 0) return done();
  const dup = duplicates(names);
  if (dup.length > 0) {
    // An alias list needs unique names; BigQuery refuses such a result anyway (the schema step says so).
    result.warnings.push(`type probe: the query returns duplicate column names (${dup.join(', ')}); complex columns load as raw STRING`);
    return done();
  }

  let typesRun = await probeQuery(client, options, 'types', typesProbeSql(base.sql, names, complex, 'scan_free'), result, now, 'types');
  if ('failed' in typesRun) {
    const first = typesRun.failed;
    typesRun = await probeQuery(client, options, 'types', typesProbeSql(base.sql, names, complex, 'limit_1'), result, now, 'types1');
    if ('failed' in typesRun) {
      result.warnings.push(`type probe: both typeof() probes failed (${first}; ${typesRun.failed}); ${complex.join(', ')} load as raw STRING`);
      return done();
    }
  }
  const row = typesRun.rows[0];
  if (row === undefined) {
    result.warnings.push(`type probe: the query returned no rows, so the element types of ${complex.join(', ')} are unknown; they load as raw STRING`);
    return done();
  }
  const types = new Map<string, string>();
  complex.forEach((name, i) => {
    const text = row[i];
    if (typeof text === 'string' && isComplexTypeText(text)) types.set(name, text);
    else result.warnings.push(`type probe: typeof(${name}) answered ${JSON.stringify(text ?? null)}, not an array/map/row type; ${name} loads as raw STRING`);
  });
  return withTypes(names, types, { query: base.sql });
}

interface ProbeRun {
  execution: Execution;
  columns: ResultColumn[];
  rows: Cells[];
}

/**
 * Runs one probe query to the end and reads its (tiny) result. A query Athena FAILS comes back as
 * `{failed: reason}`: failed queries are free, and the main query then reports any real error against the
 * user's own SQL (line numbers included). Timeouts, cancellations and API errors are thrown.
 */
async function probeQuery(
  client: AthenaClient,
  options: ProbeTypesOptions,
  purpose: 'columns' | 'types',
  sql: string,
  result: TypeProbe,
  now: () => number,
  tokenPurpose: 'columns' | 'types' | 'types1' = purpose,
): Promise<ProbeRun | { failed: string }> {
  const started = now();
  let id: string | undefined;
  try {
    const execution = await runQuery(
      client,
      { ...options.spec, sql, clientRequestToken: derivedRequestToken(options.spec.clientRequestToken, tokenPurpose, sql) },
      {
        timeoutMs: options.timeoutMs,
        minDelayMs: options.minDelayMs,
        maxDelayMs: options.maxDelayMs,
        ...(options.log ? { log: options.log } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.sleep ? { sleep: options.sleep } : {}),
        now,
        onStarted: (queryExecutionId) => {
          id = queryExecutionId;
          options.onQuery?.({ purpose, queryExecutionId });
        },
      },
    );
    let columns: ResultColumn[] = [];
    const rows: Cells[] = [];
    for await (const page of resultPages(client, execution)) {
      columns = page.columns;
      for (const row of page.rows) rows.push(row);
    }
    const record: ProbeQuery = { purpose, queryExecutionId: execution.id, state: execution.state, dataScannedBytes: execution.dataScannedBytes, durationMs: now() - started };
    if (execution.engineExecutionMs !== undefined) record.engineExecutionMs = execution.engineExecutionMs;
    result.queries.push(record);
    return { execution, columns, rows };
  } catch (error) {
    if (error instanceof TransferError && error.code === 'ATHENA_QUERY_FAILED') {
      const reason = typeof error.details.reason === 'string' ? error.details.reason : error.message;
      const queryExecutionId = id ?? (typeof error.details.queryExecutionId === 'string' ? error.details.queryExecutionId : '');
      result.queries.push({ purpose, queryExecutionId, state: 'FAILED', dataScannedBytes: 0, durationMs: now() - started });
      return { failed: reason.length > 200 ? `${reason.slice(0, 200)}…` : reason };
    }
    throw error;
  }
}

function duplicates(names: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) {
    const key = n.toLowerCase();
    if (seen.has(key)) dup.add(n);
    seen.add(key);
  }
  return [...dup];
}
