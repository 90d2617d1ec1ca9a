import { GetQueryResultsCommand, type AthenaClient, type ColumnInfo, type Row } from '@aws-sdk/client-athena';
import { TransferError } from '../errors.ts';
import { athenaCallError } from './errors.ts';
import type { Execution } from './execution.ts';

/** Domain view of Athena's ColumnInfo (bare type names: DESIGN §4). */
export interface ResultColumn {
  name: string;
  type: string;
  precision?: number;
  scale?: number;
}

export type Cells = (string | null)[];

export interface ResultPage {
  columns: ResultColumn[];
  rows: Cells[];
  /** true when Athena returned a NextToken: another page follows (the read-path choice looks at page 1's). */
  more?: boolean;
}

export function toResultColumns(infos: readonly ColumnInfo[] | undefined): ResultColumn[] {
  return (infos ?? []).map((info, i) => {
    const column: ResultColumn = { name: info.Name ?? info.Label ?? `_col${i}`, type: (info.Type ?? 'unknown').toLowerCase() };
    if (info.Precision !== undefined) column.precision = info.Precision;
    if (info.Scale !== undefined) column.scale = info.Scale;
    return column;
  });
}

/**
 * Only a SELECT's result carries a header row, and only on page 1 (DESIGN §4; public-reports A1/A2).
 * Decided by statement type, never by "row 0 looks like the names".
 */
export function hasHeaderRow(execution: Pick<Execution, 'statementType' | 'substatementType'>): boolean {
  if (execution.statementType !== 'DML') return false;
  return execution.substatementType === undefined || execution.substatementType === 'SELECT';
}

/**
 * Turns one page of wire rows into cells. A cell without `VarCharValue` is SQL NULL; `""` is an empty
 * string (A3/A4: never a truthiness test). Older engines pack a UTILITY row (DESCRIBE) into one
 * tab-separated datum although ColumnInfo lists several columns: split and trim it (case c16).
 */
export function pageCells(rows: readonly Row[], options: { dropHeader: boolean; columns: readonly ResultColumn[] }): Cells[] {
  const width = options.columns.length;
  const out: Cells[] = [];
  for (let r = options.dropHeader ? 1 : 0; r < rows.length; r++) {
    const data = rows[r]?.Data ?? [];
    if (data.length === 1 && width > 1 && typeof data[0]?.VarCharValue === 'string' && data[0].VarCharValue.includes('\t')) {
      out.push(data[0].VarCharValue.split('\t').map((s) => s.trim()));
      continue;
    }
    const cells: Cells = new Array(width);
    for (let c = 0; c < width; c++) {
      const value = data[c]?.VarCharValue;
      cells[c] = value === undefined ? null : value;
    }
    out.push(cells);
  }
  return out;
}

/** Checks that page 1's row 0 of a SELECT really is the header before dropping it: losing a data row silently is worse than failing. */
export function assertHeader(rows: readonly Row[], columns: readonly ResultColumn[], queryExecutionId: string): void {
  const header = rows[0]?.Data?.map((d) => d.VarCharValue ?? null) ?? null;
  if (header === null) return; // an empty result: no rows at all
  const ok = header.length === columns.length && header.every((h, i) => h !== null && h.toLowerCase() === columns[i]?.name.toLowerCase());
  if (!ok) {
    throw new TransferError('ATHENA_ERROR', `Athena result page 1 of ${queryExecutionId} does not start with the header row`, {
      hint: 'The result shape differs from what Athena documents for SELECT; nothing was written. Report this with the query execution id.',
      details: { queryExecutionId, expected: columns.map((c) => c.name), received: header.slice(0, 50) },
    });
  }
}

export interface PagesOptions {
  /** ≤ 1000 (the API's maximum, header row included). */
  pageSize?: number;
}

/**
 * Every page of GetQueryResults as an async generator (STYLE 7): the caller pulls, so memory stays at one
 * page. Stops when NextToken is absent, and refuses a repeated token (it would loop forever).
 */
export async function* resultPages(client: AthenaClient, execution: Execution, options: PagesOptions = {}): AsyncGenerator<ResultPage> {
  const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
  const withHeader = hasHeaderRow(execution);
  let token: string | undefined;
  let columns: ResultColumn[] | undefined;
  for (let page = 0; ; page++) {
    let out;
    try {
      out = await client.send(
        new GetQueryResultsCommand({ QueryExecutionId: execution.id, MaxResults: pageSize, ...(token ? { NextToken: token } : {}) }),
      );
    } catch (error) {
      throw athenaCallError('GetQueryResults', error, { queryExecutionId: execution.id, page });
    }
    const rows = out.ResultSet?.Rows ?? [];
    columns ??= toResultColumns(out.ResultSet?.ResultSetMetadata?.ColumnInfo);
    const first = page === 0;
    if (first && withHeader) assertHeader(rows, columns, execution.id);
    const next = out.NextToken;
    yield { columns, rows: pageCells(rows, { dropHeader: first && withHeader, columns }), ...(next ? { more: true } : {}) };
    if (!next) return;
    if (next === token) {
      throw new TransferError('ATHENA_ERROR', `GetQueryResults returned the same NextToken twice for ${execution.id}`, {
        hint: 'Retry the run; Athena paging misbehaved and nothing was written.',
        details: { queryExecutionId: execution.id, page },
      });
    }
    token = next;
  }
}
