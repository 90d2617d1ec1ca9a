import type { ProbeQuery } from './athena/index.ts';
import { asTransferError, type TransferError } from './errors.ts';

/**
 * The report is a step trace (STYLE 12, dlt's PipelineStepTrace): each step records its timing and facts,
 * and a failed run still says what had already happened (query id, bytes scanned, job id).
 */
export type StepName = 'plan' | 'aws_credentials' | 'type_probe' | 'athena_query' | 'schema' | 'load';

export interface StepTrace {
  step: StepName;
  status: 'ok' | 'failed';
  startedAt: string;
  durationMs: number;
  facts: Record<string, unknown>;
}

export interface BadRecord {
  row: number;
  column: string;
  value: string;
  reason: string;
}

/** One Athena query the type probe ran (`columns`: LIMIT 0; `types`: typeof()): the probe's own record. */
export type ProbeQueryReport = ProbeQuery;

/**
 * How full column types were learned before the main query (transfer.type_probe, docs/types.md):
 * `glue` = GetTableMetadata (no query), `query` = probe queries, `none` = nothing probed (off, or a
 * probe that could not run: see the warnings).
 */
export interface ProbeReport {
  mode: 'auto' | 'off';
  source: 'glue' | 'query' | 'none';
  queries: ProbeQueryReport[];
  /** Sum over the probe queries (LIMIT 0 is planned without a scan: 0 on Athena engine v3). */
  dataScannedBytes: number;
  /** Sum of each probe query's estimate (same rule as the main query's). */
  estimatedCostUsd: number;
  durationMs: number;
  /** Complex columns selected as CAST(… AS JSON), with the full type they are converted as. */
  types: Record<string, string>;
}

export interface JobReport {
  job: string;
  success: boolean;
  rows: number;
  runKey: string;
  table: string;
  readPath: 'rows' | 's3_csv';
  athena: {
    queryExecutionId?: string;
    state?: string;
    dataScannedBytes?: number;
    engineExecutionMs?: number;
    totalExecutionMs?: number;
    /** At the $5/TB list price, rounded up to the MB with a 10 MB minimum (DESIGN §4). */
    estimatedCostUsd?: number;
  };
  bigquery: {
    jobId?: string;
    writeDisposition?: string;
    outputRows?: number;
    attached?: boolean;
    tableCreated?: boolean;
    schemaChanges?: string[];
    /** true when the NDJSON went through GCS (bigquery.staging_uri) and was loaded from gs:// URIs. */
    staged?: boolean;
    /** When staged: objects and bytes written, the folder, and whether every object was deleted again. */
    staging?: { objects: number; bytes: number; uri?: string; cleanedUp?: boolean };
  };
  probe?: ProbeReport;
  badRecords: BadRecord[];
  warnings: string[];
  steps: StepTrace[];
  durationMs: number;
  error?: ReturnType<TransferError['toJSON']> & { step?: StepName; status?: number };
}

const MB = 1024 * 1024;
/** Athena bills scanned bytes rounded up to the MB, at least 10 MB; failed queries are free. */
export function estimateAthenaCostUsd(scannedBytes: number, pricePerTb = 5): number {
  if (scannedBytes <= 0) return 0;
  const billedBytes = Math.max(10 * MB, Math.ceil(scannedBytes / MB) * MB);
  return Math.round((billedBytes / 1024 ** 4) * pricePerTb * 1e6) / 1e6;
}

export class Tracer {
  readonly steps: StepTrace[] = [];
  failedStep: StepName | undefined;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Runs one step; `facts` may be filled while it runs, so a failure keeps what was learned. */
  async step<T>(step: StepName, run: (facts: Record<string, unknown>) => Promise<T>): Promise<T> {
    const start = this.now();
    const facts: Record<string, unknown> = {};
    const record = (status: 'ok' | 'failed'): void => {
      this.steps.push({ step, status, startedAt: new Date(start).toISOString(), durationMs: this.now() - start, facts });
    };
    try {
      const result = await run(facts);
      record('ok');
      return result;
    } catch (error) {
      record('failed');
      this.failedStep ??= step;
      throw error;
    }
  }
}

export interface RunResponse {
  success: boolean;
  message: string;
  timestamp: string;
  runKey: string;
  rows: number;
  jobs: JobReport[];
  error?: ReturnType<TransferError['toJSON']>;
}

/** The original function's response (`success`, `message`, `timestamp`) plus per-job detail. */
export function summarize(reports: JobReport[], runKey: string, now: Date): RunResponse {
  const rows = reports.reduce((sum, r) => sum + (r.success ? r.rows : 0), 0);
  const failed = reports.filter((r) => !r.success);
  const base = { timestamp: now.toISOString(), runKey, rows, jobs: reports };
  if (failed.length === 0) {
    return { success: true, message: `Successfully transferred ${rows} rows from Athena to BigQuery`, ...base };
  }
  const first = failed[0]!;
  const response: RunResponse = {
    success: false,
    message: `${failed.length} of ${reports.length} job(s) failed; first: ${first.job}: ${first.error?.message ?? 'unknown error'}`,
    ...base,
  };
  if (first.error) response.error = first.error;
  return response;
}

export function failureBody(error: unknown, now: Date, runKey?: string): { success: false; message: string; timestamp: string; runKey?: string; error: ReturnType<TransferError['toJSON']> } {
  const e = asTransferError(error);
  return { success: false, message: e.message, timestamp: now.toISOString(), ...(runKey ? { runKey } : {}), error: e.toJSON() };
}
