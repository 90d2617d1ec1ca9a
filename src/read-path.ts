/**
 * Which reader brings the rows of a finished query: GetQueryResults pages (`rows`) or Athena's result CSV
 * on S3 (`s3_csv`), per `transfer.read_path`.
 *
 * `auto`: page 1 of GetQueryResults is always fetched (it carries the column types the CSV lacks). If it
 * is the whole result (no NextToken), its rows are used: nothing more to read. Otherwise the result file is
 * opened on S3, and only when S3 answers (access and existence known) are the pages abandoned; a denied or
 * missing file falls back to paging from page 2 with a warning, before any row has moved.
 * `s3_csv`: the same, but a failing S3 read fails the run (the operator asked for it; the hint says how to fix).
 * `rows`: paging only, one page read ahead so Athena's per-call latency overlaps with conversion and upload.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import { hasHeaderRow, resultPages, type Execution, type ResultPage } from './athena/index.ts';
import { openResultFile, resultCsvLocation, resultFileRows, type ResultFile } from './athena/s3-result.ts';
import type { ReadPath } from './config/index.ts';
import { asTransferError } from './errors.ts';
import { silentLogger, type Logger } from './log.ts';

/** The reader that ran. */
export type ReadPathName = 'rows' | 's3_csv';

/** The rows of a query, ready to convert: `firstPage` (columns and maybe rows) then `rest`, pulled by the caller. */
export interface ResultSource {
  path: ReadPathName;
  /** Why this path, in words, for the log and the report's load facts. */
  reason: string;
  /** Column metadata (from GetQueryResults page 1) and any rows already in hand. */
  firstPage: ResultPage;
  /** The remaining batches; undefined when page 1 was everything. */
  rest: AsyncIterator<ResultPage> | undefined;
  /** Warnings for the report (e.g. an S3 fallback). */
  warnings: string[];
  /** The S3 file being read, on the s3_csv path. */
  file?: Pick<ResultFile, 'ref' | 'contentLength' | 'bytesRead' | 'resumes'>;
  /** Releases the S3 connection / pending page requests; idempotent, safe after a full read. */
  close(): void;
}

export interface ReadPathDeps {
  athena: AthenaClient;
  /** Without it only the rows path is possible. */
  s3?: S3Client;
  log?: Logger;
  signal?: AbortSignal;
  /** Rows per CSV batch (default 1000, like a GetQueryResults page, so progress and chunking look alike). */
  batchRows?: number;
}

/** Opens the result of a SUCCEEDED execution on the path `mode` asks for (see the file comment). */
export async function openResultSource(execution: Execution, mode: ReadPath, deps: ReadPathDeps): Promise<ResultSource> {
  const log = deps.log ?? silentLogger;
  const pages = resultPages(deps.athena, execution);
  const first = await pages.next();
  const firstPage: ResultPage = first.done ? { columns: [], rows: [] } : first.value;
  const more = !first.done && firstPage.more === true;
  const warnings: string[] = [];
  const rowsSource = (reason: string): ResultSource => {
    const rest = more ? readAhead(pages) : undefined;
    return {
      path: 'rows',
      reason,
      firstPage,
      rest,
      warnings,
      close: () => {
        void (rest ?? pages).return?.(undefined)?.catch(() => undefined);
      },
    };
  };

  if (mode === 'rows') return rowsSource('transfer.read_path is rows');
  if (mode === 'auto' && !more) return rowsSource('the whole result fit in the first GetQueryResults page');

  const location = resultCsvLocation(execution);
  const noCsv = !hasHeaderRow(execution)
    ? `statement type ${execution.statementType ?? 'unknown'} writes no result CSV`
    : location === undefined
      ? 'GetQueryExecution named no s3:// result location'
      : deps.s3 === undefined
        ? 'no S3 client is configured'
        : undefined;
  if (noCsv !== undefined || location === undefined || deps.s3 === undefined) {
    if (mode === 's3_csv') warnings.push(`transfer.read_path is s3_csv but ${noCsv}: read the rows with GetQueryResults instead`);
    return rowsSource(`${noCsv}: paging`);
  }

  let file: ResultFile;
  try {
    file = await openResultFile(deps.s3, location, { log, ...(deps.signal ? { signal: deps.signal } : {}) });
  } catch (error) {
    const e = asTransferError(error);
    const failure = e.details.s3Failure;
    if (mode === 's3_csv' || (failure !== 'denied' && failure !== 'not_found')) throw e;
    const warning = `reading the result file ${location.uri} failed (${String(failure)}: ${e.message}); fell back to paging GetQueryResults, which is slower. ${e.hint}`;
    warnings.push(warning);
    log.warn('S3 result file unavailable: falling back to GetQueryResults paging', { source: location.uri, s3Failure: failure, code: e.code });
    return rowsSource(`S3 ${String(failure)}: fell back to paging`);
  }
  // The pages are no longer needed: the CSV holds every row, page 1's included.
  void pages.return(undefined).catch(() => undefined);
  const columns = firstPage.columns;
  const batches = resultFileRows(file, columns.map((c) => c.name), deps.batchRows);
  const rest: AsyncIterator<ResultPage> = {
    async next() {
      const r = await batches.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: { columns, rows: r.value } };
    },
    async return() {
      file.close();
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
  };
  return {
    path: 's3_csv',
    reason: mode === 's3_csv' ? 'transfer.read_path is s3_csv' : 'the result spans several GetQueryResults pages: reading the result file',
    firstPage: { columns, rows: [] },
    rest,
    warnings,
    file,
    close: () => {
      file.close();
      void batches.return(undefined).catch(() => undefined);
    },
  };
}

/**
 * Wraps an iterator so the next item is always being fetched while the caller works on the current one:
 * GetQueryResults calls are strictly sequential (each needs the previous NextToken), so overlapping one
 * call with the conversion and upload of the previous page is all the parallelism paging allows. Holds at
 * most one extra page; the first fetch starts when the wrapper is made. A fetch error surfaces when its item is asked for, never as an unhandled rejection.
 */
export function readAhead<T>(source: AsyncIterator<T>): AsyncIterator<T> {
  let finished = false;
  const fetch = (): Promise<IteratorResult<T>> => {
    const p = source.next();
    p.catch(() => undefined); // observed here; rethrown to the caller by next()
    return p;
  };
  // The first fetch starts at once: it overlaps with whatever the caller does before pulling (schema, page 1).
  let pending: Promise<IteratorResult<T>> | undefined = fetch();
  return {
    async next() {
      if (finished) return { done: true, value: undefined };
      const current = pending ?? fetch();
      pending = undefined;
      let result: IteratorResult<T>;
      try {
        result = await current;
      } catch (error) {
        finished = true;
        throw error;
      }
      if (result.done) {
        finished = true;
        return result;
      }
      pending = fetch();
      return result;
    },
    async return() {
      finished = true;
      const p = pending;
      pending = undefined;
      if (p) await p.catch(() => undefined);
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
}
